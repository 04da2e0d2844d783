public import ConcordKit
import Contracts
import Foundation
import GRDB

/// The register of a network's secretariat: actors, networks, memberships and the rules that derive them.
///
/// Every change is one transaction with its events; membership rules are re-evaluated for the actor a
/// change touches, in the same transaction.
public struct RegistryModule: Module {
    public init() {}

    public var descriptor: ModuleDescriptor {
        ModuleDescriptor(
            name: "registry",
            version: "0.1.0",
            publishes: [
                ActorRegistered.self, ActorUpdated.self, ActorDeactivated.self, NetworkCreated.self,
                NetworkUpdated.self, MembershipStarted.self, MembershipEnded.self, MembershipSuspended.self,
                MembershipReinstated.self, RuleDefined.self, RuleRetired.self,
                DeclarationRecorded.self, DeclarationUpdated.self, AccessionApplied.self, AccessionReviewStarted.self,
                AccessionAccepted.self, AccessionRejected.self,
                WorkingGroupCreated.self, WorkingGroupChanged.self,
                ProjectStarted.self, ProjectUpdated.self, ProjectEnded.self, PilotProgrammeDue.self,
                ActionPlanAdopted.self, PlanActionAdded.self, ProgressRecorded.self, ImportCommitted.self,
            ]
        )
    }

    public var migrations: [Migration] { RegistrySchema.migrations }

    public func start(context: ModuleContext) async throws {
        try Self.startActors(context: context)
        try Self.startNetworks(context: context)
        try Self.startMemberships(context: context)
        try Self.startRules(context: context)
        try Self.startHistory(context: context)
        try Self.startDeclarations(context: context)
        try Self.startProgrammes(context: context)
        try Self.startActionPlans(context: context)
        try Self.startImports(context: context)
    }

    // MARK: Helpers

    /// Starts a membership and what the rules derive from it; `conflict` when the actor already has a current
    /// membership of the network.
    static func startMembership(
        of actor: ActorRecord, in network: Network, role: MembershipRole, status: MembershipStatus, start: String,
        basis: MembershipBasis, registry: RegistryStore, transaction: WriteTransaction,
        engine: RuleEngine? = nil
    ) throws -> MembershipChange {
        if let since = actor.inactiveSince {
            throw ConcordError(
                .conflict,
                "\(actor.fields.name) (\(actor.id)) is no longer active (since \(since)): it can join nothing")
        }
        if let current = try registry.currentMembership(actor: actor.id, network: network.id) {
            throw ConcordError(
                .conflict,
                "\(actor.fields.name) already has a membership of \(network.acronym) (\(current.id), "
                    + "\(current.status.rawValue), basis \(current.basis.kind.rawValue))",
                details: ["existing": .string(current.id)])
        }
        let membership = Membership(
            id: EntityID.next(), actor: actor.id, network: network.id, role: role, status: status,
            start: start, end: nil, basis: basis, version: 1)
        try registry.save(membership, inserting: true)
        transaction.emit(MembershipStarted(membership: membership))
        let outcome = try applyRules(to: actor.id, registry: registry, transaction: transaction, engine: engine)
        return MembershipChange(membership: membership, derivedStarted: outcome.started, derivedEnded: outcome.ended)
    }

    static func checkVersion(_ sent: Int, current: Int, of what: String) throws {
        guard sent == current else {
            throw ConcordError(
                .conflict, "\(what) is at version \(current), not \(sent): it changed since you read it; read it again",
                details: ["current_version": .int(Int64(current))])
        }
    }

    @discardableResult
    static func applyRules(
        to actor: String, registry: RegistryStore, transaction: WriteTransaction, engine: RuleEngine? = nil
    ) throws -> RuleEngine.Outcome {
        let engine = try engine ?? RuleEngine(store: registry, rules: registry.rules(), today: date(transaction.now))
        let outcome = try engine.reconcile(actor: actor)
        emit(outcome, transaction)
        return outcome
    }

    static func emit(_ outcome: RuleEngine.Outcome, _ transaction: WriteTransaction) {
        for membership in outcome.ended { transaction.emit(MembershipEnded(membership: membership)) }
        for membership in outcome.suspended { transaction.emit(MembershipSuspended(membership: membership)) }
        for membership in outcome.reinstated { transaction.emit(MembershipReinstated(membership: membership)) }
        for membership in outcome.started { transaction.emit(MembershipStarted(membership: membership)) }
    }

    /// A UTC calendar date as `YYYY-MM-DD`.
    static func date(_ instant: Date) -> String {
        instant.formatted(.iso8601.year().month().day().dateSeparator(.dash))
    }
}
