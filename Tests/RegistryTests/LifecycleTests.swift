import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Registry
import Testing

/// The register's changes after creation: network details, rule retirement, suspension, inactive actors.
@Suite struct LifecycleTests {
    @Test func aNetworkUpdateChangesTheGivenFieldsChecksTheVersionAndIsAnEvent() async throws {
        let registry = try await RegistryFixture()
        let umci = try await registry.network("UMCI", "Urban Mekong Corridor")
        let vientiane = try await registry.city("Vientiane", "LA")

        let updated = try await registry.harness.send(
            UpdateNetwork(
                id: "UMCI", version: 1, name: "Urban Mekong Corridor Initiative", secretariat: vientiane.id,
                charter: "seven commitments"))

        #expect(updated.name == "Urban Mekong Corridor Initiative")
        #expect(updated.secretariat == vientiane.id)
        #expect(updated.acronym == umci.acronym)
        #expect(updated.version == 2)
        await expectError(.conflict, containing: "at version 2, not 1") {
            _ = try await registry.harness.send(UpdateNetwork(id: umci.id, version: 1, name: "again"))
        }
        await expectError(.notFound, containing: "secretariat") {
            _ = try await registry.harness.send(UpdateNetwork(id: umci.id, version: 2, secretariat: "nobody"))
        }
        let events = try await registry.harness.journaled(prefixes: ["registry.network.updated"])
        #expect(events.count == 1)
    }

    @Test func retiringARuleEndsWhatItDerivedAndTheChainInOneTransaction() async throws {
        let registry = try await RegistryFixture()
        try await registry.jointMembershipRules()
        let jakarta = try await registry.city("Jakarta", "ID", population: 10_562_088, capital: .national)
        _ = try await registry.join(jakarta, "ASPAC")
        #expect(Set(try await registry.active(jakarta).keys) == ["ASPAC", "METROPOLIS", "UCLG"])
        let rules = try await registry.harness.send(ListRules(network: "ASPAC")).rules
        let toMetropolis = try #require(rules.first { $0.name.hasPrefix("ASPAC capitals") })
        let head = registry.harness.journal.headSeq
        let transactions = registry.harness.journal.transactionCount

        let retired = try await registry.harness.send(RetireRule(id: toMetropolis.id, version: 1, reason: "ended"))

        #expect(registry.harness.journal.transactionCount == transactions + 1)
        #expect(retired.rule.retired != nil)
        #expect(retired.ended.count == 2, "the Metropolis membership and the UCLG one derived from it")
        #expect(Set(try await registry.active(jakarta).keys) == ["ASPAC"])
        let topics = try await registry.harness.journaled(after: head).map(\.topic.rawValue)
        #expect(topics.sorted() == ["registry.membership.ended", "registry.membership.ended", "registry.rule.retired"])
        // A retired rule derives nothing any more, and cannot be retired twice.
        let seoul = try await registry.city("Seoul", "KR", population: 9_411_000, capital: .national)
        #expect(try await registry.join(seoul, "ASPAC").derivedStarted.isEmpty)
        await expectError(.conflict, containing: "retired already") {
            _ = try await registry.harness.send(RetireRule(id: toMetropolis.id, version: 2))
        }
        #expect(try await registry.harness.send(ListRules()).rules.count == 3)
    }

