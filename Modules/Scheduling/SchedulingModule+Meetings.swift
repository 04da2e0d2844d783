import ConcordKit
import Contracts
import Foundation

/// One-off meetings: schedule, update, postpone, cancel, get and list; conflicts are warned of, reminders follow.
extension SchedulingModule {
    /// What a meeting's write needs from the registry, gathered before the write.
    struct PreparedMeeting: Sendable {
        var fields: MeetingFields
        var placed: Placed
        var zone: ZoneResolver
        var names: [String: ActorRecord]
        var hostWarning: SchedulingWarning?
        var offsets: [LocalDuration]
    }

    static func startMeetings(context: ModuleContext, services: Services) throws {
        let store = services.store
        try context.handle(ScheduleMeeting.self) { command, _ in
            let prepared = try await prepare(command.meeting, services: services)
            return try await store.write { transaction in
                let meeting = Meeting(
                    id: EntityID.next(), fields: prepared.fields, startUTC: LocalTime.utcText(prepared.placed.startUTC),
                    endUTC: LocalTime.utcText(prepared.placed.endUTC), version: 1)
                return try write(meeting, prepared: prepared, inserting: true, reason: nil, transaction: transaction)
            }
        }
        try context.handle(UpdateMeeting.self) { command, _ in
            _ = try await store.read { db in try SchedulingStore(db: db).requireMeeting(command.id) }
            let prepared = try await prepare(command.meeting, services: services)
            return try await store.write { transaction in
                try rewrite(
                    command.id, version: command.version, prepared: prepared, reason: nil, transaction: transaction)
            }
        }
        try context.handle(PostponeMeeting.self) { command, _ in
            let current = try await store.read { db in try SchedulingStore(db: db).requireMeeting(command.id) }
            var fields = current.fields
            let (oldStart, dateOnly) = try LocalTime.parse(fields.start, field: "start")
            let (oldEnd, _) = try LocalTime.parse(fields.end, field: "end")
            let (start, _) = try LocalTime.parse(command.start, field: "start", dateOnly: dateOnly)
            let end: CivilDateTime
            if let text = command.end {
                end = try LocalTime.parse(text, field: "end", dateOnly: dateOnly).0
            } else {
                end = CivilDateTime(wallSeconds: start.wallSeconds + (oldEnd.wallSeconds - oldStart.wallSeconds))
            }
            fields.start = start.text(dateOnly: dateOnly)
            fields.end = end.text(dateOnly: dateOnly)
            fields.status = .postponed
            let reason = try command.reason.map { try MeetingRules.text($0, field: "reason", limit: 4000) }
            let prepared = try await prepare(fields, services: services)
            return try await store.write { transaction in
                try rewrite(
                    command.id, version: command.version, prepared: prepared, reason: reason, transaction: transaction)
            }
        }
        try context.handle(CancelMeeting.self) { command, _ in
            let current = try await store.read { db in try SchedulingStore(db: db).requireMeeting(command.id) }
            var fields = current.fields
            fields.status = .cancelled
            let reason = try command.reason.map { try MeetingRules.text($0, field: "reason", limit: 4000) }
            let prepared = try await prepare(fields, services: services)
            return try await store.write { transaction in
                try rewrite(
                    command.id, version: command.version, prepared: prepared, reason: reason, transaction: transaction)
            }
        }
        try context.handle(GetMeeting.self, runsOn: .inline) { query, _ in
            try await store.read { db in try SchedulingStore(db: db).requireMeeting(query.id) }
        }
        try context.handle(ListMeetings.self, runsOn: .inline) { query, _ in
            let from = try query.from.map { try LocalTime.instant($0, field: "from") }
            let to = try query.to.map { try LocalTime.instant($0, field: "to") }
            var names: Set<String>?
            if let network = query.network { names = try await services.directory.networkNames(network) }
            return try await store.read { [names] db in
                let store = SchedulingStore(db: db)
                var meetings = try store.meetings(overlapping: from, to, includingCancelled: true)
                if let actor = query.actor {
                    let ids = try store.meetings(of: actor)
                    meetings = meetings.filter { ids.contains($0.id) }
                }
                if let names {
                    meetings = meetings.filter { names.contains($0.fields.network?.lowercased() ?? "") }
                }
                if let status = query.status { meetings = meetings.filter { ($0.fields.status ?? .planned) == status } }
                return MeetingList(meetings: meetings)
            }
        }
    }

