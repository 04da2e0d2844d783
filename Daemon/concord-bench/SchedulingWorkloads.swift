import Bus
import ConcordKit
import Contracts
import Foundation
import Logging
import Registry
import Scheduling

/// `scheduling.series_10k` and `scheduling.slots_50x90`: queries through the in-process bus on a runtime with
/// the registry and scheduling modules, median over repeated queries.
enum SchedulingWorkloads {
    static func runtime() async throws -> (Runtime, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "concord-bench-\(UUID().uuidString)")
        let runtime = try Runtime(
            modules: [RegistryModule(), SchedulingModule()],
            options: RuntimeOptions(dataDirectory: directory.path),
            logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        )
        await runtime.start()
        return (runtime, directory)
    }

    static func send<C: Command>(_ runtime: Runtime, _ command: C) async throws -> C.Reply {
        try await runtime.bus.send(command, context: CommandContext())
    }

    /// Milliseconds of each of `rounds` runs of `body`, sorted.
    static func timings(rounds: Int, _ body: () async throws -> Void) async throws -> [Double] {
        var times: [Double] = []
        for _ in 0..<rounds {
            let began = ContinuousClock.now
            try await body()
            times.append(seconds(since: began) * 1000)
        }
        return times.sorted()
    }

    /// A daily series of 10 000 occurrences in Europe/Berlin (across 27 daylight-saving changes) with 500
    /// overrides (cancelled, moved, another host or venue): `scheduling.series.occurrences` of all of it.
    static func series10k() async throws -> Report {
        let (runtime, directory) = try await runtime()
        defer {
            Task { await runtime.shutdown() }
            try? FileManager.default.removeItem(at: directory)
        }
        let host = try await send(
            runtime,
            RegisterActor(actor: ActorFields(name: "Vientiane", kind: .city, country: "LA", timeZone: "Asia/Vientiane"))
        )
        let series = try await send(
            runtime,
            CreateSeries(
                series: SeriesFields(
                    kind: .workingGroupSession, title: "Session {number}", firstNumber: 1,
                    dtstart: "2027-01-04T09:00:00", duration: "PT2H", timeZone: "Europe/Berlin",
                    rrule: "FREQ=DAILY;COUNT=10000", reminders: []))
        ).series
        let all = try await send(runtime, ListOccurrences(series: series.id, limit: 10_000)).occurrences
        for index in stride(from: 7, to: 10_000, by: 20) {
            let original = all[index].originalStart.text
            let override: OccurrenceOverride
            switch index % 3 {
            case 0: override = OccurrenceOverride(originalStart: original, status: .cancelled, reason: "holiday")
            case 1:
                override = OccurrenceOverride(
                    originalStart: original, start: String(original.prefix(11)) + "14:00:00", title: "Moved")
            default: override = OccurrenceOverride(originalStart: original, host: host.id, venue: Venue(text: "Online"))
            }
            _ = try await send(runtime, OverrideOccurrence(series: series.id, override: override))
        }
        let query = ListOccurrences(series: series.id, limit: 10_000)
        let check = try await send(runtime, query)
        let overridden = check.occurrences.count(where: \.overridden)
        guard check.occurrences.count == 10_000, overridden == 500, check.unmatchedOverrides.isEmpty else {
            throw SchedulingBenchmarks.Failure(
                description:
                    "expected 10000 occurrences with 500 overridden, got \(check.occurrences.count) and \(overridden)")
        }
        let times = try await timings(rounds: 40) { _ = try await send(runtime, query) }
        return Report(
            name: "scheduling.series_10k", value: times[times.count / 2],
            unit: "ms per expansion of 10 000 occurrences with 500 overrides (median of 40)",
            target: "<= 10 ms", extra: ["min_ms": times[0], "max_ms": times[times.count - 1]])
    }

    /// 50 participants in 12 zones over 90 days, a 60-minute meeting: `scheduling.slots.find` with their working
    /// hours (some their own), public holidays of their countries, and 200 meetings they are in.
    static func slots50x90() async throws -> Report {
        let (runtime, directory) = try await runtime()
        defer {
            Task { await runtime.shutdown() }
            try? FileManager.default.removeItem(at: directory)
        }
        let zones: [(String, String)] = [
            ("Asia/Tokyo", "JP"), ("Asia/Seoul", "KR"), ("Asia/Shanghai", "CN"), ("Asia/Bangkok", "TH"),
            ("Asia/Ho_Chi_Minh", "VN"), ("Asia/Jakarta", "ID"), ("Asia/Kolkata", "IN"), ("Asia/Tashkent", "UZ"),
            ("Asia/Tomsk", "RU"), ("Europe/Berlin", "DE"), ("Australia/Sydney", "AU"), ("Asia/Kathmandu", "NP"),
        ]
        var actors: [ActorRecord] = []
        for index in 0..<50 {
            let (zone, country) = zones[index % zones.count]
            actors.append(
                try await send(
                    runtime,
                    RegisterActor(
                        actor: ActorFields(name: "City \(index)", kind: .city, country: country, timeZone: zone))))
        }
        for actor in actors.prefix(10) {
            _ = try await send(
                runtime,
                SetWorkingHours(
                    actor: actor.id, hours: WorkingHours(days: [1, 2, 3, 4, 5], start: "07:00", end: "19:00")))
        }
        var holidays: [AddBlackouts.Entry] = []
        for (index, (_, country)) in zones.enumerated() {
            holidays.append(AddBlackouts.Entry(country: country, from: "2027-02-\(10 + index)", name: "Holiday"))
            holidays.append(
                AddBlackouts.Entry(
                    country: country, from: "2027-03-0\(1 + index % 8)", to: "2027-03-0\(2 + index % 8)",
                    name: "Festival"))
        }
        _ = try await send(runtime, AddBlackouts(blackouts: holidays))
        for index in 0..<200 {
            let day = 1 + index % 28
            let month = 1 + (index / 28) % 3
            let participants = (0..<5).map { Participant(actor: actors[(index * 7 + $0 * 11) % 50].id) }
            _ = try await send(
                runtime,
                ScheduleMeeting(
                    meeting: MeetingFields(
                        kind: .workingGroupSession, title: "Meeting \(index)",
                        start: String(format: "2027-%02d-%02dT%02d:00:00", month, day, 8 + index % 8),
                        end: String(format: "2027-%02d-%02dT%02d:00:00", month, day, 10 + index % 8),
                        timeZone: "Asia/Bangkok", participants: participants, reminders: [])))
        }
        let query = FindSlots(
            participants: actors.map { FindSlots.Attendee(actor: $0.id) }, duration: "PT60M", from: "2027-01-04",
            to: "2027-04-03", minAttendance: 0.6)
        let check = try await send(runtime, query)
        guard let best = check.slots.first else {
            throw SchedulingBenchmarks.Failure(description: "no slot: \(check.explanation ?? "-")")
        }
        let times = try await timings(rounds: 30) { _ = try await send(runtime, query) }
        return Report(
            name: "scheduling.slots_50x90", value: times[times.count / 2],
            unit: "ms per query: 50 participants, 12 zones, 90 days, 60 minutes (median of 30)",
            target: "<= 20 ms",
            extra: [
                "min_ms": times[0], "max_ms": times[times.count - 1], "slots": Double(check.slots.count),
                "best_attendance": best.attendance,
            ])
    }
}
