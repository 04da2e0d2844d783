import ConcordKit
import Contracts
import Foundation

/// Action plans with actions, owners, indicators and dated progress reports, and what changed since a date.
extension RegistryModule {
    static func startActionPlans(context: ModuleContext) throws {
        let store = context.store

        try context.handle(AdoptActionPlan.self) { command, _ in
            let title = try Validation.text(command.title, field: "title")
            let themes = try (command.themes ?? []).enumerated().map { index, theme in
                try Validation.key(theme, field: "themes[\(index)]")
            }
            let adoptedOn = try Validation.date(command.adoptedOn, field: "adopted_on")
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                let network = try registry.requireNetwork(command.network, field: "network")
                if let actor = command.actor { _ = try registry.requireActor(actor, field: "actor") }
                var actions: [PlanAction] = []
                for (index, action) in command.actions.enumerated() {
                    actions.append(try checked(action, field: "actions[\(index)]", taken: actions, registry: registry))
                }
                let plan = ActionPlan(
                    id: EntityID.next(), network: network.id, actor: command.actor, title: title,
                    themes: themes, adoptedOn: adoptedOn ?? date(transaction.now), actions: actions, version: 1)
                try registry.put(plan, in: .actionPlans, id: plan.id, version: 1, columns: ["network": network.id])
                transaction.emit(ActionPlanAdopted(plan: plan))
                return plan
            }
        }