    /// Checks a meeting's fields against the registry: the actors it names, its zone, its network, its plans and
    /// outcome documents.
    static func prepare(_ given: MeetingFields, services: Services) async throws -> PreparedMeeting {
        var fields = given
        let directory = services.directory
        let names = try await directory.actors(
            MeetingRules.namedActors(
                host: fields.host, venue: fields.venue, participants: fields.participants, prefix: "meeting."))
        let zoneIdentifier = try MeetingRules.zoneIdentifier(
            given: fields.timeZone, venue: fields.venue?.actor.flatMap { names[$0] }, field: "meeting.time_zone")
        let (placed, zone) = try MeetingRules.check(&fields, zone: zoneIdentifier)
        var memberships: [Membership]?
        if let network = fields.network {
            memberships = try await directory.memberships(of: network, field: "meeting.network")
        }
        try await checkPlans((fields.agenda ?? []).map(\.actionPlan), field: "meeting.agenda", directory: directory)
        try await checkOutcomes(fields.outcomes, field: "meeting.outcomes", directory: directory)
        let offsets = try MeetingRules.offsets(
            fields.reminders, field: "meeting.reminders", defaults: services.reminders)
        let hostWarning = Conflicts.hostWarning(
            host: fields.host, network: fields.network, memberships: memberships,
            on: placed.start.text(dateOnly: true), names: names)
        return PreparedMeeting(
            fields: fields, placed: placed, zone: zone, names: names, hostWarning: hostWarning, offsets: offsets)
    }

    /// Checks that each plan named is in the registry; the n-th is `field[n]` followed by `suffix`.
    static func checkPlans(_ plans: [String?], field: String, suffix: String = ".action_plan", directory: Directory)
        async throws
    {
        for (index, plan) in plans.enumerated() {
            guard let plan else { continue }
            do {
                _ = try await directory.bus.send(GetActionPlan(id: plan))
            } catch let error as ConcordError where error.code == .notFound {
                throw badField("\(field)[\(index)]\(suffix)", "no action plan \"\(plan)\" in the registry")
            }
        }
    }

    /// `conflict` when a write names a version other than the current one.
    static func checkVersion(_ sent: Int, current: Int, of what: String) throws {
        guard sent == current else {
            throw ConcordError(
                .conflict,
                "\(what) is at version \(current), not \(sent): it changed since you read it; read it again",
                details: ["current_version": .int(Int64(current))])
        }
    }

    static func checkOutcomes(_ outcomes: [String]?, field: String, directory: Directory) async throws {
        for (index, id) in (outcomes ?? []).enumerated() {
            let declaration: Declaration
            do {
                declaration = try await directory.bus.send(GetDeclaration(id: id))
            } catch let error as ConcordError where error.code == .notFound {
                throw badField("\(field)[\(index)]", "no declaration \"\(id)\" in the registry")
            }
            guard declaration.fields.kind == .outcome else {
                throw badField(
                    "\(field)[\(index)]",
                    "expected a declaration of kind outcome, got \(declaration.fields.kind.rawValue) (\(id))")
            }
        }
    }

    static func rewrite(
        _ id: String, version: Int, prepared: PreparedMeeting, reason: String?, transaction: WriteTransaction
    ) throws -> MeetingChange {
        let store = SchedulingStore(db: transaction.db)
        let current = try store.requireMeeting(id)
        try checkVersion(version, current: current.version, of: "meeting \(id)")
        let meeting = Meeting(
            id: id, fields: prepared.fields, startUTC: LocalTime.utcText(prepared.placed.startUTC),
            endUTC: LocalTime.utcText(prepared.placed.endUTC), version: version + 1)
        return try write(meeting, prepared: prepared, inserting: false, reason: reason, transaction: transaction)
    }

    static func write(
        _ meeting: Meeting, prepared: PreparedMeeting, inserting: Bool, reason: String?, transaction: WriteTransaction
    ) throws -> MeetingChange {
        let store = SchedulingStore(db: transaction.db)
        let placed = prepared.placed
        try store.save(meeting, start: placed.startUTC, end: placed.endUTC)
        var warnings: [SchedulingWarning] = []
        if (meeting.fields.status ?? .planned) != .cancelled {
            warnings = try Conflicts.warnings(
                subject: meeting.id, start: placed.startUTC, end: placed.endUTC,
                actors: Set(MeetingRules.actors(of: meeting.fields)), venue: meeting.fields.venue,
                names: prepared.names, store: store)
            if let warning = prepared.hostWarning { warnings.append(warning) }
        }
        if inserting {
            transaction.emit(MeetingScheduled(meeting: meeting))
        } else {
            transaction.emit(MeetingUpdated(meeting: meeting, reason: reason))
        }
        if !warnings.isEmpty { transaction.emit(ConflictDetected(subject: meeting.id, warnings: warnings)) }
        try Reminders.apply(
            owner: "meeting:\(meeting.id)",
            planned: Reminders.forMeeting(
                meeting, placed: placed, zone: prepared.zone, offsets: prepared.offsets, now: transaction.now),
            store: store, transaction: transaction)
        return MeetingChange(meeting: meeting, warnings: warnings)
    }
}
