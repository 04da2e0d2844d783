import Foundation

// concord-bench [NAME...]: runs all benchmarks, or the named ones, and prints one JSON object per line.
// Build it in release mode: `swift run -c release concord-bench`.

let benchmarks: [(name: String, run: () async throws -> Report)] = [
    ("bus.1to1", { await BusBenchmarks.oneToOne() }),
    ("bus.fanout8", { await BusBenchmarks.fanOut() }),
    ("bus.request_reply", { try await BusBenchmarks.requestReply() }),
    ("journal.durable_commands", { try await JournalBenchmarks.durable() }),
    ("journal.durable_commands_idempotent", { try await JournalBenchmarks.durableIdempotent() }),
    ("gateway.events_tcp", { try await GatewayBenchmarks.events() }),
    ("gateway.req_roundtrips", { try await GatewayBenchmarks.requests() }),
    ("gateway.dealer_pipelined", { try await GatewayBenchmarks.pipelined() }),
    ("gateway.events_tcp_curve", { try await GatewayBenchmarks.eventsCurve() }),
    ("gateway.req_roundtrips_curve", { try await GatewayBenchmarks.requestsCurve() }),
    ("daemon.startup_ms", { try DaemonBenchmarks.startup() }),
    ("daemon.idle_rss_mb", { try DaemonBenchmarks.idleMemory() }),
    ("registry.import_250k", { try RegistryBenchmarks.import250k() }),
    ("scheduling.expand", { try await SchedulingBenchmarks.expand() }),
    ("scheduling.series_10k", { try await SchedulingWorkloads.series10k() }),
    ("scheduling.slots_50x90", { try await SchedulingWorkloads.slots50x90() }),
    ("matching.assignment_2000", { try MatchingBenchmarks.assignment2000() }),
    ("matching.allocation_10k_2k", { try MatchingBenchmarks.allocation10k2k() }),
    ("matching.shortlists_10k_2k", { try await MatchingWorkloads.shortlists10k2k() }),
    ("matching.incremental", { try await MatchingWorkloads.incremental() }),
    ("notifications.webhooks", { try await NotificationsWorkloads.webhooks() }),
    ("notifications.fanout_digest", { try await NotificationsWorkloads.fanoutDigest() }),
    ("notifications.dead_endpoint", { try await NotificationsWorkloads.deadEndpoint() }),
    ("exports.datapackage_250k", { try ExportsBenchmarks.datapackage250k() }),
    ("exports.ical_10k", { try await ExportsBenchmarks.ical10k() }),
    ("plugins.request_reply", { try await PluginBenchmarks.requestReply() }),
    ("plugins.external_roundtrips", { try await ExternalBenchmarks.roundTrips() }),
]

let requested = Array(CommandLine.arguments.dropFirst())
if requested.contains("--help") || requested.contains("-h") {
    print("usage: concord-bench [NAME...]\nbenchmarks: " + benchmarks.map(\.name).joined(separator: ", "))
    exit(0)
}
let unknown = requested.filter { name in !benchmarks.contains { $0.name == name } }
guard unknown.isEmpty else {
    FileHandle.standardError.write(
        Data(
            "concord-bench: unknown benchmark \(unknown.joined(separator: ", ")); known: \(benchmarks.map(\.name).joined(separator: ", "))\n"
                .utf8
        )
    )
    exit(64)
}
#if DEBUG
    FileHandle.standardError.write(Data("concord-bench: this is a debug build; figures need -c release\n".utf8))
#endif
for benchmark in benchmarks where requested.isEmpty || requested.contains(benchmark.name) {
    do {
        try await benchmark.run().print()
    } catch {
        FileHandle.standardError.write(Data("concord-bench: \(benchmark.name) failed: \(error)\n".utf8))
        exit(1)
    }
}
