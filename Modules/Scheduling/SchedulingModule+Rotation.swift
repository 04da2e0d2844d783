import ConcordKit
import Contracts
import Foundation

/// Host rotation: who hosts the next occurrences and why; decisions recorded per occurrence.
extension SchedulingModule {
    static func startRotation(context: ModuleContext, services: Services) throws {
        let store = services.store
        try context.handle(NextHosts.self) { query, _ in
            let count = query.count ?? 1
            guard (1...1000).contains(count) else { throw badField("count", "expected 1..1000, got \(count)") }
            let series = try await store.read { db in try SchedulingStore(db: db).requireSeries(query.series) }
            return RotationForecast(
                series: series.id,
                turns: try await upcomingTurns(
                    of: series, after: query.after, count: count, services: services))
        }
        try context.handle(ConfirmRotation.self) { command, _ in
            guard (1...1000).contains(command.count) else {
                throw badField("count", "expected 1..1000, got \(command.count)")
            }
            let series = try await store.read { db in try SchedulingStore(db: db).requireSeries(command.series) }
            guard series.fields.rotation != nil else {
                throw badField("series", "series \(series.id) has no rotation policy")
            }
            let turns = try await upcomingTurns(of: series, after: nil, count: command.count, services: services)
            let today = date(services.clock.now())
            return try await store.write { transaction in
                let store = SchedulingStore(db: transaction.db)
                var confirmed: [HostTurn] = []
                for var turn in turns {
                    if turn.basis == "computed", let host = turn.host {
                        let decision = HostDecision(
                            originalStart: turn.originalStart, kind: .rotation, actor: host, reason: turn.reason,
                            decidedOn: today)
                        try store.record(decision, of: series.id)
                        transaction.emit(HostDecided(series: series.id, decision: decision))
                        turn.basis = "rotation"
                    }
                    confirmed.append(turn)
                }
                return RotationForecast(series: series.id, turns: confirmed)
            }
        }
        try context.handle(DecideHost.self) { command, _ in
            guard command.kind != .rotation else {
                throw badField(
                    "kind",
                    "expected override, declined or volunteered; record the rotation's choice with "
                        + "scheduling.rotation.confirm")
            }
            let reason = try MeetingRules.text(command.reason, field: "reason", limit: 4000)
            let series = try await store.read { db in try SchedulingStore(db: db).requireSeries(command.series) }
            let engine = try SeriesEngine(series: series)
            let key = try engine.normalizedKey(command.originalStart, field: "original_start")
            guard try isOccurrence(key, of: engine) else {
                throw badField("original_start", "\(key) is not an occurrence of series \(series.id)")
            }
            let actor = try await services.directory.actor(command.actor, field: "actor")
            var warnings: [SchedulingWarning] = []
            if command.kind == .override, let network = series.fields.network {
                let memberships = try await services.directory.memberships(of: network, field: "series.network")
                if let warning = Conflicts.hostWarning(
                    host: actor.id, network: network, memberships: memberships, on: String(key.prefix(10)),
                    names: [actor.id: actor])
                {
                    warnings.append(warning)
                }
            }
            let decision = HostDecision(
                originalStart: key, kind: command.kind, actor: actor.id, reason: reason,
                decidedOn: date(services.clock.now()))
            let found = warnings
            try await store.write { transaction in
                let store = SchedulingStore(db: transaction.db)
                _ = try store.requireSeries(series.id)
                try store.record(decision, of: series.id)
                transaction.emit(HostDecided(series: series.id, decision: decision))
                if !found.isEmpty {
                    transaction.emit(ConflictDetected(subject: "\(series.id)/\(key)", warnings: found))
                }
            }
            // The decided occurrence and the three after it, as the rotation now stands.
            let before = CivilDateTime(wallSeconds: (RecurrenceRequest.parse(key)?.0.wallSeconds ?? 0) - 1)
            let turns = try await upcomingTurns(
                of: series, after: before.text(dateOnly: false), count: 4, services: services)
            return RotationForecast(series: series.id, turns: turns, warnings: warnings.isEmpty ? nil : warnings)
        }
    }

    /// A UTC calendar date as `YYYY-MM-DD`.
    static func date(_ instant: Date) -> String {
        CivilDateTime(wallSeconds: Int64(instant.timeIntervalSince1970.rounded(.down))).text(dateOnly: true)
    }

