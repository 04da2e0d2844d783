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
                let engine = RuleEngine(store: registry, rules: try registry.rules(), today: Self.date(transaction.now))
                var ended: [Membership] = []
                for actor in try registry.actors(derivedBy: rule.id) {
                    let outcome = try engine.reconcile(actor: actor)
                    Self.emit(outcome, transaction)
                    ended += outcome.ended
                }
                transaction.emit(RuleRetired(rule: rule, ended: ended.count))
                return RuleRetirement(rule: rule, ended: ended)
            }
        }
    }
}
