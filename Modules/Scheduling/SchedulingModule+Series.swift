import ConcordKit
import Contracts
import Foundation

/// Series: create, edit (all, or "this and following" as a split), override one occurrence, list occurrences.
extension SchedulingModule {
    struct PreparedSeries: Sendable {
        var fields: SeriesFields
        var names: [String: ActorRecord]
        var hostWarning: SchedulingWarning?
    }

    static func startSeries(context: ModuleContext, services: Services) throws {
        let store = services.store
        try context.handle(CreateSeries.self) { command, _ in
            let prepared = try await prepare(command.series, services: services)
            return try await store.write { transaction in
                let series = Series(id: EntityID.next(), fields: prepared.fields, version: 1)
                let store = SchedulingStore(db: transaction.db)
                try store.save(series)
                transaction.emit(SeriesCreated(series: series))
                let warnings = try seriesWarnings(series, prepared: prepared, transaction: transaction)
                try refreshReminders(of: series, services: services, transaction: transaction)
                return SeriesChange(series: series, warnings: warnings)
            }
        }
        try context.handle(UpdateSeries.self) { command, _ in
            let current = try await store.read { db in
                try SchedulingStore(db: db).requireSeries(command.id, field: "id")
            }
            let prepared = try await prepare(command.series, services: services)
            var lastHost: String?
            if let from = command.from, prepared.fields.rotation != nil {
                lastHost = try await self.lastHost(before: from, of: current, services: services)
            }
            let captured = lastHost
            return try await store.write { transaction in
                try update(
                    command.id, version: command.version, prepared: prepared, from: command.from,
                    lastHost: captured, services: services, transaction: transaction)
            }
        }
        try context.handle(OverrideOccurrence.self) { command, _ in
            let (series, key, memberships, names) = try await prepareOverride(command, services: services)
            return try await store.write { transaction in
                let store = SchedulingStore(db: transaction.db)
                var current = try store.requireSeries(series.id)
                var override = command.override
                override.originalStart = key
                var warnings: [SchedulingWarning] = []
                if command.remove == true {
                    try store.removeOverride(key, of: series.id)
                } else {
                    try store.save(override, of: series.id)
                    let engine = try SeriesEngine(series: current)
                    let (time, _) = try LocalTime.parse(key, field: "override.original_start")
                    let original = RecurrenceSet.Occurrence(
                        local: time, utc: engine.dateOnly ? nil : engine.zone.resolve(time).utc)
                    let placed = engine.place(original, override)
                    if override.status != .cancelled {
                        var actors = Set((current.fields.participants ?? []).map(\.actor))
                        if let host = override.host ?? current.fields.host { actors.insert(host) }
                        warnings = try Conflicts.warnings(
                            subject: "\(series.id)/\(key)", start: placed.startUTC, end: placed.endUTC, actors: actors,
                            venue: override.venue ?? current.fields.venue, names: names, store: store,
                            excludingSeries: series.id)
                        if let warning = Conflicts.hostWarning(
                            host: override.host, network: current.fields.network, memberships: memberships,
                            on: String(placed.startText.prefix(10)), names: names)
                        {
                            warnings.append(warning)
                        }
                    }
                }
                current.version += 1
                try store.save(current)
                transaction.emit(SeriesUpdated(series: current, override: command.remove == true ? nil : override))
                if !warnings.isEmpty {
                    transaction.emit(ConflictDetected(subject: "\(series.id)/\(key)", warnings: warnings))
                }
                try refreshReminders(of: current, services: services, transaction: transaction)
                return SeriesChange(series: current, warnings: warnings)
            }
        }
        try context.handle(GetSeries.self, runsOn: .inline) { query, _ in
            try await store.read { db in
                let store = SchedulingStore(db: db)
                let series = try store.requireSeries(query.id, field: "id")
                return SeriesDetail(
                    series: series,
                    overrides: try store.overrides(of: series.id).values.sorted { $0.originalStart < $1.originalStart },
                    decisions: try store.decisions(of: series.id))
            }
        }
        try context.handle(ListSeries.self, runsOn: .inline) { query, _ in
            var names: Set<String>?
            if let network = query.network { names = try await services.directory.networkNames(network) }
            return try await store.read { [names] db in
                SeriesList(series: try SchedulingStore(db: db).allSeries(networkNamedAnyOf: names))
            }
        }
        try context.handle(ListOccurrences.self) { query, _ in
            let limit = query.limit ?? 1000
            guard (1...maximumLimit).contains(limit) else {
                throw badField("limit", "expected 1..\(maximumLimit), got \(limit)")
            }
            let cache = services.overrides
            let (series, overrides) = try await store.read { db in
                let store = SchedulingStore(db: db)
                let series = try store.requireSeries(query.series)
                return (series, try cache.overrides(of: series) { try store.overrides(of: series.id) })
            }
            let engine = try SeriesEngine(series: series)
            let after = try query.after.map { try engine.bound($0, field: "after") }
            let before = try query.before.map { try engine.bound($0, field: "before") }
            var hosts: [String: String] = [:]
            if series.fields.rotation != nil {
                let skipped = try engine.numberedBefore(after, overrides: [:]) ?? 0
                let (items, turns) = try await hostTurns(
                    of: series, engine: engine, limit: min(maximumLimit, skipped + limit), services: services)
                for (item, turn) in zip(items, turns) { hosts[item.key] = turn.host }
            }
            return try engine.list(after: after, before: before, limit: limit, overrides: overrides, hosts: hosts)
        }
    }

