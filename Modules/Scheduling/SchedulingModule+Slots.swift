import ConcordKit
import Contracts
import Foundation

/// Working hours, holidays and blackouts, and the slot finder over them.
extension SchedulingModule {
    static func startSlots(context: ModuleContext, services: Services) throws {
        let store = services.store
        try context.handle(SetWorkingHours.self) { command, _ in
            _ = try await services.directory.actor(command.actor, field: "actor")
            if let hours = command.hours { try checkHours(hours, field: "hours") }
            return try await store.write { transaction in
                try SchedulingStore(db: transaction.db).setWorkingHours(command.hours, of: command.actor)
                return Acknowledged()
            }
        }
        try context.handle(AddBlackouts.self) { command, _ in
            guard !command.blackouts.isEmpty, command.blackouts.count <= 10_000 else {
                throw badField("blackouts", "expected 1 to 10000 entries, got \(command.blackouts.count)")
            }
            var checked: [Blackout] = []
            for (index, entry) in command.blackouts.enumerated() {
                let field = "blackouts[\(index)]"
                switch (entry.country, entry.actor) {
                case (let country?, nil):
                    guard country.count == 2, country.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
                        throw badField("\(field).country", "expected ISO 3166-1 alpha-2 (VN), got \"\(country)\"")
                    }
                case (nil, let actor?):
                    _ = try await services.directory.actor(actor, field: "\(field).actor")
                default:
                    throw badField(field, "expected exactly one of country (a public holiday) or actor (a blackout)")
                }
                let from = try LocalTime.date(entry.from, field: "\(field).from")
                let to = try LocalTime.date(entry.to ?? entry.from, field: "\(field).to")
                guard to >= from else {
                    throw badField("\(field).to", "expected \(entry.from) or later, got \(entry.to ?? "")")
                }
                guard to.wallSeconds - from.wallSeconds <= 366 * 86_400 else {
                    throw badField("\(field).to", "a blackout lasts at most 366 days")
                }
                checked.append(
                    Blackout(
                        id: EntityID.next(), country: entry.country, actor: entry.actor, from: entry.from,
                        to: entry.to ?? entry.from, name: try MeetingRules.text(entry.name, field: "\(field).name")))
            }
            let added = checked
            return try await store.write { transaction in
                let store = SchedulingStore(db: transaction.db)
                for blackout in added { try store.save(blackout) }
                return BlackoutList(blackouts: added)
            }
        }
        try context.handle(RemoveBlackout.self) { command, _ in
            try await store.write { transaction in
                guard try SchedulingStore(db: transaction.db).removeBlackout(command.id) else {
                    throw ConcordError(.notFound, "id: no blackout \(command.id)", details: ["field": "id"])
                }
                return Acknowledged()
            }
        }
        try context.handle(ListBlackouts.self, runsOn: .inline) { query, _ in
            try await store.read { db in
                BlackoutList(
                    blackouts: try SchedulingStore(db: db).blackouts(country: query.country, actor: query.actor))
            }
        }
        try context.handle(FindSlots.self) { query, _ in
            try await findSlots(query, services: services)
        }
    }

    static func checkHours(_ hours: WorkingHours, field: String) throws {
        guard !hours.days.isEmpty, hours.days.allSatisfy({ (1...7).contains($0) }),
            Set(hours.days).count == hours.days.count
        else {
            throw badField(
                "\(field).days", "expected distinct ISO weekdays 1 (Monday) to 7 (Sunday), got \(hours.days)")
        }
        guard let start = SlotFinder.minutes(hours.start), start % 15 == 0 else {
            throw badField("\(field).start", "expected HH:MM on a quarter hour (08:00), got \"\(hours.start)\"")
        }
        guard let end = SlotFinder.minutes(hours.end), end % 15 == 0 else {
            throw badField("\(field).end", "expected HH:MM on a quarter hour (18:00), got \"\(hours.end)\"")
        }
        guard end > start else {
            throw badField("\(field).end", "expected a time after \(hours.start), got \(hours.end)")
        }
    }

    static func findSlots(_ query: FindSlots, services: Services) async throws -> SlotSuggestions {
        guard (1...500).contains(query.participants.count) else {
            throw badField("participants", "expected 1 to 500 participants, got \(query.participants.count)")
        }
        let duration = try LocalDuration.parse(query.duration, field: "duration")
        let seconds = Int64(duration.days) * 86_400 + Int64(duration.seconds)
        guard seconds > 0, seconds <= 86_400, seconds % 900 == 0 else {
            throw badField("duration", "expected a multiple of 15 minutes up to a day, got \(query.duration)")
        }
        let from = try LocalTime.date(query.from, field: "from")
        let to = try LocalTime.date(query.to, field: "to")
        guard to >= from else { throw badField("to", "expected \(query.from) or later, got \(query.to)") }
        let days = Int((to.wallSeconds - from.wallSeconds) / 86_400) + 1
        guard days <= 366 else { throw badField("to", "expected at most 366 days from \(query.from), got \(days)") }
        let step = query.step ?? 30
        guard [15, 30, 60].contains(step) else { throw badField("step", "expected 15, 30 or 60, got \(step)") }
        let limit = query.limit ?? 10
        guard (1...100).contains(limit) else { throw badField("limit", "expected 1..100, got \(limit)") }
        let minAttendance = query.minAttendance ?? 1
        guard (0...1).contains(minAttendance) else {
            throw badField("min_attendance", "expected 0 to 1, got \(minAttendance)")
        }
        // Asked of the registry all at once: the answers come concurrently.
        var first: [String: Int] = [:]
        for (index, participant) in query.participants.enumerated() where first[participant.actor] == nil {
            first[participant.actor] = index
        }
        let directory = services.directory
        let records = try await withThrowingTaskGroup(of: ActorRecord.self) { group in
            for (actor, index) in first {
                group.addTask { try await directory.actor(actor, field: "participants[\(index)].actor") }
            }
            var records: [String: ActorRecord] = [:]
            for try await record in group { records[record.id] = record }
            return records
        }
        let origin = from.wallSeconds
        let end = origin + Int64(days) * 86_400
        let (hours, blackouts, bookings) = try await services.store.read { db in
            let store = SchedulingStore(db: db)
            return (
                try store.workingHours(), try store.blackouts(),
                try Conflicts.bookings(overlapping: origin - 86_400, end + 86_400, store: store, venues: false)
            )
        }
        var zones: [String: ZoneResolver] = [:]
        var attendees: [SlotFinder.Attendee] = []
        var seen = Set<String>()
        for (index, participant) in query.participants.enumerated() {
            let field = "participants[\(index)]"
            guard seen.insert(participant.actor + "\u{0}" + (participant.focalPoint ?? "")).inserted else {
                throw badField(field, "\(participant.actor) is listed twice")
            }
            let record = records[participant.actor]!
            if let person = participant.focalPoint,
                !(record.fields.focalPoints ?? []).contains(where: { $0.name == person })
            {
                throw badField(
                    "\(field).focal_point", "\(record.fields.name) has no focal point named \"\(person)\"")
            }
            guard let identifier = record.fields.timeZone else {
                throw badField(
                    "\(field).actor",
                    "\(record.fields.name) has no time zone in the registry; set one with registry.actor.update")
            }
            let zone = try zones[identifier] ?? LocalTime.zone(identifier, field: "\(field).actor")
            zones[identifier] = zone
            var attendee = SlotFinder.Attendee(
                actor: participant.actor, focalPoint: participant.focalPoint, optional: participant.optional ?? false,
                zoneIdentifier: identifier, zone: zone, hours: hours[participant.actor] ?? WorkingHours())
            for blackout in blackouts
            where blackout.actor == participant.actor
                || (blackout.country != nil && blackout.country == record.fields.country)
            {
                guard let first = RecurrenceRequest.parse(blackout.from)?.0,
                    let last = RecurrenceRequest.parse(blackout.to)?.0,
                    last.wallSeconds >= origin - 86_400, first.wallSeconds <= end + 86_400
                else { continue }
                let label = blackout.country != nil ? "holiday: \(blackout.name)" : "blackout: \(blackout.name)"
                attendee.blocks.append(
                    (zone.resolve(first).utc, zone.resolve(LocalTime.addingDays(1, to: last)).utc, label))
            }
            for booking in bookings where booking.actors.contains(participant.actor) {
                attendee.blocks.append((booking.startUTC, booking.endUTC, "meeting: \(booking.title)"))
            }
            attendees.append(attendee)
        }
        let finder = SlotFinder(
            attendees: attendees, origin: origin, days: days, duration: seconds, step: step,
            minAttendance: minAttendance, limit: limit)
        return finder.find()
    }
}
