import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Registry
import Scheduling

/// A registry and the scheduling module on a test clock (2026-11-22T10:00:00Z), with helpers for the register.
struct SchedulingFixture {
    let harness: TestHarness

    static var modules: [any Module] { [RegistryModule(), SchedulingModule()] }

    init(now: Date? = nil) async throws {
        harness = try await TestHarness(modules: Self.modules, clock: now.map(TestClock.init(now:)) ?? TestClock())
    }

    func send<C: Command>(_ command: C) async throws -> C.Reply { try await harness.send(command) }

    func city(_ name: String, _ country: String, _ zone: String?, focalPoints: [FocalPoint]? = nil) async throws
        -> ActorRecord
    {
        try await send(
            RegisterActor(
                actor: ActorFields(
                    name: name, kind: .city, country: country, timeZone: zone, focalPoints: focalPoints)))
    }

    func network(_ acronym: String) async throws -> Network {
        try await send(CreateNetwork(name: "Network \(acronym)", acronym: acronym))
    }

    @discardableResult
    func member(_ actor: ActorRecord, of network: String, from start: String = "2013-11-19") async throws -> Membership
    {
        try await send(
            AddMembership(
                actor: actor.id, network: network, role: .member, start: start,
                basis: MembershipBasis(kind: .manual, decidedBy: "test", decidedOn: start))
        ).membership
    }

    /// The error a command fails with, as its message; nil when it succeeds.
    func failure<C: Command>(_ command: C) async -> ConcordError? {
        do {
            _ = try await send(command)
            return nil
        } catch let error as ConcordError {
            return error
        } catch {
            return ConcordError(.internal, "\(error)")
        }
    }

    /// The journaled events of `topic`, as JSON.
    func events(_ topic: String) async throws -> [JSONValue] {
        try await harness.journaled(prefixes: [topic]).map(\.payload)
    }

    func close() async { await harness.close() }
}

/// Test literals: `"2027-01-04T09:00:00"` where a ``CalendarTime`` is expected; a malformed one stops the test.
extension CalendarTime: ExpressibleByStringLiteral {
    init(stringLiteral text: String) {
        guard let time = CalendarTime(text) else { fatalError("not a calendar time: \(text)") }
        self = time
    }
}
