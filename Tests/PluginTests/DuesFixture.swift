import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Testing

/// A small network to bill: a metropolis, a large city, a small town with no population given, and an observer.
struct DuesFixture {
    let network: Network
    let metropolis: ActorRecord
    let large: ActorRecord
    let unknown: ActorRecord
    let observer: ActorRecord

    static func make(_ harness: TestHarness) async throws -> DuesFixture {
        let network = try await harness.send(CreateNetwork(name: "Mekong Dues Test Network", acronym: "MDTN"))
        func city(_ name: String, _ population: Int64?) async throws -> ActorRecord {
            try await harness.send(
                RegisterActor(actor: ActorFields(name: name, kind: .city, country: "VN", population: population)))
        }
        let metropolis = try await city("Thành phố Hồ Chí Minh", 9_320_866)
        let large = try await city("Cần Thơ", 1_244_736)
        let unknown = try await city("Châu Đốc", nil)
        let observer = try await city("Biên Hòa", 1_055_414)
        for (actor, role) in [
            (metropolis, MembershipRole.foundingMember), (large, .member), (unknown, .member), (observer, .observer),
        ] {
            _ = try await harness.send(
                AddMembership(
                    actor: actor.id, network: network.id, role: role, start: "2025-01-01",
                    basis: MembershipBasis(kind: .manual, decidedBy: "secretariat", decidedOn: "2025-01-01")))
        }
        return DuesFixture(
            network: network, metropolis: metropolis, large: large, unknown: unknown, observer: observer)
    }

    /// Rates for 2027, due on 31 March: founding members 5 000.00, other members by size, observers nothing set.
    static let rates: JSONValue = .object([
        "network": "MDTN", "year": 2027, "currency": "USD", "due_on": "2027-03-31",
        "fees": .array([
            .object(["role": "founding_member", "size_class": "*", "amount": 500_000]),
            .object(["role": "member", "size_class": "large", "amount": 250_000]),
            .object(["role": "member", "size_class": "*", "amount": 100_000]),
        ]),
    ])
}

extension TestHarness {
    /// Sends a command by name with JSON args, as a client would, and parses the reply.
    func call(_ command: String, _ args: JSONValue, idempotencyKey: String? = nil) async throws -> JSONValue {
        let reply = try await bus.dispatch(
            command: command, args: args, context: CommandContext(idempotencyKey: idempotencyKey, caller: "test"))
        return try #require(JSONValue.parse(reply))
    }
}

extension JSONValue {
    subscript(index: Int) -> JSONValue? {
        guard case .array(let values) = self, values.indices.contains(index) else { return nil }
        return values[index]
    }

    var array: [JSONValue] {
        if case .array(let values) = self { return values }
        return []
    }

    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}
