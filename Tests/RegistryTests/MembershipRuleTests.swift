import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Registry
import Testing

@Suite struct MembershipRuleTests {
    @Test func anAspacCapitalJoinsMetropolisAndThenUCLGByAChainOfRules() async throws {
        let registry = try await RegistryFixture()
        try await registry.jointMembershipRules()
        let jakarta = try await registry.city("Jakarta", "ID", population: 10_562_088, capital: .national)
        let change = try await registry.join(jakarta, "ASPAC")
        #expect(Set(change.derivedStarted.map(\.basis.rule).compactMap { $0 }).count == 2)

        let active = try await registry.active(jakarta)
        #expect(Set(active.keys) == ["ASPAC", "METROPOLIS", "UCLG"])
        #expect(active["METROPOLIS"]?.basis.kind == .rule)
        #expect(active["METROPOLIS"]?.basis.source == active["ASPAC"]?.id, "derived from the ASPAC membership")
        #expect(active["UCLG"]?.basis.source == active["METROPOLIS"]?.id, "chained from the derived one")
        // ASPAC is the source of the chain; the Metropolis -> ASPAC rule does not derive it again.
        #expect(active["ASPAC"]?.basis.kind == .accession)

        let events = try await registry.harness.journaled(prefixes: ["registry.membership."])
        #expect(events.map(\.topic.rawValue).filter { $0 == "registry.membership.started" }.count == 3)
    }

    @Test func aSmallAspacMemberDoesNotJoinMetropolis() async throws {
        let registry = try await RegistryFixture()
        try await registry.jointMembershipRules()
        let hue = try await registry.city("Huế", "VN", population: 652_572)
        let change = try await registry.join(hue, "ASPAC")
        #expect(change.derivedStarted.isEmpty)
        #expect(Set(try await registry.active(hue).keys) == ["ASPAC"])
    }

    @Test func aReciprocalCycleEndsAndDoesNotSustainItself() async throws {
        let registry = try await RegistryFixture()
        try await registry.jointMembershipRules()
        // Seoul joins Metropolis; the rules make it a member of ASPAC and UCLG, and ASPAC's rule back to
        // Metropolis does not derive the membership it came from.
        let seoul = try await registry.city("Seoul", "KR", population: 9_411_000, capital: .national)
        let joined = try await registry.join(seoul, "METROPOLIS")
        #expect(joined.derivedStarted.count == 2)
        #expect(Set(try await registry.active(seoul).keys) == ["METROPOLIS", "ASPAC", "UCLG"])

        // Ending the one membership that is not derived ends everything derived from it.
        let ended = try await registry.harness.send(EndMembership(id: joined.membership.id, version: 1))
        #expect(ended.derivedEnded.count == 2)
        #expect(try await registry.active(seoul).isEmpty)
    }

    @Test func aCityOutsideAsiaPacificIsNotEnrolledInAspac() async throws {
        let registry = try await RegistryFixture()
        try await registry.jointMembershipRules()
        let montevideo = try await registry.city("Montevideo", "UY", population: 1_319_108, capital: .national)
        let change = try await registry.join(montevideo, "METROPOLIS")
        #expect(change.derivedStarted.isEmpty)
    }

    @Test func derivedMembershipsEndWhenTheActorStopsMeetingTheRule() async throws {
        let registry = try await RegistryFixture()
        try await registry.jointMembershipRules()
        let city = try await registry.city("Cebu", "PH", population: 1_024_945)
        _ = try await registry.join(city, "ASPAC")
        #expect(Set(try await registry.active(city).keys) == ["ASPAC", "METROPOLIS", "UCLG"])

        var fields = city.fields
        fields.population = 964_169
        _ = try await registry.harness.send(UpdateActor(id: city.id, version: 1, actor: fields))
        #expect(Set(try await registry.active(city).keys) == ["ASPAC"])
        let ended = try await registry.harness.send(ListMemberships(actor: city.id, status: .ended)).memberships
        #expect(ended.count == 2)
        #expect(ended.allSatisfy { $0.endReason?.contains("no longer derived") == true })
    }

