import ConcordKit
import Contracts
import Foundation

/// Membership rules: define (applied at once to the source's members), list and retire.
extension RegistryModule {
    static func startRules(context: ModuleContext) throws {
        let store = context.store

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
                let outcome = try Self.reconcile(
                    try registry.activeMembers(of: source.id), registry: registry, transaction: transaction)
                let defined = RuleDefined(rule: rule, derived: outcome.started.count)
                transaction.emit(defined)
                return defined
            }
        }

        try context.handle(ListRules.self) { query, _ in
            try await store.read { db in
                let registry = RegistryStore(db: db)
                var rules = try registry.rules()
                if let reference = query.network {
                    let id = try registry.requireNetwork(reference, field: "network").id
                    rules = rules.filter { $0.source == id || $0.target == id }
                }
                return RuleList(rules: rules)
            }
        }

        try context.handle(RetireRule.self) { command, _ in
            let reason = try command.reason.map { try Validation.text($0, field: "reason", limit: 4000) }
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                guard var rule = try registry.rule(command.id) else {
                    throw ConcordError.notFound("id: no membership rule with id \"\(command.id)\"")
                }
                try Self.checkVersion(command.version, current: rule.version, of: "rule \(rule.id)")
                if let retired = rule.retired {
                    throw ConcordError(.conflict, "rule \(rule.id) (\(rule.name)) was retired already, on \(retired)")
                }
                rule.retired = Self.date(transaction.now)
                rule.retiredReason = reason
                rule.version += 1
                try registry.save(rule)
                let outcome = try Self.reconcile(
                    try registry.actors(derivedBy: rule.id), registry: registry, transaction: transaction)
                transaction.emit(RuleRetired(rule: rule, ended: outcome.ended.count))
                return RuleRetirement(rule: rule, ended: outcome.ended)
            }
        }
    }

    /// Brings each of `actors` in line with the rules as they are now, emitting what starts and ends; returns it
    /// all together.
    private static func reconcile(
        _ actors: [String], registry: RegistryStore, transaction: WriteTransaction
    ) throws -> RuleEngine.Outcome {
        let engine = RuleEngine(store: registry, rules: try registry.rules(), today: date(transaction.now))
        var all = RuleEngine.Outcome()
        for actor in actors {
            let outcome = try engine.reconcile(actor: actor)
            emit(outcome, transaction)
            all.started += outcome.started
            all.ended += outcome.ended
            all.suspended += outcome.suspended
            all.reinstated += outcome.reinstated
        }
        return all
    }
}