        try context.handle(AddPlanAction.self) { command, _ in
            try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                var plan = try registry.requireDocument(
                    ActionPlan.self, in: .actionPlans, id: command.plan, field: "plan", what: "action plan")
                try checkVersion(command.version, current: plan.version, of: "action plan \(plan.id)")
                plan.actions.append(
                    try checked(command.action, field: "action", taken: plan.actions, registry: registry))
                plan.version += 1
                try registry.put(
                    plan, in: .actionPlans, id: plan.id, version: plan.version, columns: ["network": plan.network])
                transaction.emit(PlanActionAdded(plan: plan))
                return plan
            }
        }

        try context.handle(RecordProgress.self) { command, _ in
            let on = try Validation.date(command.on, field: "on")
            let note = try command.note.map { try Validation.text($0, field: "note", limit: 4000) }
            let values = command.values ?? []
            if command.status == nil, values.isEmpty, note == nil {
                throw ConcordError.badRequest("status, values or note: give at least one; a report needs content")
            }
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                var plan = try registry.requireDocument(
                    ActionPlan.self, in: .actionPlans, id: command.plan, field: "plan", what: "action plan")
                guard let index = plan.actions.firstIndex(where: { $0.key == command.action }) else {
                    throw ConcordError.notFound(
                        "action: plan \"\(plan.title)\" has no action \"\(command.action)\"; it has "
                            + plan.actions.map(\.key).joined(separator: ", "))
                }
                let day = on ?? date(transaction.now)
                var action = plan.actions[index]
                var changes: [ProgressUpdate.Change] = []
                for (position, value) in values.enumerated() {
                    guard let slot = action.indicators.firstIndex(where: { $0.key == value.indicator }) else {
                        throw ConcordError.notFound(
                            "values[\(position)].indicator: action \(action.key) has no indicator \"\(value.indicator)\""
                        )
                    }
                    guard value.value.isFinite else {
                        throw ConcordError.badRequest("values[\(position)].value: expected a finite number")
                    }
                    let indicator = action.indicators[slot]
                    changes.append(
                        ProgressUpdate.Change(
                            indicator: value.indicator, from: indicator.current ?? indicator.baseline, to: value.value))
                    // A report dated before the latest one is history, not the current value.
                    if (indicator.reportedOn ?? "") <= day {
                        action.indicators[slot].current = value.value
                        action.indicators[slot].reportedOn = day
                    }
                }
                let update = ProgressUpdate(
                    plan: plan.id, action: action.key, on: day, statusFrom: action.status,
                    statusTo: command.status ?? action.status, changes: changes, note: note)
                action.status = update.statusTo
                plan.actions[index] = action
                plan.version += 1
                try registry.put(
                    plan, in: .actionPlans, id: plan.id, version: plan.version, columns: ["network": plan.network])
                try registry.append(update)
                transaction.emit(ProgressRecorded(update: update))
                return update
            }
        }

        try context.handle(GetActionPlan.self) { query, _ in
            try await store.read { db in
                try RegistryStore(db: db).requireDocument(
                    ActionPlan.self, in: .actionPlans, id: query.id, field: "id", what: "action plan")
            }
        }

        try context.handle(ListActionPlans.self) { query, _ in
            try await store.read { db in
                let registry = RegistryStore(db: db)
                let network = try query.network.map { try registry.requireNetwork($0, field: "network").id }
                return ActionPlanList(
                    plans: try registry.documents(ActionPlan.self, in: .actionPlans, where: ["network": network]))
            }
        }

        try context.handle(GetPlanChanges.self) { query, _ in
            let since = try Validation.date(query.since, field: "since") ?? query.since
            return try await store.read { db in
                let registry = RegistryStore(db: db)
                let plan = try registry.requireDocument(
                    ActionPlan.self, in: .actionPlans, id: query.plan, field: "plan", what: "action plan")
                let reports = Dictionary(grouping: try registry.progress(plan: plan.id), by: \.action)
                return PlanChanges(
                    plan: plan.id, since: since,
                    actions: plan.actions.compactMap { action in
                        changes(of: action, reports: reports[action.key] ?? [], since: since)
                    })
            }
        }
    }

    /// An action's change since `since`, from its reports in date order; nil when nothing was reported after.
    private static func changes(of action: PlanAction, reports: [ProgressUpdate], since: String)
        -> PlanChanges.ActionChange?
    {
        let after = reports.filter { $0.on > since }
        guard let first = after.first else { return nil }
        let indicators = action.indicators.map { indicator in
            let values = reports.flatMap { report in
                report.changes.filter { $0.indicator == indicator.key }.map { (on: report.on, value: $0.to) }
            }
            let then = values.last { $0.on <= since }?.value ?? indicator.baseline
            let now = values.last?.value ?? indicator.baseline
            var progress: Double?
            if let baseline = indicator.baseline, let target = indicator.target, let now, target != baseline {
                progress = (now - baseline) / (target - baseline)
            }
            return PlanChanges.IndicatorChange(
                indicator: indicator.key, name: indicator.name, then: then, now: now, target: indicator.target,
                progress: progress)
        }
        return PlanChanges.ActionChange(
            action: action.key, title: action.title, statusThen: first.statusFrom, statusNow: action.status,
            indicators: indicators, updates: after)
    }

    private static func checked(_ action: PlanAction, field: String, taken: [PlanAction], registry: RegistryStore)
        throws -> PlanAction
    {
        var action = action
        action.key = try Validation.key(action.key, field: "\(field).key")
        guard !taken.contains(where: { $0.key == action.key }) else {
            throw ConcordError(.conflict, "\(field).key: the plan has an action \"\(action.key)\" already")
        }
        action.title = try Validation.text(action.title, field: "\(field).title")
        if let owner = action.owner { _ = try registry.requireActor(owner, field: "\(field).owner") }
        _ = try Validation.date(action.deadline, field: "\(field).deadline")
        var keys: Set<String> = []
        for (index, indicator) in action.indicators.enumerated() {
            let path = "\(field).indicators[\(index)]"
            action.indicators[index].key = try Validation.key(indicator.key, field: "\(path).key")
            guard keys.insert(indicator.key).inserted else {
                throw ConcordError.badRequest("\(path).key: indicator \"\(indicator.key)\" appears twice")
            }
            action.indicators[index].name = try Validation.text(indicator.name, field: "\(path).name")
            action.indicators[index].current = nil
            action.indicators[index].reportedOn = nil
        }
        return action
    }
}
