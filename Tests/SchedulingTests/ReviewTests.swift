import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Testing

/// The Mekong review cycle: each dialogue reviews the action plans, with what changed since the one before.
@Suite struct ReviewTests {
    @Test func aDialogueSeesWhatChangedSinceThePreviousOne() async throws {
        let fixture = try await SchedulingFixture()
        defer { Task { await fixture.close() } }
        _ = try await fixture.network("UMCI")
        let vientiane = try await fixture.city("Vientiane", "LA", "Asia/Vientiane")
        try await fixture.member(vientiane, of: "UMCI", from: "2024-02-27")
        let plan = try await fixture.send(
            AdoptActionPlan(
                network: "UMCI", title: "Corridor action plan", adoptedOn: "2024-02-27",
                actions: [
                    PlanAction(
                        key: "1", title: "Flood early warning",
                        indicators: [Indicator(key: "cities", name: "Cities covered", baseline: 0, target: 10)]),
                    PlanAction(key: "2", title: "Green bonds"),
                ]))
        let series = try await fixture.send(
            CreateSeries(
                series: SeriesFields(
                    kind: .dialogue, title: "{ordinal} Dialogue", network: "UMCI", firstNumber: 1,
                    dtstart: "2024-02-27T09:00:00", duration: "PT8H", rrule: "FREQ=MONTHLY;INTERVAL=6;COUNT=6",
                    host: vientiane.id, venue: Venue(actor: vientiane.id), reviewPlans: [plan.id], reminders: []))
        )
        #expect(series.series.fields.timeZone == "Asia/Vientiane")
        _ = try await fixture.send(
            RecordProgress(
                plan: plan.id, action: "1", on: "2024-05-01", status: .inProgress,
                values: [IndicatorValue(indicator: "cities", value: 2)]))
        _ = try await fixture.send(
            RecordProgress(plan: plan.id, action: "2", on: "2024-09-15", note: "Feasibility study"))
        let second = try await fixture.send(
            GetReviewBrief(series: series.series.id, originalStart: "2024-08-27T09:00:00"))
        #expect(second.previous == "2024-02-27")
        #expect(second.occurrence.title == "2nd Dialogue")
        #expect(second.plans.first?.actions.map(\.action) == ["1", "2"], "every report since, up to now")
        #expect(second.plans.first?.actions.first?.indicators.first?.now == 2)
        // The third dialogue is cancelled: the fourth reviews since the second.
        _ = try await fixture.send(
            OverrideOccurrence(
                series: series.series.id,
                override: OccurrenceOverride(originalStart: "2025-02-27T09:00:00", status: .cancelled)))
        let fourth = try await fixture.send(
            GetReviewBrief(series: series.series.id, originalStart: "2025-08-27T09:00:00"))
        #expect(fourth.previous == "2024-08-27")
        #expect(fourth.occurrence.number == 3)
        #expect(fourth.plans.first?.actions.map(\.action) == ["2"])
        let first = try await fixture.send(
            GetReviewBrief(series: series.series.id, originalStart: "2024-02-27T09:00:00"))
        #expect(first.previous == nil)
        #expect(first.since == "2024-02-27")
        var unknown = series.series.fields
        unknown.reviewPlans = [plan.id, "no-such-plan"]
        let refused = try #require(await fixture.failure(CreateSeries(series: unknown)))
        #expect(refused.message == "series.review_plans[1]: no action plan \"no-such-plan\" in the registry")
    }
}
