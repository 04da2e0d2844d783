import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Registry
import Testing

/// A registry on a real runtime and a temporary store, with the test clock.
final class RegistryFixture {
    let harness: TestHarness

    init() async throws {
        harness = try await TestHarness(modules: [RegistryModule()])
    }

    func city(
        _ name: String, _ country: String, population: Int64? = nil, capital: CapitalStatus? = nil,
        timeZone: String? = nil
    ) async throws -> ActorRecord {
        try await harness.send(
            RegisterActor(
                actor: ActorFields(
                    name: name, kind: .city, country: country, population: population, capital: capital,
                    timeZone: timeZone)))
    }

    func network(_ acronym: String, _ name: String? = nil) async throws -> Network {
        try await harness.send(CreateNetwork(name: name ?? acronym, acronym: acronym))
    }

    func join(_ actor: ActorRecord, _ network: String, basis: BasisKind = .accession) async throws -> MembershipChange {
        try await harness.send(
            AddMembership(
                actor: actor.id, network: network, role: .member,
                basis: MembershipBasis(kind: basis, decidedBy: basis == .manual ? "secretariat" : nil)))
    }

    func active(_ actor: ActorRecord) async throws -> [String: Membership] {
        let networks = try await harness.send(ListNetworks()).networks
        let list = try await harness.send(ListMemberships(actor: actor.id, status: .active)).memberships
        return Dictionary(
            uniqueKeysWithValues: list.map { membership in
                (networks.first { $0.id == membership.network }!.acronym, membership)
            })
    }

    /// The Metropolis / UCLG ASPAC agreement (seed 003) as rules: ASPAC members that are state capitals or
    /// have at least a million inhabitants join Metropolis; Metropolis members in Asia-Pacific join UCLG
    /// and UCLG ASPAC.
    func jointMembershipRules() async throws {
        _ = try await network("UCLG", "United Cities and Local Governments")
        _ = try await network("ASPAC", "UCLG Asia-Pacific")
        _ = try await network("METROPOLIS", "Metropolis")
        _ = try await harness.send(
            DefineRule(
                name: "ASPAC capitals and million-cities join Metropolis", source: "ASPAC", target: "METROPOLIS",
                conditions: RuleConditions(capitals: [.national, .state], minPopulation: 1_000_000)))
        _ = try await harness.send(
            DefineRule(
                name: "Asia-Pacific Metropolis members join UCLG ASPAC", source: "METROPOLIS", target: "ASPAC",
                conditions: RuleConditions(regions: ["asia_pacific"])))
        _ = try await harness.send(
            DefineRule(
                name: "Asia-Pacific Metropolis members join UCLG", source: "METROPOLIS", target: "UCLG",
                conditions: RuleConditions(regions: ["asia_pacific"])))
    }

    deinit {
        let harness = self.harness
        Task { await harness.close() }
    }
}

func expectError(_ code: ConcordError.Code, containing text: String, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected \(code.rawValue) containing \"\(text)\"")
    } catch let error as ConcordError {
        #expect(error.code == code)
        #expect(error.message.contains(text), "\(error.message)")
    } catch {
        Issue.record("unexpected \(error)")
    }
}

@Suite struct ActorTests {
    @Test func anActorGetsItsRegionAndSizeClass() async throws {
        let registry = try await RegistryFixture()
        let hue = try await registry.city("Huế", "VN", population: 652_572, timeZone: "Asia/Ho_Chi_Minh")
        #expect(hue.region == "035")
        #expect(hue.regionName == "Southeast Asia")
        #expect(hue.sizeClass == .intermediary)
        #expect(hue.version == 1)
        let fetched = try await registry.harness.send(GetActor(id: hue.id))
        #expect(fetched == hue)
        let journaled = try await registry.harness.journaled(prefixes: ["registry.actor."])
        #expect(journaled.map(\.topic.rawValue) == ["registry.actor.registered"])
    }

    @Test(arguments: [
        (Int64(49_999), SizeClass.small), (50_000, .intermediary), (999_999, .intermediary), (1_000_000, .large),
        (4_999_999, .large), (5_000_000, .metropolis),
    ])
    func sizeClassesFollowTheDocumentedThresholds(population: Int64, expected: SizeClass) {
        #expect(SizeClass(population: population) == expected)
    }

