import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Registry
import Testing

/// DRR and climate-adaptation action plans (seed 002, article 6) and their review.
@Suite struct ActionPlanTests {
    func plan(_ registry: RegistryFixture) async throws -> ActionPlan {
        _ = try await registry.network("CSCCA")
        let osh = try await registry.city("Osh", "KG")
        return try await registry.harness.send(
            AdoptActionPlan(
                network: "CSCCA", actor: osh.id, title: "Osh DRR and climate adaptation plan",
                themes: ["drr", "climate_adaptation"], adoptedOn: "2025-12-01",
                actions: [
                    PlanAction(
                        key: "1", title: "Early-warning system for mudflows", owner: osh.id, deadline: "2027-06-30",
                        indicators: [
                            Indicator(
                                key: "coverage", name: "Residents covered by warnings", unit: "%", baseline: 20,
                                target: 80)
                        ]),
                    PlanAction(key: "2", title: "Heat action plan", deadline: "2026-09-30"),
                ]))
    }

    @Test func aReviewSeesWhatChangedSinceTheLastDialogue() async throws {
        let registry = try await RegistryFixture()
        let plan = try await plan(registry)
        _ = try await registry.harness.send(
            RecordProgress(
                plan: plan.id, action: "1", on: "2026-03-01", status: .inProgress,
                values: [IndicatorValue(indicator: "coverage", value: 35)]))
        _ = try await registry.harness.send(
            RecordProgress(plan: plan.id, action: "2", on: "2026-04-01", note: "Consultations held"))
        // The dialogue was on 2026-05-15; later reports are what changed.
        let update = try await registry.harness.send(
            RecordProgress(
                plan: plan.id, action: "1", on: "2026-10-01",
                values: [IndicatorValue(indicator: "coverage", value: 50)],
                note: "Sirens in two districts"))
        #expect(update.changes == [ProgressUpdate.Change(indicator: "coverage", from: 35, to: 50)])
        let changes = try await registry.harness.send(GetPlanChanges(plan: plan.id, since: "2026-05-15"))
        #expect(changes.actions.map(\.action) == ["1"])
        let action = changes.actions[0]
        #expect(action.statusThen == .inProgress)
        #expect(action.statusNow == .inProgress)
        #expect(
            action.indicators == [
                PlanChanges.IndicatorChange(
                    indicator: "coverage", name: "Residents covered by warnings", then: 35, now: 50, target: 80,
                    progress: 0.5)
            ])
        #expect(action.updates.map(\.note) == ["Sirens in two districts"])
        let everything = try await registry.harness.send(GetPlanChanges(plan: plan.id, since: "2025-12-01"))
        #expect(everything.actions.map(\.action) == ["1", "2"])
        #expect(everything.actions[0].indicators[0].then == 20, "the baseline before any report")
        #expect(everything.actions[0].statusThen == .planned)

        let current = try await registry.harness.send(GetActionPlan(id: plan.id))
        #expect(current.actions[0].indicators[0].current == 50)
        #expect(current.actions[0].indicators[0].reportedOn == "2026-10-01")
        #expect(current.version == 4)
    }

    @Test func aBackdatedReportDoesNotOverwriteTheLatestValue() async throws {
        let registry = try await RegistryFixture()
        let plan = try await plan(registry)
        _ = try await registry.harness.send(
            RecordProgress(
                plan: plan.id, action: "1", on: "2026-10-01", values: [IndicatorValue(indicator: "coverage", value: 50)]
            ))
        _ = try await registry.harness.send(
            RecordProgress(
                plan: plan.id, action: "1", on: "2026-03-01", values: [IndicatorValue(indicator: "coverage", value: 35)]
            ))
        let current = try await registry.harness.send(GetActionPlan(id: plan.id))
        #expect(current.actions[0].indicators[0].current == 50)
        let changes = try await registry.harness.send(GetPlanChanges(plan: plan.id, since: "2026-05-15"))
        #expect(changes.actions[0].indicators[0].then == 35)
    }

    @Test func reportsAndActionsAreValidated() async throws {
        let registry = try await RegistryFixture()
        let plan = try await plan(registry)
        await expectError(.notFound, containing: "has no action \"9\"; it has 1, 2") {
            _ = try await registry.harness.send(RecordProgress(plan: plan.id, action: "9", status: .done))
        }
        await expectError(.notFound, containing: "values[0].indicator: action 1 has no indicator \"trees\"") {
            _ = try await registry.harness.send(
                RecordProgress(plan: plan.id, action: "1", values: [IndicatorValue(indicator: "trees", value: 1)]))
        }
        await expectError(.badRequest, containing: "status, values or note: give at least one") {
            _ = try await registry.harness.send(RecordProgress(plan: plan.id, action: "1"))
        }
        await expectError(.conflict, containing: "action.key: the plan has an action \"2\" already") {
            _ = try await registry.harness.send(
                AddPlanAction(plan: plan.id, version: 1, action: PlanAction(key: "2", title: "Again")))
        }
        await expectError(.badRequest, containing: "actions[0].indicators[1].key: indicator \"a\" appears twice") {
            _ = try await registry.harness.send(
                AdoptActionPlan(
                    network: "CSCCA", title: "P",
                    actions: [
                        PlanAction(
                            key: "1", title: "A",
                            indicators: [Indicator(key: "a", name: "A"), Indicator(key: "a", name: "B")])
                    ]))
        }
        let added = try await registry.harness.send(
            AddPlanAction(plan: plan.id, version: 1, action: PlanAction(key: "3", title: "Green roofs")))
        #expect(added.actions.map(\.key) == ["1", "2", "3"])
        await expectError(.conflict, containing: "is at version 2, not 1") {
            _ = try await registry.harness.send(
                AddPlanAction(plan: plan.id, version: 1, action: PlanAction(key: "4", title: "Late")))
        }
    }
}