    /// Checks a series' fields against the registry and the recurrence engine.
    static func prepare(_ given: SeriesFields, services: Services) async throws -> PreparedSeries {
        var fields = given
        let directory = services.directory
        var named = MeetingRules.namedActors(
            host: fields.host, venue: fields.venue, participants: fields.participants, prefix: "series.")
        if let rotation = fields.rotation {
            for (index, member) in (rotation.members ?? []).enumerated() {
                named.append((member, "series.rotation.members[\(index)]"))
            }
            if let after = rotation.after { named.append((after, "series.rotation.after")) }
        }
        let names = try await directory.actors(named)
        fields.timeZone = try MeetingRules.zoneIdentifier(
            given: fields.timeZone, venue: fields.venue?.actor.flatMap { names[$0] }, field: "series.time_zone")
        fields.title = try MeetingRules.text(fields.title, field: "series.title")
        if let number = fields.firstNumber, number < 1 {
            throw badField("series.first_number", "expected 1 or more, got \(number)")
        }
        let engine = try SeriesEngine(series: Series(id: "-", fields: fields, version: 0))
        _ = try engine.originals(limit: 1)
        if let rotation = fields.rotation {
            if fields.host != nil {
                throw badField("series.host", "not with a rotation: the rotation chooses each occurrence's host")
            }
            if rotation.kind == .fixed, (rotation.members ?? []).isEmpty {
                throw badField("series.rotation.members", "expected at least one actor for a fixed rotation")
            }
            if rotation.kind != .fixed, fields.network == nil {
                throw badField(
                    "series.network", "required for a \(rotation.kind.rawValue) rotation: it turns among its members")
            }
        }
        var memberships: [Membership]?
        if let network = fields.network {
            memberships = try await directory.memberships(of: network, field: "series.network")
        }
        try await checkPlans(fields.reviewPlans ?? [], field: "series.review_plans", suffix: "", directory: directory)
        try MeetingRules.checkCommon(
            agenda: nil, participants: fields.participants, reminders: fields.reminders, prefix: "series.")
        let hostWarning = Conflicts.hostWarning(
            host: fields.host, network: fields.network, memberships: memberships,
            on: String(fields.dtstart.prefix(10)), names: names)
        return PreparedSeries(fields: fields, names: names, hostWarning: hostWarning)
    }

    /// Double bookings of the series' next 50 occurrences, and a fixed host that is not an active member.
    static func seriesWarnings(_ series: Series, prepared: PreparedSeries, transaction: WriteTransaction) throws
        -> [SchedulingWarning]
    {
        let store = SchedulingStore(db: transaction.db)
        let engine = try SeriesEngine(series: series)
        let now = Int64(transaction.now.timeIntervalSince1970)
        let (items, _) = try engine.items(after: .utc(now), limit: 50, overrides: try store.overrides(of: series.id))
        var actors = Set((series.fields.participants ?? []).map(\.actor))
        if let host = series.fields.host { actors.insert(host) }
        var warnings: [SchedulingWarning] = []
        let kept = items.filter { !$0.isCancelled }
        // Read once for the stretch the occurrences cover, not once for each of them.
        let bookings =
            try kept.first.map { first in
                try Conflicts.bookings(
                    overlapping: first.placed.startUTC, kept.map(\.placed.endUTC).max() ?? first.placed.endUTC,
                    store: store)
            } ?? []
        for item in kept {
            let subject = "\(series.id)/\(item.key)"
            let found = Conflicts.warnings(
                subject: subject, start: item.placed.startUTC, end: item.placed.endUTC, actors: actors,
                venue: series.fields.venue, names: prepared.names, among: bookings, excludingSeries: series.id)
            if !found.isEmpty { transaction.emit(ConflictDetected(subject: subject, warnings: found)) }
            warnings += found
        }
        if let warning = prepared.hostWarning {
            warnings.append(warning)
            transaction.emit(ConflictDetected(subject: series.id, warnings: [warning]))
        }
        return warnings
    }