    @Test func badFieldsAreNamedWithTheExpectedForm() async throws {
        let registry = try await RegistryFixture()
        await expectError(.badRequest, containing: "actor.country: expected an ISO 3166-1 alpha-2") {
            _ = try await registry.city("Atlantis", "XX")
        }
        await expectError(.badRequest, containing: "actor.country") {
            _ = try await registry.city("Hanoi", "vn")
        }
        await expectError(.badRequest, containing: "actor.time_zone: expected an IANA time zone") {
            _ = try await registry.city("Osh", "KG", timeZone: "Asia/Osh")
        }
        await expectError(.badRequest, containing: "actor.population: expected a non-negative integer") {
            _ = try await registry.city("Osh", "KG", population: -3)
        }
        await expectError(.badRequest, containing: "actor.focal_points[0].email") {
            _ = try await registry.harness.send(
                RegisterActor(
                    actor: ActorFields(
                        name: "Osh", kind: .city, country: "KG",
                        focalPoints: [FocalPoint(name: "Mayor's office", email: "not an address")])))
        }
        #expect(try await registry.harness.journaled().isEmpty, "a refused command leaves no event")
    }

    @Test func aDuplicateNameInTheSameCountryConflictsUnlessForced() async throws {
        let registry = try await RegistryFixture()
        let first = try await registry.city("Osh", "KG")
        await expectError(.conflict, containing: first.id) { _ = try await registry.city("  osh ", "KG") }
        _ = try await registry.city("Osh", "KZ")
        let forced = try await registry.harness.send(
            RegisterActor(actor: ActorFields(name: "Osh", kind: .localGovernment, country: "KG"), force: true))
        #expect(forced.id != first.id)
    }

    @Test func aStaleVersionConflictsAndChangesNothing() async throws {
        let registry = try await RegistryFixture()
        let osh = try await registry.city("Osh", "KG", population: 322_000)
        var fields = osh.fields
        fields.population = 330_000
        let updated = try await registry.harness.send(UpdateActor(id: osh.id, version: 1, actor: fields))
        #expect(updated.version == 2)
        fields.population = 1
        await expectError(.conflict, containing: "is at version 2, not 1") {
            _ = try await registry.harness.send(UpdateActor(id: osh.id, version: 1, actor: fields))
        }
        #expect(try await registry.harness.send(GetActor(id: osh.id)).fields.population == 330_000)
        await expectError(.notFound, containing: "no actor with id") {
            _ = try await registry.harness.send(GetActor(id: "nobody"))
        }
    }

    @Test func listsFilterAndPageByName() async throws {
        let registry = try await RegistryFixture()
        let umci = try await registry.network("UMCI", "Urban Mekong Corridor Initiative")
        for (name, country, population) in [
            ("Vientiane", "LA", Int64(948_477)), ("Luang Prabang", "LA", 56_000), ("Phnom Penh", "KH", 2_281_951),
            ("Can Tho", "VN", 1_235_171), ("Huế", "VN", 652_572), ("Dushanbe", "TJ", 863_400),
        ] {
            let city = try await registry.city(name, country, population: population)
            if country != "TJ" { _ = try await registry.join(city, umci.acronym) }
        }
        let all = try await registry.harness.send(ListActors())
        #expect(
            all.actors.map(\.fields.name) == ["Can Tho", "Dushanbe", "Huế", "Luang Prabang", "Phnom Penh", "Vientiane"])
        #expect(all.next == nil)

        var names: [String] = []
        var cursor: String?
        repeat {
            let page = try await registry.harness.send(ListActors(cursor: cursor, limit: 4))
            names += page.actors.map(\.fields.name)
            cursor = page.next
        } while cursor != nil
        #expect(names == all.actors.map(\.fields.name), "pages cover every actor once, in order")

        #expect(try await registry.harness.send(ListActors(country: "LA")).actors.count == 2)
        #expect(try await registry.harness.send(ListActors(region: "143")).actors.map(\.fields.name) == ["Dushanbe"])
        #expect(try await registry.harness.send(ListActors(region: "asia_pacific")).actors.count == 6)
        #expect(try await registry.harness.send(ListActors(sizeClass: .intermediary)).actors.count == 4)
        #expect(try await registry.harness.send(ListActors(network: "UMCI")).actors.count == 5)
        #expect(try await registry.harness.send(ListActors(text: "PRA")).actors.map(\.fields.name) == ["Luang Prabang"])
        await expectError(.badRequest, containing: "region: expected a UN M49 region code") {
            _ = try await registry.harness.send(ListActors(region: "mekong"))
        }
        await expectError(.badRequest, containing: "cursor") {
            _ = try await registry.harness.send(ListActors(cursor: "garbage!"))
        }
    }

    @Test func historyComesFromTheJournal() async throws {
        let registry = try await RegistryFixture()
        let osh = try await registry.city("Osh", "KG", population: 322_000)
        _ = try await registry.city("Bishkek", "KG")
        var fields = osh.fields
        fields.population = 330_000
        _ = try await registry.harness.send(UpdateActor(id: osh.id, version: 1, actor: fields))
        let history = try await registry.harness.send(GetHistory(id: osh.id))
        #expect(history.events.map { $0["topic"] } == ["registry.actor.registered", "registry.actor.updated"])
    }
}
