import ConcordKit
import Contracts
import Foundation

/// Memberships: add, end, suspend and reinstate (derived ones follow their source), and list.
extension RegistryModule {
    static func startMemberships(context: ModuleContext) throws {
        let store = context.store
        let clock = context.clock

        try context.handle(AddMembership.self) { command, _ in
            guard command.basis.kind != .rule else {
                throw ConcordError.badRequest(
                    "basis.kind: expected founding_signature, accession or manual; memberships with basis rule are "
                        + "derived by the registry's rules and cannot be added by hand")
            }
            let start = try Validation.date(command.start, field: "start")
            let decidedOn = try Validation.date(command.basis.decidedOn, field: "basis.decided_on")
            if command.basis.kind == .manual, (command.basis.decidedBy ?? "").isEmpty {
                throw ConcordError.badRequest("basis.decided_by: required for a manual decision: who decided")
            }
            let today = Self.date(clock.now())
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                let actor = try registry.requireActor(command.actor, field: "actor")
                let network = try registry.requireNetwork(command.network, field: "network")
                var basis = command.basis
                basis.decidedOn = decidedOn ?? (basis.kind == .manual ? today : nil)
                return try Self.startMembership(
                    of: actor, in: network, role: command.role, status: command.status ?? .active,
                    start: start ?? today, basis: basis, registry: registry, transaction: transaction)
            }
        }

        try context.handle(EndMembership.self) { command, _ in
            let status = command.status ?? .ended
            guard [.ended, .withdrawn].contains(status) else {
                throw ConcordError.badRequest(
                    "status: expected ended or withdrawn, got \(status.rawValue)"
                        + (status == .suspended ? "; suspend a membership with registry.membership.suspend" : ""))
            }
            let end = try Validation.date(command.end, field: "end")
            let today = Self.date(clock.now())
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                var membership = try registry.requireMembership(command.id, field: "id")
                guard membership.basis.kind != .rule else {
                    throw ConcordError(
                        .conflict,
                        "membership \(membership.id) is derived by rule \(membership.basis.rule ?? "-"); it ends when "
                            + "its source (\(membership.basis.source ?? "-")) ends or the actor stops meeting the rule")
                }
                try Self.checkVersion(command.version, current: membership.version, of: "membership \(command.id)")
                guard [.active, .applied, .suspended].contains(membership.status) else {
                    throw ConcordError(
                        .conflict, "membership \(membership.id) is \(membership.status.rawValue) already")
                }
                membership.status = status
                membership.end = end ?? today
                membership.endReason = command.reason
                membership.version += 1
                try registry.save(membership, inserting: false)
                transaction.emit(MembershipEnded(membership: membership))
                let outcome = try Self.applyRules(to: membership.actor, registry: registry, transaction: transaction)
                return MembershipChange(
                    membership: membership, derivedStarted: outcome.started, derivedEnded: outcome.ended)
            }
        }

        try context.handle(SuspendMembership.self) { command, _ in
            let reason = try command.reason.map { try Validation.text($0, field: "reason", limit: 4000) }
            return try await store.write { transaction in
                try Self.changeState(
                    of: command.id, version: command.version, from: .active, to: .suspended,
                    registry: RegistryStore(db: transaction.db), transaction: transaction
                ) { membership in MembershipSuspended(membership: membership, reason: reason) }
            }
        }

        try context.handle(ReinstateMembership.self) { command, _ in
            try await store.write { transaction in
                try Self.changeState(
                    of: command.id, version: command.version, from: .suspended, to: .active,
                    registry: RegistryStore(db: transaction.db), transaction: transaction
                ) { membership in MembershipReinstated(membership: membership) }
            }
        }

        try context.handle(ListMemberships.self) { query, _ in
            try await store.read { db in
                let registry = RegistryStore(db: db)
                var memberships: [Membership]
                if let actor = query.actor {
                    memberships = try registry.memberships(actor: try registry.requireActor(actor, field: "actor").id)
                    if let network = query.network {
                        let id = try registry.requireNetwork(network, field: "network").id
                        memberships = memberships.filter { $0.network == id }
                    }
                    if let status = query.status { memberships = memberships.filter { $0.status == status } }
                } else if let network = query.network {
                    let id = try registry.requireNetwork(network, field: "network").id
                    memberships = try registry.memberships(network: id, status: query.status)
                } else {
                    throw ConcordError.badRequest("actor or network: give at least one")
                }
                return MembershipList(memberships: memberships)
            }
        }
    }

    /// Moves a membership that is not derived from `from` to `to`, emits `event`, and lets the rules bring its
    /// derived memberships along.
    private static func changeState<E: Event>(
        of id: String, version: Int, from: MembershipStatus, to: MembershipStatus, registry: RegistryStore,
        transaction: WriteTransaction, event: (Membership) -> E
    ) throws -> MembershipChange {
        var membership = try registry.requireMembership(id, field: "id")
        guard membership.basis.kind != .rule else {
            throw ConcordError(
                .conflict,
                "membership \(membership.id) is derived by rule \(membership.basis.rule ?? "-"); it follows its source "
                    + "(\(membership.basis.source ?? "-")): suspend or reinstate that one")
        }
        try checkVersion(version, current: membership.version, of: "membership \(id)")
        guard membership.status == from else {
            throw ConcordError(
                .conflict,
                "membership \(membership.id) is \(membership.status.rawValue); only a \(from.rawValue) membership can "
                    + "become \(to.rawValue)")
        }
        membership.status = to
        membership.version += 1
        try registry.save(membership, inserting: false)
        transaction.emit(event(membership))
        let outcome = try applyRules(to: membership.actor, registry: registry, transaction: transaction)
        return MembershipChange(
            membership: membership, derivedStarted: outcome.started, derivedEnded: outcome.ended,
            derivedSuspended: outcome.suspended, derivedReinstated: outcome.reinstated)
    }
}
