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
            for occurrence in expansion.occurrences { hash.add(occurrence.local.text) }
            occurrences += expansion.occurrences.count
        }
        // The two sides take turns, one second each, four times: a shared machine's speed drifts, and a
        // ratio of figures taken minutes apart measures the drift as much as the code.
        let python = try DateutilHarness()
        defer { python.close() }
        guard python.hash == hash.value, python.occurrences == occurrences else {
            throw Failure(
                description:
                    "python-dateutil expanded \(python.occurrences) occurrences (hash \(python.hash)), concord "
                    + "\(occurrences) (hash \(hash.value))")
        }
        var ours: [Double] = []
        var theirs: [Double] = []
        for _ in 0..<4 {
            let began = ContinuousClock.now
            var rounds = 0
            while seconds(since: began) < 1 {
                for rule in rules {
                    _ = try await runtime.bus.send(
                        ExpandRecurrence(dtstart: start, rrule: rule, limit: 100_000), context: CommandContext())
                }
                rounds += 1
            }
            ours.append(Double(occurrences * rounds) / seconds(since: began))
            theirs.append(try python.round())
        }
        let ratios = zip(ours, theirs).map { $0 / $1 }.sorted()
        return Report(
            name: "scheduling.expand",
            value: ours.sorted()[ours.count / 2],
            unit: "occurrences/s (10 rules, floating times, through the bus)",
            baseline: theirs.sorted()[theirs.count / 2],
            ratio: (ratios[1] + ratios[2]) / 2,
            target: "ratio >= 20 against python-dateutil, identical output",
            extra: [
                "occurrences_per_round": Double(occurrences), "identical": 1, "ratio_min": ratios[0],
                "ratio_max": ratios[3],
            ]
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

    /// python-dateutil on the same rules, in a process that expands them for a second each time it is asked.
    final class DateutilHarness {
        static let script = """
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
            print(json.dumps({"occurrences": count, "hash": h}), flush=True)
            for line in sys.stdin:
                began = time.perf_counter()
                rounds = 0
                while time.perf_counter() - began < 1:
                    for rule in rules:
                        for d in rrulestr(rule, dtstart=start):
                            pass
                    rounds += 1
                print(json.dumps({"rate": count * rounds / (time.perf_counter() - began)}), flush=True)
            """

        let peer: PythonPeer
        private(set) var occurrences = 0
        private(set) var hash: UInt64 = 0

        init() throws {
            let rulesJSON = String(decoding: try JSONSerialization.data(withJSONObject: rules), as: UTF8.self)
            peer = try PythonPeer(
                arguments: ["-c", Self.script, start, rulesJSON],
                hint: "is python-dateutil installed (dev/install-deps)?")
            let first = try peer.read()
            guard let count = first["occurrences"] as? Int, let hash = (first["hash"] as? NSNumber)?.uint64Value
            else { throw peer.failure() }
            occurrences = count
            self.hash = hash
        }

        /// One second of expansion; its rate.
        func round() throws -> Double {
            guard let rate = try peer.ask()["rate"] as? Double else { throw peer.failure() }
            return rate
        }

        func close() { peer.close() }
    }
}
