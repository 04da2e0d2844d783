import ConcordKit
import Contracts

/// What an export reads, asked of the registry and scheduling with their queries (never their tables).
///
/// The exporter asks while it holds the writer (``ModuleStore/beginSession(idleTimeout:)``), so every answer comes
/// from the same committed state: the journal's head at that moment.
struct Sources: Sendable {
    let bus: any MessageBus

    init(bus: any MessageBus) { self.bus = bus }

    private func send<C: Command>(_ command: C) async throws -> C.Reply {
        try await bus.send(command, context: CommandContext())
    }

    func head() async throws -> UInt64 { try await send(GetEventsHead()).headSeq }

    /// Whether an event of the registry or scheduling was journaled after `seq`.
    func changed(after seq: UInt64) async throws -> Bool {
        !(try await send(ReplayEvents(afterSeq: seq, topics: ["registry.", "scheduling."], limit: 1)).events.isEmpty)
    }

    func networks() async throws -> [Network] { try await send(ListNetworks()).networks }

    /// A network by id or acronym; `bad_request` naming `field` when there is none.
    func network(_ key: String, field: String) async throws -> Network {
        let networks = try await networks()
        guard
            let network = networks.first(where: {
                $0.id == key || $0.acronym.caseInsensitiveCompare(key) == .orderedSame
            })
        else {
            throw ConcordError.badRequest(
                "\(field): no network has the id or acronym \"\(key.prefix(80))\"; known: \(networks.map(\.acronym).sorted().joined(separator: ", "))"
            )
        }
        return network
    }

    /// Every actor, a page at a time in name order; the next page is asked for while `page` writes this one.
    func actors(_ page: ([ActorRecord]) throws -> Void) async throws {
        var next = Task { try await send(ListActors(limit: 1000)) }
        while true {
            let reply = try await next.value
            if let cursor = reply.next {
                next = Task { try await send(ListActors(cursor: cursor, limit: 1000)) }
            }
            try page(reply.actors)
            if reply.next == nil { return }
        }
    }

    func actor(_ id: String) async throws -> ActorRecord { try await send(GetActor(id: id)) }

    /// The actors with these ids, by id; ids the registry does not know are left out.
    func actors(ids: Set<String>) async throws -> [String: ActorRecord] {
        var found: [String: ActorRecord] = [:]
        for id in ids.sorted() {
            do {
                found[id] = try await actor(id)
            } catch let error as ConcordError where error.code == .notFound {
                continue
            }
        }
        return found
    }

    func memberships(network: String) async throws -> [Membership] {
        try await send(ListMemberships(network: network)).memberships
    }

    /// A series by id; `bad_request` naming `field` when there is none.
    func requireSeries(_ id: String, field: String) async throws -> SeriesDetail {
        do {
            return try await seriesDetail(id)
        } catch let error as ConcordError where error.code == .notFound {
            throw ConcordError.badRequest("\(field): no series \"\(id.prefix(80))\"")
        }
    }

    /// An actor by id; `bad_request` naming `field` when there is none.
    func requireActor(_ id: String, field: String) async throws -> ActorRecord {
        do {
            return try await actor(id)
        } catch let error as ConcordError where error.code == .notFound {
            throw ConcordError.badRequest("\(field): no actor \"\(id.prefix(80))\"")
        }
    }

    func declarations(network: String? = nil) async throws -> [Declaration] {
        try await send(ListDeclarations(network: network)).declarations
    }

    func actionPlans(network: String? = nil) async throws -> [ActionPlan] {
        try await send(ListActionPlans(network: network)).plans
    }

    func planChanges(_ plan: String, since: String) async throws -> PlanChanges {
        try await send(GetPlanChanges(plan: plan, since: since))
    }

    /// Meetings, all or a network's or an actor's.
    func meetings(network: Network? = nil, actor: String? = nil) async throws -> [Meeting] {
        try await send(ListMeetings(network: network?.id, actor: actor)).meetings
    }

    /// Series, all or a network's.
    func series(network: Network? = nil) async throws -> [Series] {
        try await send(ListSeries(network: network?.id)).series
    }

    func seriesDetail(_ id: String) async throws -> SeriesDetail { try await send(GetSeries(id: id)) }

    func occurrences(_ series: String, after: String? = nil, before: String? = nil, limit: Int = 100_000)
        async throws -> OccurrenceList
    {
        try await send(ListOccurrences(series: series, after: after, before: before, limit: limit))
    }
}
