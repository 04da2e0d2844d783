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
                ActorRegistered.self, ActorUpdated.self, NetworkCreated.self, MembershipStarted.self,
                MembershipEnded.self, RuleDefined.self,
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
        let store = context.store
        let clock = context.clock

        try context.handle(RegisterActor.self) { command, _ in
            let fields = try Validation.actor(command.actor)
            let (region, regionName) = try Validation.country(fields.country, field: "actor.country")
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                if command.force != true,
                    let existing = try registry.actorID(
                        nameKey: Validation.nameKey(fields.name), country: fields.country)
                {
                    throw ConcordError(
                        .conflict,
                        "an actor named \"\(fields.name)\" in \(fields.country) exists already (\(existing)); "
                            + "send force: true to register another",
                        details: ["existing": .string(existing)]
                    )
                }
                let actor = ActorRecord(
                    id: EntityID.next(), fields: fields, region: region, regionName: regionName,
                    version: 1)
                try registry.save(actor, inserting: true)
                transaction.emit(ActorRegistered(actor: actor))
                return actor
            }
        }

        try context.handle(UpdateActor.self) { command, _ in
            let fields = try Validation.actor(command.actor)
            let (region, regionName) = try Validation.country(fields.country, field: "actor.country")
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                var actor = try registry.requireActor(command.id, field: "id")
                try Self.checkVersion(command.version, current: actor.version, of: "actor \(command.id)")
                actor = ActorRecord(
                    id: actor.id, fields: fields, region: region, regionName: regionName, version: actor.version + 1)
                try registry.save(actor, inserting: false)
                transaction.emit(ActorUpdated(actor: actor))
                try Self.applyRules(to: actor.id, registry: registry, transaction: transaction)
                return actor
            }
        }

        try context.handle(GetActor.self) { query, _ in
            try await store.read { db in try RegistryStore(db: db).requireActor(query.id, field: "id") }
        }

        try context.handle(ListActors.self) { query, _ in
            try await store.read { db in try RegistryStore(db: db).actors(matching: query) }
        }

        try context.handle(CreateNetwork.self) { command, _ in
            let name = try Validation.name(command.name, field: "name")
            let acronym = try Validation.name(command.acronym, field: "acronym")
            let foundedOn = try Validation.date(command.foundedOn, field: "founded_on")
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                if let existing = try registry.network(acronym) {
                    throw ConcordError(
                        .conflict, "a network with acronym \"\(existing.acronym)\" exists already (\(existing.id))",
                        details: ["existing": .string(existing.id)])
                }
                if let secretariat = command.secretariat {
                    _ = try registry.requireActor(secretariat, field: "secretariat")
                }
                let network = Network(
                    id: EntityID.next(), name: name, acronym: acronym, foundedOn: foundedOn,
                    foundedAt: command.foundedAt, secretariat: command.secretariat, charter: command.charter, version: 1
                )
                try registry.insert(network)
                transaction.emit(NetworkCreated(network: network))
                return network
            }
        }

        try context.handle(ListNetworks.self) { _, _ in
            try await store.read { db in NetworkList(networks: try RegistryStore(db: db).networks()) }
        }

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
            guard [.ended, .withdrawn, .suspended].contains(status) else {
                throw ConcordError.badRequest(
                    "status: expected ended, withdrawn or suspended, got \(status.rawValue)")
            }
            let end = try Validation.date(command.end, field: "end")
            let today = Self.date(clock.now())
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                guard var membership = try registry.membership(command.id) else {
                    throw ConcordError.notFound("id: no membership with id \"\(command.id)\"")
                }
                guard membership.basis.kind != .rule else {
                    throw ConcordError(
                        .conflict,
                        "membership \(membership.id) is derived by rule \(membership.basis.rule ?? "-"); it ends when "
                            + "its source (\(membership.basis.source ?? "-")) ends or the actor stops meeting the rule")
                }
                try Self.checkVersion(command.version, current: membership.version, of: "membership \(command.id)")
                guard membership.status == .active || membership.status == .applied else {
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

        try context.handle(DefineRule.self) { command, _ in
            let name = try Validation.name(command.name, field: "name")
            for (index, code) in (command.conditions.regions ?? []).enumerated() {
                _ = try Validation.regions(code, field: "conditions.regions[\(index)]")
            }
            for (index, code) in (command.conditions.countries ?? []).enumerated() {
                _ = try Validation.country(code, field: "conditions.countries[\(index)]")
            }
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                let source = try registry.requireNetwork(command.source, field: "source")
                let target = try registry.requireNetwork(command.target, field: "target")
                guard source.id != target.id else {
                    throw ConcordError.badRequest("target: must differ from source (\(source.acronym))")
                }
                let rule = MembershipRule(
                    id: EntityID.next(), name: name, source: source.id, target: target.id,
                    role: command.role ?? .member, conditions: command.conditions, version: 1)
                try registry.insert(rule)
                var derived = 0
                let rules = try registry.rules()
                let engine = RuleEngine(store: registry, rules: rules, today: Self.date(transaction.now))
                for actor in try registry.activeMembers(of: source.id) {
                    let outcome = try engine.reconcile(actor: actor)
                    derived += outcome.started.count
                    Self.emit(outcome, transaction)
                }
                let defined = RuleDefined(rule: rule, derived: derived)
                transaction.emit(defined)
                return defined
            }
        }

        try context.handle(GetJointMembers.self) { query, _ in
            try await store.read { db in
                let registry = RegistryStore(db: db)
                let first = try registry.requireNetwork(query.first, field: "first")
                let second = try registry.requireNetwork(query.second, field: "second")
                let inSecond = Dictionary(
                    try registry.memberships(network: second.id, status: .active).map { ($0.actor, $0) },
                    uniquingKeysWith: { first, _ in first })
                var members: [JointMembers.Member] = []
                for membership in try registry.memberships(network: first.id, status: .active) {
                    guard let other = inSecond[membership.actor] else { continue }
                    let name = try registry.actor(membership.actor)?.fields.name ?? membership.actor
                    members.append(
                        JointMembers.Member(
                            actor: membership.actor, name: name, first: membership.basis, second: other.basis))
                }
                members.sort { $0.name < $1.name }
                return JointMembers(count: members.count, members: members)
            }
        }

        try Self.startDeclarations(context: context)
        try Self.startProgrammes(context: context)
        try Self.startActionPlans(context: context)
        try Self.startImports(context: context)

        try context.handle(GetHistory.self) { query, _ in
            var events: [JSONValue] = []
            var after: UInt64 = 0
            while true {
                let page = try await context.send(
                    ReplayEvents(afterSeq: after, topics: ["registry."], limit: ReplayEvents.maximumLimit))
                for envelope in page.events where Self.mentions(envelope["payload"] ?? .null, query.id) {
                    events.append(envelope)
                }
                guard let last = page.events.last?["seq"]?.intValue, page.events.count == ReplayEvents.maximumLimit
                else { break }
                after = UInt64(last)
            }
            return History(events: events)
        }
    }

    // MARK: Helpers

    /// Starts a membership and what the rules derive from it; `conflict` when the actor already has a current
    /// membership of the network.
    static func startMembership(
        of actor: ActorRecord, in network: Network, role: MembershipRole, status: MembershipStatus, start: String,
        basis: MembershipBasis, registry: RegistryStore, transaction: WriteTransaction,
        engine: RuleEngine? = nil
    ) throws -> MembershipChange {
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
        for membership in outcome.started { transaction.emit(MembershipStarted(membership: membership)) }
    }

    /// A UTC calendar date as `YYYY-MM-DD`.
    static func date(_ instant: Date) -> String {
        instant.formatted(.iso8601.year().month().day().dateSeparator(.dash))
    }

    /// Whether a payload names `id` anywhere.
    static func mentions(_ value: JSONValue, _ id: String) -> Bool {
        switch value {
        case .string(let text): text == id
        case .array(let items): items.contains { mentions($0, id) }
        case .object(let fields): fields.values.contains { mentions($0, id) }
        default: false
        }
    }
}
