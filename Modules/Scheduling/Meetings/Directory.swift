import ConcordKit
import Contracts
import Synchronization

/// What the module learns from the registry, through its queries and events only: actors, their zones and
/// memberships.
///
/// Actors are kept once read (the slot finder reads 50 of them a query) and replaced by the record in each
/// `registry.actor.updated` and `.deactivated` event; a record is only ever replaced by a later version of it.
struct Directory: Sendable {
    let bus: any MessageBus
    let actors = ActorCache()

    final class ActorCache: Sendable {
        private let records = Mutex<[String: ActorRecord]>([:])

        func get(_ id: String) -> ActorRecord? { records.withLock { $0[id] } }

        func keep(_ record: ActorRecord) {
            records.withLock { records in
                if let known = records[record.id], known.version > record.version { return }
                if records.count >= 100_000 { records.removeAll(keepingCapacity: true) }
                records[record.id] = record
            }
        }
    }

    /// Keeps the cache current from the registry's events.
    func follow(_ context: ModuleContext) {
        let actors = self.actors
        context.on(ActorUpdated.self) { envelope in actors.keep(envelope.payload.actor) }
        context.on(ActorDeactivated.self) { envelope in actors.keep(envelope.payload.actor) }
    }

    /// The actor, or `bad_request` naming `field` when the registry has none.
    func actor(_ id: String, field: String) async throws -> ActorRecord {
        if let known = actors.get(id) { return known }
        do {
            let record = try await bus.send(GetActor(id: id))
            actors.keep(record)
            return record
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

    /// The names a meeting or series may give the network `key` names: its id and its acronym (a meeting keeps the
    /// network as it was given), lowercased; `key` alone when the registry knows no such network.
    func networkNames(_ key: String) async throws -> Set<String> {
        let networks = try await bus.send(ListNetworks()).networks
        guard
            let network = networks.first(where: {
                $0.id == key || $0.acronym.caseInsensitiveCompare(key) == .orderedSame
            })
        else { return [key.lowercased()] }
        return [network.id.lowercased(), network.acronym.lowercased()]
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
