import Bus
import ConcordKit
import Contracts
import Foundation
import Logging
import MembershipDues
import PluginHost
import Registry

/// The in-process plugin boundary's cost: the same handler built in and loaded from the `.so`.
enum PluginBenchmarks {
    /// `dues.invoice.list` for one member (a read of the plugin's table, its rows decoded and the reply encoded),
    /// sent as JSON through the bus with 64 in flight, to `libMembershipDues.so` and to the same module built in
    /// (``BuiltInPlugin``), each on its own daemon runtime. The sides take turns, three rounds each; each side's
    /// best round counts.
    static func requestReply() async throws -> Report {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        let path = products.appendingPathComponent("libMembershipDues.so").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw Failure(
                description:
                    "\(path) is missing; build it with the bench: swift build -c release --product MembershipDues")
        }
        let plugin: HostedPlugin
        switch await PluginLoader.load(path: path) {
        case .success(let loaded): plugin = loaded
        case .failure(let refusal): throw Failure(description: "the plugin was refused: \(refusal.reason)")
        }
        let hosted = try await DuesRuntime(plugin)
        let builtIn = try await DuesRuntime(BuiltInPlugin<MembershipDues>())
        defer {
            Task {
                await hosted.runtime.shutdown()
                await builtIn.runtime.shutdown()
            }
        }
        let perRound = 40_000
        _ = try await hosted.run(2_000)
        _ = try await builtIn.run(2_000)
        var pluginRates: [Double] = []
        var baselineRates: [Double] = []
        for _ in 0..<3 {
            pluginRates.append(Double(perRound) / (try await hosted.run(perRound)))
            baselineRates.append(Double(perRound) / (try await builtIn.run(perRound)))
        }
        let value = pluginRates.max()!
        let baseline = baselineRates.max()!
        return Report(
            name: "plugins.request_reply", value: value, unit: "commands/s", baseline: baseline,
            ratio: value / baseline, target: "ratio >= 0.5",
            extra: [
                "in_flight": 64, "commands_per_round": Double(perRound), "members": Double(DuesRuntime.members),
                // What the boundary adds to each command: its JSON, the C calls and the plugin's task.
                "boundary_us_per_command": (1 / value - 1 / baseline) * 1_000_000,
            ])
    }
}

/// A daemon runtime with the registry and the dues module (built in or loaded), a network of members with their
/// invoices for 2027.
private struct DuesRuntime {
    static let members = 200

    let runtime: Runtime
    let memberIDs: [String]
    private let directory: URL

    init(_ dues: any Module) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "concord-bench-\(UUID().uuidString)")
        runtime = try Runtime(
            modules: [RegistryModule(), dues], options: RuntimeOptions(dataDirectory: directory.path),
            logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        await runtime.start()
        let bus = runtime.bus
        let network = try await bus.send(CreateNetwork(name: "Bench Network", acronym: "BENCH"))
        var ids: [String] = []
        for index in 0..<Self.members {
            let actor = try await bus.send(
                RegisterActor(
                    actor: ActorFields(
                        name: "City \(index)", kind: .city, country: "TH", population: Int64(20_000 + index * 40_000))))
            _ = try await bus.send(
                AddMembership(
                    actor: actor.id, network: network.id, role: .member, start: "2025-01-01",
                    basis: MembershipBasis(kind: .manual, decidedBy: "bench", decidedOn: "2025-01-01")))
            ids.append(actor.id)
        }
        memberIDs = ids
        _ = try await bus.dispatch(
            command: "dues.rates.set",
            args: [
                "network": "BENCH", "year": 2027, "currency": "THB", "due_on": "2027-03-31",
                "fees": [["role": "*", "size_class": "*", "amount": 100_000]],
            ], context: CommandContext())
        _ = try await bus.dispatch(
            command: "dues.invoices.issue", args: ["network": "BENCH", "year": 2027], context: CommandContext())
    }

    /// Sends `count` invoice lists, one member each, 64 in flight; the seconds they took.
    func run(_ count: Int) async throws -> Double {
        let bus = runtime.bus
        let args: [JSONValue] = memberIDs.map { ["member": .string($0)] }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<64 {
                group.addTask {
                    var index = lane
                    while index < count {
                        let reply = try await bus.dispatch(
                            command: "dues.invoice.list", args: args[index % args.count], context: CommandContext())
                        guard reply.count > 100 else { throw Failure(description: "an empty invoice list") }
                        index += 64
                    }
                }
            }
            try await group.waitForAll()
        }
        return seconds(since: start)
    }
}

private struct Failure: Error, CustomStringConvertible {
    let description: String
}