    static func update(
        _ id: String, version: Int, prepared: PreparedSeries, from: String?, lastHost: String?, services: Services,
        transaction: WriteTransaction
    ) throws -> SeriesChange {
        let store = SchedulingStore(db: transaction.db)
        var current = try store.requireSeries(id, field: "id")
        try checkVersion(version, current: current.version, of: "series \(id)")
        guard current.continuedBy == nil else {
            throw ConcordError(
                .conflict,
                "series \(id) was split: its occurrences from then on belong to \(current.continuedBy ?? "-"); "
                    + "edit that series")
        }
        let engine = try SeriesEngine(series: current)
        if let from {
            let key = try engine.normalizedKey(from, field: "from")
            let (all, _) = try engine.originals(limit: maximumLimit)
            guard let index = all.firstIndex(where: { engine.key(of: $0) == key }) else {
                throw badField("from", "\(key) is not an occurrence of series \(id)")
            }
            if index > 0 {
                return try split(
                    current, at: index, of: all, engine: engine, prepared: prepared, lastHost: lastHost,
                    services: services, transaction: transaction)
            }
        }
        current.fields = prepared.fields
        current.version += 1
        try store.save(current)
        transaction.emit(SeriesUpdated(series: current))
        let warnings = try seriesWarnings(current, prepared: prepared, transaction: transaction)
        try refreshReminders(of: current, services: services, transaction: transaction)
        let unmatched = try SeriesEngine(series: current).unmatched(store.overrides(of: current.id))
        return SeriesChange(series: current, unmatchedOverrides: unmatched, warnings: warnings)
    }

    /// "This and following": the series ends before the occurrence at `index`; a new one, with the new fields and
    /// the overrides and decisions from there on, carries the rest. Numbering and the rotation go on.
    static func split(
        _ current: Series, at index: Int, of all: [RecurrenceSet.Occurrence], engine: SeriesEngine,
        prepared: PreparedSeries, lastHost: String?, services: Services, transaction: WriteTransaction
    ) throws -> SeriesChange {
        let store = SchedulingStore(db: transaction.db)
        let splitAt = all[index]
        let key = engine.key(of: splitAt)
        let splitInstant = splitAt.utc ?? splitAt.local.wallSeconds
        func instant(_ text: String) -> Int64? {
            guard let (time, _) = RecurrenceRequest.parse(text) else { return nil }
            return engine.dateOnly ? time.wallSeconds : engine.zone.resolve(time).utc
        }
        var old = current
        let until =
            engine.dateOnly
            ? Self.compact(CivilDateTime(wallSeconds: splitAt.local.wallSeconds - 86_400), dateOnly: true)
            : Self.compact(CivilDateTime(wallSeconds: splitInstant - 1), dateOnly: false) + "Z"
        if let rule = old.fields.rrule {
            let parts = rule.split(separator: ";").filter {
                let name = $0.uppercased()
                return !name.hasPrefix("COUNT=") && !name.hasPrefix("UNTIL=")
            }
            old.fields.rrule = (parts + ["UNTIL=\(until)"]).joined(separator: ";")
        }
        old.fields.rdates = old.fields.rdates?.filter { (instant($0) ?? 0) < splitInstant }
        let overrides = try store.overrides(of: current.id)
        var next = Series(id: EntityID.next(), fields: prepared.fields, splitFrom: current.id, version: 1)
        if next.fields.dtstart == current.fields.dtstart { next.fields.dtstart = key }
        if next.fields.rrule == current.fields.rrule, let rule = current.fields.rrule {
            // COUNT counts what the rule produces: the part before the split has had its share.
            let ruleOnly = try SeriesEngine(
                series: Series(
                    id: "-",
                    fields: SeriesFields(
                        kind: current.fields.kind, title: current.fields.title, dtstart: current.fields.dtstart,
                        duration: current.fields.duration, timeZone: current.fields.timeZone, rrule: rule),
                    version: 0))
            let before = try ruleOnly.originals(limit: maximumLimit).0.count {
                ($0.utc ?? $0.local.wallSeconds) < splitInstant
            }
            next.fields.rrule = rule.split(separator: ";").map { part in
                let upper = part.uppercased()
                guard upper.hasPrefix("COUNT="), let count = Int(upper.dropFirst(6)) else { return String(part) }
                return "COUNT=\(max(1, count - before))"
            }.joined(separator: ";")
        }
        if next.fields.rdates == current.fields.rdates {
            next.fields.rdates = current.fields.rdates?.filter { (instant($0) ?? 0) >= splitInstant }
        }
        if let first = current.fields.firstNumber, next.fields.firstNumber == first {
            next.fields.firstNumber =
                first + all[..<index].count { overrides[engine.key(of: $0)]?.status != .cancelled }
        }
        if next.fields.rotation != nil, next.fields.rotation?.after == current.fields.rotation?.after {
            next.fields.rotation?.after = lastHost ?? current.fields.rotation?.after
        }
        _ = try SeriesEngine(series: next).originals(limit: 1)
        old.continuedBy = next.id
        old.version += 1
        // Overrides and decisions from the split on go with the occurrences they describe.
        var moved = Set<String>()
        for originalStart in overrides.keys where (instant(originalStart) ?? 0) >= splitInstant {
            moved.insert(originalStart)
        }
        for decision in try store.decisions(of: current.id)
        where (instant(decision.originalStart) ?? 0) >= splitInstant {
            moved.insert(decision.originalStart)
        }
        try store.move(from: current.id, to: next.id, keys: moved)
        try store.save(old)
        try store.save(next)
        transaction.emit(SeriesUpdated(series: old, continuation: next))
        let warnings = try seriesWarnings(next, prepared: prepared, transaction: transaction)
        try refreshReminders(of: old, services: services, transaction: transaction)
        try refreshReminders(of: next, services: services, transaction: transaction)
        let unmatched = try SeriesEngine(series: next).unmatched(store.overrides(of: next.id))
        return SeriesChange(series: old, continuation: next, unmatchedOverrides: unmatched, warnings: warnings)
    }

