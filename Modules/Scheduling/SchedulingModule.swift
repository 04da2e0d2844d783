public import ConcordKit
import Contracts
import Foundation
import Synchronization

/// Meetings, series and their recurrence (RFC 5545), host rotation, the slot finder, reminders and reviews, for
/// the networks' dialogues and plenaries.
///
/// Like every module, it talks to the others only through typed messages (`Contracts`): actors, their zones and
/// memberships come from the registry's queries, never from its tables. It imports no other module.
public struct SchedulingModule: Module {
    public init() {}

    public var descriptor: ModuleDescriptor {
        ModuleDescriptor(
            name: "scheduling", version: "0.2.0",
            publishes: [
                MeetingScheduled.self, MeetingUpdated.self, ConflictDetected.self, MeetingReminderDue.self,
                SeriesCreated.self, SeriesUpdated.self, HostDecided.self,
            ])
    }

    public var migrations: [Migration] { SchedulingSchema.migrations }

    /// What the handlers share.
    struct Services: Sendable {
        let store: any ModuleStore
        let directory: Directory
        let clock: any WallClock
        /// Reminder offsets for meetings and series that give none.
        let reminders: [LocalDuration]
        let overrides = OverrideCache()
    }

    /// The overrides of recently expanded series, decoded once per version of the series: every change of an
    /// override raises the series' version in the same transaction, so a snapshot's version names its overrides.
    final class OverrideCache: Sendable {
        private let entries = Mutex<[String: (version: Int, overrides: [String: OccurrenceOverride])]>([:])

        func overrides(of series: Series, load: () throws -> [String: OccurrenceOverride]) rethrows
            -> [String: OccurrenceOverride]
        {
            if let known = entries.withLock({ $0[series.id] }), known.version == series.version {
                return known.overrides
            }
            let loaded = try load()
            entries.withLock { entries in
                if entries.count >= 256 { entries.removeAll(keepingCapacity: true) }
                entries[series.id] = (series.version, loaded)
            }
            return loaded
        }
    }

    public func start(context: ModuleContext) async throws {
        let text = context.configuration.string("reminders", default: "P30D,P7D,P1D")
        let offsets = try MeetingRules.offsets(
            text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
            field: "modules.scheduling.reminders", defaults: [])
        let services = Services(
            store: context.store, directory: Directory(bus: context.bus), clock: context.clock, reminders: offsets)
        services.directory.follow(context)
        try context.handle(ExpandRecurrence.self, runsOn: .pool) { query, _ in
            try Self.expand(query)
        }
        try Self.startMeetings(context: context, services: services)
        try Self.startSeries(context: context, services: services)
        try Self.startRotation(context: context, services: services)
        try Self.startSlots(context: context, services: services)
        try Self.startReviews(context: context, services: services)
        // A series' reminders reach a horizon ahead; it moves on as they fire, and here at start-up.
        context.on(MeetingReminderDue.self) { envelope in
            guard let series = envelope.payload.series else { return }
            try await Self.refreshReminders(of: series, services: services)
        }
        let all = try await services.store.read { db in try SchedulingStore(db: db).allSeries().map(\.id) }
        for series in all {
            do {
                try await Self.refreshReminders(of: series, services: services)
            } catch {
                context.logger.error(
                    "could not set the reminders of a series", metadata: ["series": "\(series)", "error": "\(error)"])
            }
        }
    }

    /// The most occurrences one expansion returns.
    static let maximumLimit = 100_000

    static func expand(_ query: ExpandRecurrence) throws -> RecurrenceExpansion {
        do {
            let set = try RecurrenceRequest.set(of: query)
            let limit = query.limit ?? 1000
            guard (1...maximumLimit).contains(limit) else {
                throw RecurrenceError("limit", "expected 1..\(maximumLimit), got \(limit)")
            }
            let after = try query.after.map { try RecurrenceRequest.bound($0, field: "after", of: set) }
            let before = try query.before.map { try RecurrenceRequest.bound($0, field: "before", of: set) }
            let (occurrences, truncated) = try set.expand(after: after, before: before, limit: limit)
            return RecurrenceExpansion(
                occurrences: occurrences.map { occurrence in
                    RecurrenceOccurrence(
                        local: occurrence.local.calendarTime(set.dateOnly ? .date : .local),
                        utc: occurrence.utc.map { CivilDateTime(wallSeconds: $0).calendarTime(.utc) })
                },
                truncated: truncated)
        } catch let error as RecurrenceError {
            throw ConcordError(
                error.tooLarge ? .tooLarge : .badRequest, error.description, details: ["field": .string(error.field)])
        }
    }
}

/// Reads an expansion's arguments into a ``RecurrenceSet``, naming the field that is wrong.
enum RecurrenceRequest {
    static func set(of query: ExpandRecurrence) throws(RecurrenceError) -> RecurrenceSet {
        guard let (start, dateOnly) = parse(query.dtstart) else {
            throw RecurrenceError(
                "dtstart",
                "expected a local date-time (1997-09-02T09:00:00) or a date (1997-09-02), got \"\(query.dtstart)\"")
        }
        var set = RecurrenceSet(start: start, dateOnly: dateOnly)
        if let identifier = query.timeZone {
            guard let zone = ZoneResolver(identifier: identifier) else {
                throw RecurrenceError(
                    "time_zone", "expected an IANA time zone such as Europe/Berlin, got \"\(identifier)\"")
            }
            set.zone = zone
        }
        if let text = query.rrule { set.rule = try RecurrenceRule.parse(text) }
        set.rdates = try dates(query.rdates ?? [], field: "rdates", dateOnly: dateOnly)
        set.exdates = try dates(query.exdates ?? [], field: "exdates", dateOnly: dateOnly)
        return set
    }

    static func bound(_ text: String, field: String, of set: RecurrenceSet) throws(RecurrenceError)
        -> RecurrenceSet.Bound
    {
        if text.hasSuffix("Z") {
            guard set.zone != nil, !set.dateOnly, let (time, dateOnly) = parse(String(text.dropLast())), !dateOnly
            else {
                throw RecurrenceError(
                    field, "a UTC date-time (ending in Z) needs a time_zone and a dtstart with a time, got \"\(text)\"")
            }
            return .utc(time.wallSeconds)
        }
        guard let (time, _) = parse(text) else {
            throw RecurrenceError(field, "expected a local date-time or a date, got \"\(text)\"")
        }
        return .local(time)
    }

    private static func dates(_ texts: [String], field: String, dateOnly: Bool) throws(RecurrenceError)
        -> [CivilDateTime]
    {
        var list: [CivilDateTime] = []
        for (index, text) in texts.enumerated() {
            guard let (time, isDate) = parse(text), isDate == dateOnly else {
                let expected =
                    dateOnly
                    ? "a date (1997-09-02), as dtstart is" : "a local date-time (1997-09-02T09:00:00), as dtstart is"
                throw RecurrenceError("\(field)[\(index)]", "expected \(expected), got \"\(text)\"")
            }
            list.append(time)
        }
        return list
    }

    /// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS`, of a real date and time.
    static func parse(_ text: String) -> (CivilDateTime, dateOnly: Bool)? {
        guard let time = CalendarTime(text), time.form != .utc else { return nil }
        return (CivilDateTime(time), time.form == .date)
    }
}
