import ConcordKit
import Contracts
import Foundation

/// The review cycle: what changed in the plans an occurrence reviews since the previous occurrence.
extension SchedulingModule {
    static func startReviews(context: ModuleContext, services: Services) throws {
        let store = services.store
        try context.handle(GetReviewBrief.self) { query, _ in
            let (series, overrides) = try await store.read { db in
                let store = SchedulingStore(db: db)
                let series = try store.requireSeries(query.series)
                return (series, try store.overrides(of: series.id))
            }
            let engine = try SeriesEngine(series: series)
            let key = try engine.normalizedKey(query.originalStart, field: "original_start")
            guard let (time, _) = RecurrenceRequest.parse(key) else {
                throw badField("original_start", "expected a local date-time or a date, got \"\(key)\"")
            }
            let (items, _) = try engine.items(before: .local(time), limit: maximumLimit, overrides: overrides)
            guard let item = items.last, item.key == key else {
                throw badField("original_start", "\(key) is not an occurrence of series \(series.id)")
            }
            var number: Int?
            if let first = series.fields.firstNumber, !item.isCancelled {
                number = first + items.dropLast().count { !$0.isCancelled }
            }
            let previous = items.dropLast().last { !$0.isCancelled && $0.status != .postponed }
            var plans = series.fields.reviewPlans ?? []
            for plan in (item.override?.agenda ?? []).compactMap(\.actionPlan) where !plans.contains(plan) {
                plans.append(plan)
            }
            let previousDate = previous.map { String($0.placed.startText.prefix(10)) }
            var changes: [PlanChanges] = []
            var since = previousDate
            for plan in plans {
                var from = previousDate
                if from == nil {
                    // The first review counts everything since the plan was adopted.
                    let adopted = try await services.directory.bus.send(GetActionPlan(id: plan)).adoptedOn
                    from = adopted ?? "1970-01-01"
                    since = since.map { min($0, from ?? $0) } ?? from
                }
                changes.append(try await services.directory.bus.send(GetPlanChanges(plan: plan, since: from ?? "")))
            }
            return ReviewBrief(
                series: series.id, occurrence: engine.occurrence(item, number: number, host: nil),
                previous: previousDate, since: since ?? String(series.fields.dtstart.prefix(10)), plans: changes)
        }
    }
}
