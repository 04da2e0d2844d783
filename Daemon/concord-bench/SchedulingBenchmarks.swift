import Bus
import ConcordKit
import Contracts
import Foundation
import Logging
import Scheduling

enum SchedulingBenchmarks {
    /// The mix of rules both sides expand: floating times from one start, so both compute the same local times.
    static let start = "2026-01-05T09:00:00"
    static let rules = [
        "FREQ=DAILY;COUNT=5000",
        "FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=5000",
        "FREQ=MONTHLY;BYDAY=-1FR;COUNT=2000",
        "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=3000",
        "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO;COUNT=500",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=2000",
        "FREQ=HOURLY;INTERVAL=3;COUNT=5000",
        "FREQ=MINUTELY;INTERVAL=15;BYHOUR=9,10,11,12,13,14,15,16;COUNT=5000",
        "FREQ=YEARLY;BYMONTH=1,4,7,10;BYDAY=1MO;COUNT=1000",
        "FREQ=DAILY;BYHOUR=9,14;BYMINUTE=0,30;COUNT=5000",
    ]

    /// Occurrences per second through `scheduling.recurrence.expand` on the bus, against python-dateutil
    /// expanding the same rules in the same run; the outputs must be identical (an FNV-1a hash of every local
    /// time, in order).
    static func expand() async throws -> Report {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "concord-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let runtime = try Runtime(
            modules: [SchedulingModule()],
            options: RuntimeOptions(dataDirectory: directory.path),
            logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        )
        await runtime.start()
        defer { Task { await runtime.shutdown() } }
        var hash = FNV()
        var occurrences = 0
        for rule in rules {
            let expansion = try await runtime.bus.send(
                ExpandRecurrence(dtstart: start, rrule: rule, limit: 100_000), context: CommandContext())
            for occurrence in expansion.occurrences { hash.add(occurrence.local) }
            occurrences += expansion.occurrences.count
        }
        let began = ContinuousClock.now
        var rounds = 0
        while seconds(since: began) < 2 {
            for rule in rules {
                _ = try await runtime.bus.send(
                    ExpandRecurrence(dtstart: start, rrule: rule, limit: 100_000), context: CommandContext())
            }
            rounds += 1
        }
        let rate = Double(occurrences * rounds) / seconds(since: began)
        let python = try dateutil()
        guard python.hash == hash.value, python.occurrences == occurrences else {
            throw Failure(
                description:
                    "python-dateutil expanded \(python.occurrences) occurrences (hash \(python.hash)), concord "
                    + "\(occurrences) (hash \(hash.value))")
        }
        return Report(
            name: "scheduling.expand",
            value: rate,
            unit: "occurrences/s (10 rules, floating times, through the bus)",
            baseline: python.rate,
            ratio: rate / python.rate,
            target: "ratio >= 20 against python-dateutil, identical output",
            extra: ["occurrences_per_round": Double(occurrences), "identical": 1]
        )
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// 64-bit FNV-1a over the UTF-8 of each text followed by a newline.
    struct FNV {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        mutating func add(_ text: String) {
            for byte in text.utf8 { mix(byte) }
            mix(10)
        }
        private mutating func mix(_ byte: UInt8) {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
    }

    /// Runs python-dateutil on the same rules for about two seconds; its rate, count and hash.
    static func dateutil() throws -> (rate: Double, occurrences: Int, hash: UInt64) {
        let script = """
            import json, sys, time
            from datetime import datetime
            from dateutil.rrule import rrulestr
            start = datetime.fromisoformat(sys.argv[1])
            rules = json.loads(sys.argv[2])
            h = 0xcbf29ce484222325
            count = 0
            for rule in rules:
                for d in rrulestr(rule, dtstart=start):
                    for b in d.isoformat().encode() + b"\\n":
                        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
                    count += 1
            began = time.perf_counter()
            rounds = 0
            while time.perf_counter() - began < 2:
                for rule in rules:
                    for d in rrulestr(rule, dtstart=start):
                        pass
                rounds += 1
            elapsed = time.perf_counter() - began
            print(json.dumps({"rate": count * rounds / elapsed, "occurrences": count, "hash": h}))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let rulesJSON = String(decoding: try JSONSerialization.data(withJSONObject: rules), as: UTF8.self)
        process.arguments = ["python3", "-c", script, start, rulesJSON]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let rate = object["rate"] as? Double, let count = object["occurrences"] as? Int,
            let hash = (object["hash"] as? NSNumber)?.uint64Value
        else {
            throw Failure(
                description:
                    "the python-dateutil harness failed (exit \(process.terminationStatus)); is python-dateutil "
                    + "installed (dev/install-deps)?")
        }
        return (rate, count, hash)
    }
}
