public import ConcordKit

// MARK: Action plans

public enum ActionStatus: String, Codable, Sendable, CaseIterable {
    case planned
    case inProgress = "in_progress"
    case delayed
    case done
    case cancelled
}

/// A measure of an action's progress, from its baseline toward its target.
public struct Indicator: Codable, Sendable, Equatable {
    /// Unique within the action, such as `early_warning_coverage`.
    public var key: String
    public var name: String
    public var unit: String?
    public var baseline: Double?
    public var target: Double?
    /// The latest value reported, and on which date.
    public var current: Double?
    public var reportedOn: String?

    public init(
        key: String, name: String, unit: String? = nil, baseline: Double? = nil, target: Double? = nil,
        current: Double? = nil, reportedOn: String? = nil
    ) {
        self.key = key
        self.name = name
        self.unit = unit
        self.baseline = baseline
        self.target = target
        self.current = current
        self.reportedOn = reportedOn
    }

    enum CodingKeys: String, CodingKey {
        case key, name, unit, baseline, target, current
        case reportedOn = "reported_on"
    }
}

public struct PlanAction: Codable, Sendable, Equatable {
    /// Unique within the plan, such as `1.2`.
    public var key: String
    public var title: String
    /// The actor responsible.
    public var owner: String?
    public var deadline: String?
    public var status: ActionStatus
    public var indicators: [Indicator]

    public init(
        key: String, title: String, owner: String? = nil, deadline: String? = nil, status: ActionStatus = .planned,
        indicators: [Indicator] = []
    ) {
        self.key = key
        self.title = title
        self.owner = owner
        self.deadline = deadline
        self.status = status
        self.indicators = indicators
    }
}

/// A plan of a network or of one actor, such as a disaster-risk-reduction and climate-adaptation plan.
public struct ActionPlan: Codable, Sendable, Equatable {
    public var id: String
    public var network: String
    /// The actor whose plan it is, when it is one member's plan.
    public var actor: String?
    public var title: String
    /// Such as `drr` or `climate_adaptation`.
    public var themes: [String]
    public var adoptedOn: String?
    public var actions: [PlanAction]
    public var version: Int

    public init(
        id: String, network: String, actor: String?, title: String, themes: [String], adoptedOn: String?,
        actions: [PlanAction], version: Int
    ) {
        self.id = id
        self.network = network
        self.actor = actor
        self.title = title
        self.themes = themes
        self.adoptedOn = adoptedOn
        self.actions = actions
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case id
        case network
        case actor
        case title
        case themes
        case adoptedOn = "adopted_on"
        case actions
        case version
    }
}

public struct AdoptActionPlan: Command {
    public static let topic: Topic = "registry.action_plan.adopt"
    public typealias Reply = ActionPlan

    public var network: String
    public var actor: String?
    public var title: String
    public var themes: [String]?
    public var adoptedOn: String?
    public var actions: [PlanAction]

    public init(
        network: String, actor: String? = nil, title: String, themes: [String]? = nil, adoptedOn: String? = nil,
        actions: [PlanAction]
    ) {
        self.network = network
        self.actor = actor
        self.title = title
        self.themes = themes
        self.adoptedOn = adoptedOn
        self.actions = actions
    }

    enum CodingKeys: String, CodingKey {
        case network
        case actor
        case title
        case themes
        case adoptedOn = "adopted_on"
        case actions
    }
}

/// Adds an action to a plan; `conflict` when stale or the key is taken.
public struct AddPlanAction: Command {
    public static let topic: Topic = "registry.action_plan.add_action"
    public typealias Reply = ActionPlan

    public var plan: String
    public var version: Int
    public var action: PlanAction

    public init(plan: String, version: Int, action: PlanAction) {
        self.plan = plan
        self.version = version
        self.action = action
    }
}

/// A value reported for an indicator.
public struct IndicatorValue: Codable, Sendable, Equatable {
    public var indicator: String
    public var value: Double

    public init(indicator: String, value: Double) {
        self.indicator = indicator
        self.value = value
    }
}

/// Reports progress on one action: a status, indicator values, a note, as of a date.
public struct RecordProgress: Command {
    public static let topic: Topic = "registry.action_plan.record_progress"
    public typealias Reply = ProgressUpdate

    public var plan: String
    public var action: String
    /// Default today.
    public var on: String?
    public var status: ActionStatus?
    public var values: [IndicatorValue]?
    public var note: String?

