import ConcordKit
import Contracts

/// The part of the register an export covers: all of it, or one network with its members (of any status) and the
/// actors its records name, so every reference in the files resolves inside them.
struct RegisterScope: Sendable {
    let sources: Sources
    let network: Network?

    init(_ job: ExportJob) {
        sources = job.sources
        network = job.network
    }

    func networks() async throws -> [Network] {
        if let network { return [network] }
        return try await sources.networks()
    }

    /// The network's memberships, or every network's.
    func memberships() async throws -> [Membership] {
        if let network { return try await sources.memberships(network: network.id) }
        var all: [Membership] = []
        for network in try await sources.networks() {
            all += try await sources.memberships(network: network.id)
        }
        return all
    }

    func declarations() async throws -> [Declaration] { try await sources.declarations(network: network?.id) }

    func actionPlans() async throws -> [ActionPlan] { try await sources.actionPlans(network: network?.id) }

    /// The actors in scope, a page at a time: the whole register in name order, streamed; or the network's
    /// members and the actors in `referenced`, by name.
    func actors(referenced: Set<String>, _ page: ([ActorRecord]) throws -> Void) async throws {
        guard network != nil else {
            try await sources.actors(page)
            return
        }
        let actors = try await sources.actors(ids: referenced)
        try page(actors.values.sorted { ($0.fields.name, $0.id) < ($1.fields.name, $1.id) })
    }
}