    /// The turns of the `count` occurrences after `after` (a local date-time, default now).
    static func upcomingTurns(of series: Series, after: String?, count: Int, services: Services) async throws
        -> [HostTurn]
    {
        let engine = try SeriesEngine(series: series)
        let bound: RecurrenceSet.Bound
        if let after {
            if engine.dateOnly, let (time, isDate) = RecurrenceRequest.parse(after), !isDate {
                bound = .local(CivilDateTime(year: time.year, month: time.month, day: time.day))
            } else {
                bound = try engine.bound(after, field: "after")
            }
        } else {
            bound = .utc(Int64(services.clock.now().timeIntervalSince1970.rounded(.down)))
        }
        let (earlier, truncated) = try engine.originals(before: bound, limit: maximumLimit)
        guard !truncated else {
            throw ConcordError(.tooLarge, "after: more than \(maximumLimit) occurrences come before it")
        }
        let (_, turns) = try await hostTurns(
            of: series, engine: engine, limit: min(maximumLimit, earlier.count + count), services: services)
        return Array(turns.dropFirst(earlier.count).prefix(count))
    }

    /// The series' first `limit` occurrences and their hosts.
    static func hostTurns(of series: Series, engine: SeriesEngine, limit: Int, services: Services) async throws
        -> ([SeriesEngine.Item], [HostTurn])
    {
        let (overrides, decisions) = try await services.store.read { db in
            let store = SchedulingStore(db: db)
            return (try store.overrides(of: series.id), try store.decisions(of: series.id))
        }
        let (items, _) = try engine.items(limit: limit, overrides: overrides)
        var numbers: [Int?] = []
        var count = 0
        for item in items {
            if let first = series.fields.firstNumber, !item.isCancelled {
                numbers.append(first + count)
                count += 1
            } else {
                numbers.append(nil)
            }
        }
        guard let policy = series.fields.rotation else {
            var names: [String: String] = [:]
            if let host = series.fields.host {
                names[host] = try await services.directory.actor(host, field: "series.host").fields.name
            }
            let turns = zip(items, numbers).map { item, number in
                let host = item.override?.host ?? series.fields.host
                let basis =
                    item.isCancelled ? "none" : item.override?.host != nil ? "override" : host == nil ? "none" : "fixed"
                let reason =
                    item.isCancelled
                    ? "cancelled"
                    : item.override?.host != nil
                        ? "override: \(item.override?.reason ?? "set for this occurrence")"
                        : host == nil ? "the series names no host" : "the series' host"
                return HostTurn(
                    originalStart: item.key, number: number, host: item.isCancelled ? nil : host,
                    hostName: host.map { names[$0] ?? $0 }, basis: basis, reason: reason)
            }
            return (items, turns)
        }
        var memberships: [Membership] = []
        if let network = series.fields.network {
            memberships = try await services.directory.memberships(of: network, field: "series.network")
        }
        var ids = Set(memberships.map(\.actor))
        ids.formUnion(policy.members ?? [])
        if let after = policy.after { ids.insert(after) }
        ids.formUnion(decisions.map(\.actor))
        var actors: [String: ActorRecord] = [:]
        for id in ids.sorted() { actors[id] = try? await services.directory.actor(id, field: "actor") }
        let rotation = Rotation(
            policy: policy, memberships: memberships, actors: actors,
            decisions: decisions)
        return (items, rotation.turns(items, numbers: numbers))
    }

    /// Who hosted the last occurrence before `from`, for the rotation of a split's new series.
    static func lastHost(before from: String, of series: Series, services: Services) async throws -> String? {
        let engine = try SeriesEngine(series: series)
        let key = try engine.normalizedKey(from, field: "from")
        guard let (time, _) = RecurrenceRequest.parse(key) else { return nil }
        let (earlier, _) = try engine.originals(
            before: .local(CivilDateTime(wallSeconds: time.wallSeconds - 1)), limit: maximumLimit)
        let (_, turns) = try await hostTurns(
            of: series, engine: engine, limit: max(1, earlier.count), services: services)
        return turns.prefix(earlier.count).last(where: { $0.host != nil })?.host
    }
}