    public init(
        plan: String, action: String, on: String? = nil, status: ActionStatus? = nil, values: [IndicatorValue]? = nil,
        note: String? = nil
    ) {
        self.plan = plan
        self.action = action
        self.on = on
        self.status = status
        self.values = values
        self.note = note
    }
}

/// One progress report, with what it changed.
public struct ProgressUpdate: Codable, Sendable, Equatable {
    public struct Change: Codable, Sendable, Equatable {
        public var indicator: String
        public var from: Double?
        public var to: Double

        public init(indicator: String, from: Double?, to: Double) {
            self.indicator = indicator
            self.from = from
            self.to = to
        }
    }

    public var plan: String
    public var action: String
    public var on: String
    public var statusFrom: ActionStatus
    public var statusTo: ActionStatus
    public var changes: [Change]
    public var note: String?

    public init(
        plan: String, action: String, on: String, statusFrom: ActionStatus, statusTo: ActionStatus,
        changes: [Change], note: String?
    ) {
        self.plan = plan
        self.action = action
        self.on = on
        self.statusFrom = statusFrom
        self.statusTo = statusTo
        self.changes = changes
        self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case plan
        case action
        case on
        case statusFrom = "status_from"
        case statusTo = "status_to"
        case changes
        case note
    }
}

public struct GetActionPlan: Query {
    public static let topic: Topic = "registry.action_plan.get"
    public typealias Reply = ActionPlan

    public var id: String
    public init(id: String) { self.id = id }
}

public struct ListActionPlans: Query {
    public static let topic: Topic = "registry.action_plan.list"
    public typealias Reply = ActionPlanList

    public var network: String?
    public init(network: String? = nil) { self.network = network }
}

public struct ActionPlanList: Codable, Sendable, Equatable {
    public var plans: [ActionPlan]
    public init(plans: [ActionPlan]) { self.plans = plans }
}

/// What changed in a plan since a date, such as the last dialogue: per action, status and indicator values
/// then and now, and the reports in between.
public struct GetPlanChanges: Query {
    public static let topic: Topic = "registry.action_plan.changes"
    public typealias Reply = PlanChanges

    public var plan: String
    /// Reports dated after this day count as changes.
    public var since: String

    public init(plan: String, since: String) {
        self.plan = plan
        self.since = since
    }
}

public struct PlanChanges: Codable, Sendable, Equatable {
    public struct IndicatorChange: Codable, Sendable, Equatable {
        public var indicator: String
        public var name: String
        /// The value as of `since` (the baseline when nothing was reported before).
        public var then: Double?
        public var now: Double?
        public var target: Double?
        /// Share of the way from baseline to target covered now, 0 to 1 (beyond when surpassed).
        public var progress: Double?

        public init(
            indicator: String, name: String, then: Double?, now: Double?, target: Double?, progress: Double?
        ) {
            self.indicator = indicator
            self.name = name
            self.then = then
            self.now = now
            self.target = target
            self.progress = progress
        }
    }

    public struct ActionChange: Codable, Sendable, Equatable {
        public var action: String
        public var title: String
        public var statusThen: ActionStatus
        public var statusNow: ActionStatus
        public var indicators: [IndicatorChange]
        public var updates: [ProgressUpdate]

        public init(
            action: String, title: String, statusThen: ActionStatus, statusNow: ActionStatus,
            indicators: [IndicatorChange], updates: [ProgressUpdate]
        ) {
            self.action = action
            self.title = title
            self.statusThen = statusThen
            self.statusNow = statusNow
            self.indicators = indicators
            self.updates = updates
        }

        enum CodingKeys: String, CodingKey {
            case action
            case title
            case statusThen = "status_then"
            case statusNow = "status_now"
            case indicators
            case updates
        }
    }

    public var plan: String
    public var since: String
    /// Only the actions with a report after `since`.
    public var actions: [ActionChange]

    public init(plan: String, since: String, actions: [ActionChange]) {
        self.plan = plan
        self.since = since
        self.actions = actions
    }
}

public struct ActionPlanAdopted: Event {
    public static let topic: Topic = "registry.action_plan.adopted"
    public var plan: ActionPlan
    public init(plan: ActionPlan) { self.plan = plan }
}

public struct PlanActionAdded: Event {
    public static let topic: Topic = "registry.action_plan.action_added"
    public var plan: ActionPlan
    public init(plan: ActionPlan) { self.plan = plan }
}

public struct ProgressRecorded: Event {
    public static let topic: Topic = "registry.action_plan.progress_recorded"
    public var update: ProgressUpdate
    public init(update: ProgressUpdate) { self.update = update }
}