    @Test func derivedMembershipsAreSuspendedWithTheirSourceAndReinstatedWithIt() async throws {
        let registry = try await RegistryFixture()
        try await registry.jointMembershipRules()
        let jakarta = try await registry.city("Jakarta", "ID", population: 10_562_088, capital: .national)
        let joined = try await registry.join(jakarta, "ASPAC")

        let suspended = try await registry.harness.send(
            SuspendMembership(id: joined.membership.id, version: 1, reason: "dues unpaid"))

        #expect(suspended.membership.status == .suspended)
        #expect(suspended.derivedSuspended?.count == 2)
        #expect(suspended.derivedEnded.isEmpty)
        #expect(try await registry.active(jakarta).isEmpty)
        let all = try await registry.harness.send(ListMemberships(actor: jakarta.id)).memberships
        #expect(all.allSatisfy { $0.status == .suspended })

        let reinstated = try await registry.harness.send(
            ReinstateMembership(id: joined.membership.id, version: suspended.membership.version))
        #expect(reinstated.membership.status == .active)
        #expect(reinstated.derivedReinstated?.count == 2)
        let active = try await registry.active(jakarta)
        #expect(Set(active.keys) == ["ASPAC", "METROPOLIS", "UCLG"])
        #expect(Set(active.values.map(\.id)) == Set([joined.membership.id] + joined.derivedStarted.map(\.id)))

        let derived = try #require(joined.derivedStarted.first)
        await expectError(.conflict, containing: "follows its source") {
            _ = try await registry.harness.send(SuspendMembership(id: derived.id, version: derived.version))
        }
        await expectError(.conflict, containing: "only a suspended membership") {
            _ = try await registry.harness.send(
                ReinstateMembership(id: joined.membership.id, version: reinstated.membership.version))
        }
        await expectError(.badRequest, containing: "registry.membership.suspend") {
            _ = try await registry.harness.send(
                EndMembership(id: joined.membership.id, version: reinstated.membership.version, status: .suspended))
        }
        let topics = try await registry.harness.journaled(prefixes: ["registry.membership.s", "registry.membership.r"])
        #expect(topics.filter { $0.topic.rawValue == "registry.membership.suspended" }.count == 3)
        #expect(topics.filter { $0.topic.rawValue == "registry.membership.reinstated" }.count == 3)
    }

    @Test func anInactiveActorKeepsItsHistoryAndItsMembershipsEnd() async throws {
        let registry = try await RegistryFixture()
        try await registry.jointMembershipRules()
        _ = try await registry.network("CSCCA", "Coalition of Sustainable Cities in Central Asia")
        let almaty = try await registry.city("Almaty", "KZ", population: 2_228_000)
        _ = try await registry.join(almaty, "ASPAC")
        _ = try await registry.join(almaty, "CSCCA")

        let deactivation = try await registry.harness.send(
            DeactivateActor(id: almaty.id, version: 1, reason: "merged into the metropolitan region", on: "2026-11-30"))

        #expect(deactivation.actor.inactiveSince == "2026-11-30")
        #expect(deactivation.ended.count == 4, "ASPAC, CSCCA, and Metropolis and UCLG derived from ASPAC")
        #expect(try await registry.active(almaty).isEmpty)
        let read = try await registry.harness.send(GetActor(id: almaty.id))
        #expect(read.inactiveReason == "merged into the metropolitan region")
        await expectError(.conflict, containing: "no longer active") {
            _ = try await registry.join(read, "CSCCA")
        }
        await expectError(.conflict, containing: "inactive already") {
            _ = try await registry.harness.send(DeactivateActor(id: almaty.id, version: read.version))
        }
        let history = try await registry.harness.send(GetHistory(id: almaty.id)).events
        #expect(history.first?["topic"] == .string("registry.actor.registered"))
        #expect(history.contains { $0["topic"] == .string("registry.actor.deactivated") })
        #expect(history.filter { $0["topic"] == .string("registry.membership.ended") }.count == 4)
    }

    @Test func historyComesFromTheJournalsIndexAndNamesOnlyTheEntity() async throws {
        let registry = try await RegistryFixture()
        let osh = try await registry.city("Osh", "KG")
        let bishkek = try await registry.city("Bishkek", "KG")
        _ = try await registry.harness.send(
            UpdateActor(id: osh.id, version: 1, actor: ActorFields(name: "Osh", kind: .city, country: "KG")))
        let replay = try await registry.harness.send(ReplayEvents(afterSeq: 0, subject: osh.id.uppercased()))
        #expect(replay.events.count == 2)
        let history = try await registry.harness.send(GetHistory(id: osh.id)).events
        #expect(
            history.map { $0["topic"] } == [.string("registry.actor.registered"), .string("registry.actor.updated")])
        #expect(try await registry.harness.send(GetHistory(id: bishkek.id)).events.count == 1)
    }
}
