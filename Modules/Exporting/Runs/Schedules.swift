import ConcordKit
import Contracts
import Foundation

/// Recurring exports: an RRULE in a zone, expanded by scheduling's `scheduling.recurrence.expand`, each next run
/// on a durable timer (`exports.schedule.due`), so runs survive restarts and a late one runs once at start-up.
struct Schedules: Sendable {
    let context: ModuleContext
    let exporter: Exporter

    private static func timerKey(_ id: String) -> String { "export:\(id)" }

    /// What a schedule runs: its format and scope, into its path (its id when it names none).
    private static func request(_ schedule: ExportSchedule) -> RunExport {
        RunExport(
            format: schedule.fields.format, scope: schedule.fields.scope, path: schedule.fields.path ?? schedule.id)
    }

    func set(_ command: ScheduleExport) async throws -> ExportSchedule {
        let fields = command.schedule
        let id = command.id ?? EntityID.next()
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_")
        guard (1...64).contains(id.count), id.allSatisfy(allowed.contains) else {
            throw ConcordError.badRequest(
                "id: expected 1 to 64 lowercase letters, digits, '-' and '_', got \"\(id.prefix(80))\"")
        }
        try Exporter.check(fields.format, fields.scope ?? ExportScope(), prefix: "schedule.scope")
        _ = try ExportFolder.target(fields.path ?? id, field: fields.path == nil ? "id" : "schedule.path")
        if let keep = fields.keep, !(1...1000).contains(keep) {
            throw ConcordError.badRequest("schedule.keep: expected an integer from 1 to 1000, got \(keep)")
        }
        if let zone = fields.timeZone, TimeZone(identifier: zone) == nil {
            throw ConcordError.badRequest(
                "schedule.time_zone: expected an IANA zone such as \"Asia/Bangkok\", got \"\(zone)\"")
        }
        if let network = fields.scope?.network {
            _ = try await Sources(bus: context.bus).network(network, field: "schedule.scope.network")
        }
        guard fields.rrule != nil || fields.follow == true else {
            throw ConcordError.badRequest(
                "schedule.rrule: missing; a schedule runs by a rule, after every change (follow: true), or both")
        }
        let now = context.clock.now()
        var next: Date?
        if fields.rrule != nil {
            next = try await nextRun(fields, after: now)
            guard next != nil else {
                throw ConcordError.badRequest(
                    "schedule.rrule: the rule never fires after \(ExportJob.utc(now)); expected one with runs to come")
            }
        }
        let schedule = ExportSchedule(id: id, fields: fields, nextRun: next.map(ExportJob.utc))
        try await context.store.write { [next] transaction in
            try ExportsStore(db: transaction.db).save(schedule)
            transaction.emit(ExportScheduled(schedule: schedule))
            if let next {
                try transaction.schedule(
                    ExportDue(schedule: id, due: ExportJob.utc(next)), at: next, key: Self.timerKey(id))
            } else {
                transaction.cancelTimer(key: Self.timerKey(id))
            }
        }
        return schedule
    }

    func remove(_ id: String) async throws {
        try await context.store.write { transaction in
            guard try ExportsStore(db: transaction.db).removeSchedule(id) else {
                throw ConcordError.notFound("id: no export schedule \"\(id.prefix(80))\"")
            }
            transaction.cancelTimer(key: Self.timerKey(id))
            transaction.emit(ExportUnscheduled(id: id))
        }
    }

    /// A schedule's timer fired: the next run is set first (so a crash during this one loses no later run), then
    /// the export runs; a failure is recorded and announced by the exporter.
    func fire(_ due: ExportDue) async {
        // A timer missed while the daemon was down fires as it starts, before it takes queries.
        guard await acceptingQueries() else { return }
        do {
            guard
                let schedule = try await context.store.read({ db in try ExportsStore(db: db).schedule(due.schedule) }),
                schedule.nextRun == due.due
            else { return }
            let now = context.clock.now()
            let dueDate = (try? Date(due.due, strategy: .iso8601)) ?? now
            let next = try await nextRun(schedule.fields, after: max(now, dueDate))
            var updated = schedule
            updated.nextRun = next.map(ExportJob.utc)
            try await context.store.write { [updated] transaction in
                try ExportsStore(db: transaction.db).save(updated)
                if let next {
                    try transaction.schedule(
                        ExportDue(schedule: updated.id, due: ExportJob.utc(next)), at: next,
                        key: Self.timerKey(updated.id))
                }
            }
            _ = try await exporter.run(Self.request(schedule), schedule: updated)
        } catch {
            context.logger.error(
                "a scheduled export did not run", metadata: ["schedule": "\(due.schedule)", "error": "\(error)"])
        }
    }

    /// Waits (up to a minute) while the daemon is starting and answers `unavailable`; false if it never answers.
    private func acceptingQueries() async -> Bool {
        for _ in 0..<3000 {
            do {
                _ = try await context.send(GetEventsHead())
                return true
            } catch let error as ConcordError where error.code == .unavailable {
                try? await Task.sleep(for: .milliseconds(20))
            } catch {
                break
            }
        }
        context.logger.error("scheduled exports cannot run: the daemon does not answer events.head")
        return false
    }

    /// The registry or scheduling changed: the schedules that follow changes run (each finds for itself whether
    /// anything changed since its last run, and keeps its files if not).
    func followChanges() async {
        let following: [ExportSchedule]
        do {
            following = try await context.store.read { db in try ExportsStore(db: db).schedules() }
                .filter { $0.fields.follow == true }
        } catch {
            context.logger.error("the schedules that follow changes could not be read", metadata: ["error": "\(error)"])
            return
        }
        for schedule in following {
            do {
                _ = try await exporter.run(Self.request(schedule), schedule: schedule)
            } catch {
                context.logger.error(
                    "an export following changes did not run",
                    metadata: ["schedule": "\(schedule.id)", "error": "\(error)"])
            }
        }
    }

    /// The rule's first occurrence strictly after `date`, or nil when it has none (or there is no rule).
    private func nextRun(_ fields: ExportScheduleFields, after date: Date) async throws -> Date? {
        guard let rrule = fields.rrule else { return nil }
        let zoneName = fields.timeZone ?? "UTC"
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: zoneName) ?? .gmt
        let today = calendar.dateComponents([.year, .month, .day], from: context.clock.now())
        let dtstart =
            fields.dtstart
            ?? String(format: "%04d-%02d-%02dT00:00:00", today.year ?? 1970, today.month ?? 1, today.day ?? 1)
        let expansion: RecurrenceExpansion
        do {
            expansion = try await context.send(
                ExpandRecurrence(
                    dtstart: dtstart, rrule: rrule, timeZone: zoneName, after: ExportJob.utc(date), limit: 1))
        } catch let error as ConcordError where error.code == .badRequest {
            throw ConcordError.badRequest("schedule.\(error.message)")
        }
        guard let first = expansion.occurrences.first else { return nil }
        guard let utc = first.utc, let instant = try? Date(utc.text, strategy: .iso8601) else {
            throw ConcordError.badRequest(
                "schedule.dtstart: expected a local date-time (2027-01-01T02:00:00), not a date; an export runs at a time of day"
            )
        }
        return instant
    }
}
