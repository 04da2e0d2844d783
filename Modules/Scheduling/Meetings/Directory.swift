import ConcordKit
import Contracts

/// What the module learns from the registry, through its queries only: actors, their zones and memberships.
struct Directory: Sendable {
    let bus: any MessageBus

    /// The actor, or `bad_request` naming `field` when the registry has none.
    func actor(_ id: String, field: String) async throws -> ActorRecord {
        do {
            return try await bus.send(GetActor(id: id))
        } catch let error as ConcordError where error.code == .notFound {
            throw badField(field, "no actor \"\(id)\" in the registry")
        }
    }

    /// Every actor named in `ids`, by id, each checked; `fieldOf` names the field of the n-th.
    func actors(_ ids: [(id: String, field: String)]) async throws -> [String: ActorRecord] {
        var found: [String: ActorRecord] = [:]
        for (id, field) in ids where found[id] == nil {
            found[id] = try await actor(id, field: field)
        }
        return found
    }

    /// The network's memberships (every status); `bad_request` naming `field` when the network is unknown.
    func memberships(of network: String, field: String) async throws -> [Membership] {
        do {
            return try await bus.send(ListMemberships(network: network)).memberships
        } catch let error as ConcordError where error.code == .notFound || error.code == .badRequest {
            throw badField(field, "no network \"\(network)\" in the registry")
        }
    }

    /// Whether `actor` has an active membership of `network` on `date` (`YYYY-MM-DD`).
    static func isActive(_ actor: String, in memberships: [Membership], on date: String) -> Bool {
        memberships.contains { membership in
            membership.actor == actor && membership.status == .active && (membership.start ?? "") <= date
                && (membership.end.map { $0 >= date } ?? true)
        }
    }
}