    /// `19971224T000000` or `19971224`, as RRULE's UNTIL is written.
    static func compact(_ time: CivilDateTime, dateOnly: Bool) -> String {
        time.text(dateOnly: dateOnly).filter { $0 != "-" && $0 != ":" }
    }

    static func prepareOverride(_ command: OverrideOccurrence, services: Services) async throws -> (
        Series, String, [Membership]?, [String: ActorRecord]
    ) {
        let series = try await services.store.read { db in try SchedulingStore(db: db).requireSeries(command.series) }
        let engine = try SeriesEngine(series: series)
        let key = try engine.normalizedKey(command.override.originalStart, field: "override.original_start")
        if command.remove == true { return (series, key, nil, [:]) }
        guard try isOccurrence(key, of: engine) else {
            throw badField("override.original_start", "\(key) is not an occurrence of series \(series.id)")
        }
        let override = command.override
        if let start = override.start {
            let (begin, _) = try LocalTime.parse(start, field: "override.start", dateOnly: engine.dateOnly)
            if let end = override.end {
                let (finish, _) = try LocalTime.parse(end, field: "override.end", dateOnly: engine.dateOnly)
                guard engine.dateOnly ? finish >= begin : finish > begin else {
                    throw badField("override.end", "expected a time after override.start (\(start)), got \(end)")
                }
            }
        } else if override.end != nil {
            throw badField("override.end", "only with override.start: a moved occurrence gives its new start")
        }
        if let title = override.title { _ = try MeetingRules.text(title, field: "override.title") }
        let names = try await services.directory.actors(
            MeetingRules.namedActors(host: override.host, venue: override.venue, participants: nil, prefix: "override.")
        )
        try MeetingRules.checkCommon(agenda: override.agenda, participants: nil, reminders: nil, prefix: "override.")
        try await checkPlans(
            (override.agenda ?? []).map(\.actionPlan), field: "override.agenda", directory: services.directory)
        try await checkOutcomes(override.outcomes, field: "override.outcomes", directory: services.directory)
        var memberships: [Membership]?
        if override.host != nil, let network = series.fields.network {
            memberships = try await services.directory.memberships(of: network, field: "series.network")
        }
        return (series, key, memberships, names)
    }

    static func isOccurrence(_ key: String, of engine: SeriesEngine) throws -> Bool {
        guard let (time, _) = RecurrenceRequest.parse(key) else { return false }
        let (found, _) = try engine.originals(
            after: .local(CivilDateTime(wallSeconds: time.wallSeconds - 1)), before: .local(time), limit: 2)
        return found.contains { engine.key(of: $0) == key }
    }

    /// Sets the series' reminders for its occurrences within the horizon, in `transaction`.
    static func refreshReminders(of series: Series, services: Services, transaction: WriteTransaction) throws {
        let store = SchedulingStore(db: transaction.db)
        let offsets = try MeetingRules.offsets(
            series.fields.reminders, field: "series.reminders", defaults: services.reminders)
        let engine = try SeriesEngine(series: series)
        try Reminders.apply(
            owner: "series:\(series.id)",
            planned: Reminders.forSeries(
                engine, overrides: store.overrides(of: series.id), offsets: offsets, now: transaction.now),
            store: store, transaction: transaction)
    }

    static func refreshReminders(of id: String, services: Services) async throws {
        try await services.store.write { transaction in
            guard let series = try SchedulingStore(db: transaction.db).series(id) else { return }
            try refreshReminders(of: series, services: services, transaction: transaction)
        }
    }
}
