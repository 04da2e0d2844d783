import Bus
import ConcordKit
import Contracts
import DaemonSupport
import Exporting
import Foundation
import Logging
import Registry
import Scheduling

/// Exports as operators run them: a data package of the whole register from a release concordd, and a calendar
/// feed through the bus.
enum ExportsBenchmarks {
    /// The 250 000-actor register (imported first, not timed) exported as a data package by a freshly started
    /// release concordd, as `concordctl call exports.run` asks it; peak RSS is the daemon's over its start and the
    /// export. The package is then checked with `frictionless validate` when Python's frictionless is installed.
    static func datapackage250k() throws -> Report {
        let count = 250_000
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "concord-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("actors.csv")
        try Data(RegistryBenchmarks.actorsCSV(count: count).utf8).write(to: file)
        let listener = try NotifyListener(directory: directory)
        let endpoint = "ipc://\(directory.path)/commands"
        do {
            let (daemon, _) = try DaemonBenchmarks.start(in: directory, listener: listener)
            defer { DaemonBenchmarks.stop(daemon) }
            _ = try concordctl(["import", "actors", file.path, "--endpoint", endpoint, "--json", "--timeout", "120"])
        }
        // A fresh daemon: its peak is the export's, not the import's.
        let (daemon, _) = try DaemonBenchmarks.start(in: directory, listener: listener)
        defer { DaemonBenchmarks.stop(daemon) }
        let before = try DaemonBenchmarks.memoryMB("VmRSS", of: daemon)
        let started = ContinuousClock.now
        let output = try concordctl([
            "call", "exports.run", #"{"format": "datapackage"}"#, "--endpoint", endpoint, "--compact", "--timeout",
            "120",
        ])
        let elapsed = seconds(since: started)
        guard let run = try? JSONSerialization.jsonObject(with: output) as? [String: Any],
            let counts = run["counts"] as? [String: Any], counts["actors"] as? Int == count,
            let path = run["path"] as? String
        else {
            throw DaemonBenchmarks.Failure(
                description: "exports.run did not export \(count) actors: \(String(decoding: output, as: UTF8.self))")
        }
        let peak = try DaemonBenchmarks.memoryMB("VmHWM", of: daemon)
        var extra: [String: Double] = [
            "peak_rss_mb": peak, "rss_before_mb": before, "actors_per_s": Double(count) / elapsed,
            "mb_written": Double(run["bytes"] as? Int ?? 0) / 1_048_576,
        ]
        // The package as frictionless reads it: 1 valid, 0 not, -1 when frictionless is not installed.
        let validation = ContinuousClock.now
        extra["frictionless_valid"] = frictionless(path + "/datapackage.json")
        extra["frictionless_s"] = seconds(since: validation)
        return Report(
            name: "exports.datapackage_250k", value: elapsed,
            unit: "s (exports.run datapackage of a 250 000-actor register, concordctl to a release concordd, ipc)",
            target: "< 3 s, peak_rss_mb < 300", extra: extra)
    }

    private static func concordctl(_ arguments: [String]) throws -> Data {
        let tool = Process()
        tool.executableURL = DaemonBenchmarks.concordd.deletingLastPathComponent().appendingPathComponent("concordctl")
        tool.arguments = arguments
        let output = Pipe()
        tool.standardOutput = output
        try tool.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        tool.waitUntilExit()
        guard tool.terminationStatus == 0 else {
            throw DaemonBenchmarks.Failure(
                description:
                    "concordctl \(arguments.prefix(2).joined(separator: " ")) exited \(tool.terminationStatus): \(String(decoding: data, as: UTF8.self))"
            )
        }
        return data
    }

    private static func frictionless(_ descriptor: String) -> Double {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = [
            "python3", "-c",
            "import sys\ntry:\n from frictionless import validate\nexcept ImportError:\n sys.exit(2)\n"
                + "report = validate(sys.argv[1])\nsys.exit(0 if report.valid else 1)",
            descriptor,
        ]
        python.standardOutput = FileHandle.nullDevice
        python.standardError = FileHandle.nullDevice
        guard (try? python.run()) != nil else { return -1 }
        python.waitUntilExit()
        switch python.terminationStatus {
        case 0: return 1
        case 2: return -1
        default: return 0
        }
    }

    /// A feed of one series of 10 000 daily occurrences in Berlin (across 27 years of daylight-saving changes) with
    /// 500 of them moved, retitled or cancelled: `exports.run ical` through the bus, median of 5.
    static func ical10k() async throws -> Report {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "concord-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let options = RuntimeOptions(
            dataDirectory: directory.appendingPathComponent("data").path,
            moduleConfiguration: ["exporting": ["directory": directory.appendingPathComponent("exports").path]])
        let runtime = try Runtime(
            modules: [RegistryModule(), SchedulingModule(), ExportingModule()], options: options,
            logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        await runtime.start()
        defer { Task { await runtime.shutdown() } }
        func send<C: Command>(_ command: C) async throws -> C.Reply {
            try await runtime.bus.send(command, context: CommandContext())
        }
        let series = try await send(
            CreateSeries(
                series: SeriesFields(
                    kind: .expertMeeting, title: "Daily coordination call", dtstart: "2027-01-04T09:00:00",
                    duration: "PT30M", timeZone: "Europe/Berlin", rrule: "FREQ=DAILY;COUNT=10000", reminders: ["PT15M"])
            )
        ).series
        let occurrences = try await send(ListOccurrences(series: series.id, limit: 100_000)).occurrences
        for (index, occurrence) in occurrences.enumerated() where index % 20 == 7 {
            let start = occurrence.start.text
            let override: OccurrenceOverride =
                switch index % 3 {
                case 0: OccurrenceOverride(originalStart: start, status: .cancelled, reason: "holiday")
                case 1:
                    OccurrenceOverride(
                        originalStart: start, start: String(start.prefix(11)) + "14:00:00",
                        end: String(start.prefix(11)) + "14:30:00", reason: "moved to the afternoon")
                default: OccurrenceOverride(originalStart: start, title: "Coordination call with the partners")
                }
            _ = try await send(OverrideOccurrence(series: series.id, override: override))
        }
        var samples: [Double] = []
        var counts: [String: Int] = [:]
        var bytes = 0
        for _ in 0..<5 {
            let started = ContinuousClock.now
            let run = try await send(RunExport(format: .ical, scope: ExportScope(series: series.id)))
            samples.append(seconds(since: started))
            counts = run.counts
            bytes = run.bytes
        }
        guard counts["occurrences"] == 10_000, counts["overrides"] == 500 else {
            throw DaemonBenchmarks.Failure(
                description: "the feed held \(counts), not 10 000 occurrences and 500 overrides")
        }
        samples.sort()
        return Report(
            name: "exports.ical_10k", value: samples[2] * 1000,
            unit:
                "ms (median of 5: exports.run ical of a 10 000-occurrence series with 500 overrides, through the bus)",
            target: "< 500 ms",
            extra: ["min_ms": samples[0] * 1000, "max_ms": samples[4] * 1000, "feed_kb": Double(bytes) / 1024])
    }
}