    @Test func aDerivedMembershipCannotBeEndedOrAddedByHand() async throws {
        let registry = try await RegistryFixture()
        try await registry.jointMembershipRules()
        let tokyo = try await registry.city("Tokyo", "JP", population: 14_000_000, capital: .national)
        _ = try await registry.join(tokyo, "ASPAC")
        let derived = try #require(try await registry.active(tokyo)["METROPOLIS"])
        await expectError(.conflict, containing: "is derived by rule") {
            _ = try await registry.harness.send(EndMembership(id: derived.id, version: derived.version))
        }
        await expectError(.badRequest, containing: "basis.kind") {
            _ = try await registry.harness.send(
                AddMembership(
                    actor: tokyo.id, network: "UCLG", role: .member, basis: MembershipBasis(kind: .rule, rule: "x")))
        }
        await expectError(.conflict, containing: "already has a membership of METROPOLIS") {
            _ = try await registry.join(tokyo, "METROPOLIS", basis: .manual)
        }
    }

    @Test func aRuleDefinedLaterAppliesToTheCurrentMembers() async throws {
        let registry = try await RegistryFixture()
        _ = try await registry.network("ASPAC")
        _ = try await registry.network("METROPOLIS")
        let manila = try await registry.city("Manila", "PH", population: 1_846_513, capital: .national)
        let davao = try await registry.city("Davao", "PH", population: 1_776_949)
        let iloilo = try await registry.city("Iloilo", "PH", population: 457_626)
        for city in [manila, davao, iloilo] { _ = try await registry.join(city, "ASPAC") }
        let defined = try await registry.harness.send(
            DefineRule(
                name: "capitals", source: "ASPAC", target: "METROPOLIS",
                conditions: RuleConditions(capitals: [.national, .state])))
        #expect(defined.derived == 1)
        #expect(try await registry.active(manila)["METROPOLIS"] != nil)
        #expect(try await registry.active(davao)["METROPOLIS"] == nil)
    }

    @Test func jointMembersAreCountedWithTheBasisOfEachMembership() async throws {
        let registry = try await RegistryFixture()
        try await registry.jointMembershipRules()
        let jakarta = try await registry.city("Jakarta", "ID", population: 10_562_088, capital: .national)
        let seoul = try await registry.city("Seoul", "KR", population: 9_411_000, capital: .national)
        let hue = try await registry.city("Huế", "VN", population: 652_572)
        _ = try await registry.join(jakarta, "ASPAC")
        _ = try await registry.join(seoul, "METROPOLIS")
        _ = try await registry.join(hue, "ASPAC")
        let joint = try await registry.harness.send(GetJointMembers(first: "METROPOLIS", second: "ASPAC"))
        #expect(joint.count == 2)
        #expect(joint.members.map(\.name) == ["Jakarta", "Seoul"])
        let jakartaRow = try #require(joint.members.first { $0.name == "Jakarta" })
        #expect(jakartaRow.first.kind == .rule)
        #expect(jakartaRow.second.kind == .accession)
    }

    @Test func ruleConditionsAreValidated() async throws {
        let registry = try await RegistryFixture()
        _ = try await registry.network("A")
        await expectError(.badRequest, containing: "conditions.regions[0]") {
            _ = try await registry.harness.send(
                DefineRule(name: "x", source: "A", target: "A", conditions: RuleConditions(regions: ["asia"])))
        }
        await expectError(.badRequest, containing: "target: must differ from source") {
            _ = try await registry.harness.send(DefineRule(name: "x", source: "A", target: "A", conditions: .init()))
        }
        await expectError(.notFound, containing: "target: no network") {
            _ = try await registry.harness.send(DefineRule(name: "x", source: "A", target: "B", conditions: .init()))
        }
    }
}
