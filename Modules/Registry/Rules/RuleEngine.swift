import ConcordKit
import Contracts
import Foundation

/// Derives the memberships that membership rules imply for one actor and brings the register in line.
///
/// Starting from the actor's active memberships that are not derived, each rule whose source network the
/// actor is a member of, and whose conditions the actor meets, yields a membership of the rule's target.
/// Derived memberships feed further rules (chains). A network the actor already belongs to is never
/// derived again, and a rule never derives a network that is already on the chain that led to it, so
/// evaluation ends after at most one derivation per network. The work is linear in the actor's
/// memberships times the rules: changing one actor never looks at any other.
///
/// A derivation follows its source's state: derived from a suspended membership (or from one derived from it),
/// it is suspended too, and reinstated when the source is. Retired rules derive nothing.
struct RuleEngine {
    let store: RegistryStore
    let rules: [MembershipRule]
    let today: String
    /// Each rule's region condition resolved once to M49 sub-regions.
    private let regions: [String: Set<String>]

    init(store: RegistryStore, rules: [MembershipRule], today: String) {
        self.store = store
        self.rules = rules.filter { $0.retired == nil }
        self.today = today
        var regions: [String: Set<String>] = [:]
        for rule in rules {
            guard let codes = rule.conditions.regions else { continue }
            regions[rule.id] = codes.reduce(into: Set<String>()) { set, code in
                set.formUnion((try? Validation.regions(code, field: "regions")) ?? [])
            }
        }
        self.regions = regions
    }

    struct Outcome {
        var started: [Membership] = []
        var ended: [Membership] = []
        var suspended: [Membership] = []
        var reinstated: [Membership] = []
    }

    private struct Derivation {
        var rule: MembershipRule
        var source: Source
        /// Networks on the path from the membership that is not derived to this one.
        var chain: [String]
        /// Whether a membership on that path is suspended, so this one is too.
        var suspended: Bool
    }

    /// What a derivation comes from: a membership that exists, or the one this evaluation derives into a
    /// network (created before what it derives, and known by its id only then).
    private enum Source: Equatable {
        case membership(String)
        case derived(network: String)

        var existingID: String? {
            if case .membership(let id) = self { return id }
            return nil
        }
    }

    func reconcile(actor id: String) throws -> Outcome {
        guard let actor = try store.actor(id) else { return Outcome() }
        let memberships = try store.memberships(actor: id)
        let current = memberships.filter { $0.status == .active || $0.status == .suspended }
        let base = current.filter { $0.basis.kind != .rule }
        let existingDerived = current.filter { $0.basis.kind == .rule }
        let bySource = Dictionary(grouping: rules, by: \.source)

        var held = Set(base.map(\.network))
        var desired: [String: Derivation] = [:]  // by target network
        var queue: [(network: String, membership: Source, chain: [String], suspended: Bool)] = base.map {
            ($0.network, .membership($0.id), [$0.network], $0.status == .suspended)
        }
        var index = 0
        while index < queue.count {
            let (network, source, chain, suspended) = queue[index]
            index += 1
            for rule in bySource[network] ?? [] where Self.meets(actor, rule.conditions, regions: regions[rule.id]) {
                guard !held.contains(rule.target), !chain.contains(rule.target) else { continue }
                held.insert(rule.target)
                desired[rule.target] = Derivation(
                    rule: rule, source: source, chain: chain + [rule.target], suspended: suspended)
                // An unchanged derived membership keeps its id, so what it derives keeps a valid source.
                let existing = existingDerived.first {
                    $0.network == rule.target && $0.basis.rule == rule.id && $0.basis.source == source.existingID
                }
                queue.append(
                    (
                        rule.target, existing.map { .membership($0.id) } ?? .derived(network: rule.target),
                        chain + [rule.target], suspended
                    )
                )
            }
        }

        var outcome = Outcome()
        var ids: [String: String] = [:]  // target network -> membership id, for sources of later derivations
        for membership in existingDerived {
            if let wanted = desired[membership.network], wanted.rule.id == membership.basis.rule,
                wanted.source.existingID == membership.basis.source
            {
                ids[membership.network] = membership.id
                let status: MembershipStatus = wanted.suspended ? .suspended : .active
                if membership.status != status {
                    var changed = membership
                    changed.status = status
                    changed.version += 1
                    try store.save(changed, inserting: false)
                    if status == .suspended {
                        outcome.suspended.append(changed)
                    } else {
                        outcome.reinstated.append(changed)
                    }
                }
                continue
            }
            var ended = membership
            ended.status = .ended
            ended.end = today
            ended.endReason =
                desired[membership.network] == nil
                ? "no longer derived: its source ended or the actor no longer meets rule \(membership.basis.rule ?? "-")"
                : "replaced by a derivation from another source"
            ended.version += 1
            try store.save(ended, inserting: false)
            outcome.ended.append(ended)
        }
        // Derivations were found in chain order, so a source is always created before what it derives.
        for (target, derivation) in desired.sorted(by: { $0.value.chain.count < $1.value.chain.count })
        where ids[target] == nil {
            let source: String? =
                switch derivation.source {
                case .membership(let id): id
                case .derived(let network): ids[network]
                }
            let membership = Membership(
                id: EntityID.next(),
                actor: id,
                network: target,
                role: derivation.rule.role,
                status: derivation.suspended ? .suspended : .active,
                start: today,
                end: nil,
                basis: MembershipBasis(kind: .rule, rule: derivation.rule.id, source: source),
                version: 1
            )
            try store.save(membership, inserting: true)
            ids[target] = membership.id
            outcome.started.append(membership)
        }
        return outcome
    }

    /// Whether `actor` meets every condition given. Capital and population together hold when either does.
    static func meets(_ actor: ActorRecord, _ conditions: RuleConditions, regions: Set<String>?) -> Bool {
        if let kinds = conditions.kinds, !kinds.contains(actor.fields.kind) { return false }
        if let countries = conditions.countries, !countries.contains(actor.fields.country) { return false }
        if conditions.regions != nil, !(regions ?? []).contains(actor.region) { return false }
        let capitalHolds = conditions.capitals.map { $0.contains(actor.fields.capital ?? .none) }
        let populationHolds = conditions.minPopulation.map { (actor.fields.population ?? -1) >= $0 }
        switch (capitalHolds, populationHolds) {
        case (let capital?, let population?): return capital || population
        case (let capital?, nil): return capital
        case (nil, let population?): return population
        case (nil, nil): return true
        }
    }
}
