public import ConcordKit

// The register's changes of state after creation: a network's details, a rule's retirement, a membership's
// suspension, an actor that is no longer active. Each checks the entity's `version`.

/// Changes a network's name, secretariat or charter; fields left out keep their value.
public struct UpdateNetwork: Command {
    public static let topic: Topic = "registry.network.update"
    public typealias Reply = Network

    /// The network's id or acronym.
    public var id: String
    public var version: Int
    public var name: String?
    /// The actor that runs the secretariat.
    public var secretariat: String?
    public var charter: String?

    public init(id: String, version: Int, name: String? = nil, secretariat: String? = nil, charter: String? = nil) {
        self.id = id
        self.version = version
        self.name = name
        self.secretariat = secretariat
        self.charter = charter
    }
}

public struct NetworkUpdated: Event {
    public static let topic: Topic = "registry.network.updated"
    public var network: Network
    public init(network: Network) { self.network = network }
}

/// Lists the membership rules, retired ones included (they carry `retired`).
public struct ListRules: Query {
    public static let topic: Topic = "registry.rule.list"
    public typealias Reply = RuleList

    /// Only the rules whose source or target is this network (id or acronym).
    public var network: String?

    public init(network: String? = nil) { self.network = network }
}

public struct RuleList: Codable, Sendable, Equatable {
    public var rules: [MembershipRule]
    public init(rules: [MembershipRule]) { self.rules = rules }
}

/// Retires a rule: it derives nothing from now on, and every membership it derived ends, with what was derived
/// from those, in the same transaction.
public struct RetireRule: Command {
    public static let topic: Topic = "registry.rule.retire"
    public typealias Reply = RuleRetirement

    public var id: String
    public var version: Int
    public var reason: String?

    public init(id: String, version: Int, reason: String? = nil) {
        self.id = id
        self.version = version
        self.reason = reason
    }
}

public struct RuleRetirement: Codable, Sendable, Equatable {
    public var rule: MembershipRule
    /// The derived memberships that ended, each also a `registry.membership.ended` event.
    public var ended: [Membership]

    public init(rule: MembershipRule, ended: [Membership]) {
        self.rule = rule
        self.ended = ended
    }
}

public struct RuleRetired: Event {
    public static let topic: Topic = "registry.rule.retired"
    public var rule: MembershipRule
    /// How many derived memberships ended with it.
    public var ended: Int

    public init(rule: MembershipRule, ended: Int) {
        self.rule = rule
        self.ended = ended
    }
}

/// Suspends an active membership that is not derived; the memberships derived from it are suspended with it.
public struct SuspendMembership: Command {
    public static let topic: Topic = "registry.membership.suspend"
    public typealias Reply = MembershipChange

    public var id: String
    public var version: Int
    public var reason: String?

    public init(id: String, version: Int, reason: String? = nil) {
        self.id = id
        self.version = version
        self.reason = reason
    }
}

/// Makes a suspended membership active again; the memberships derived from it are reinstated with it.
public struct ReinstateMembership: Command {
    public static let topic: Topic = "registry.membership.reinstate"
    public typealias Reply = MembershipChange

    public var id: String
    public var version: Int

    public init(id: String, version: Int) {
        self.id = id
        self.version = version
    }
}

public struct MembershipSuspended: Event {
    public static let topic: Topic = "registry.membership.suspended"
    public var membership: Membership
    public var reason: String?

    public init(membership: Membership, reason: String? = nil) {
        self.membership = membership
        self.reason = reason
    }
}

public struct MembershipReinstated: Event {
    public static let topic: Topic = "registry.membership.reinstated"
    public var membership: Membership
    public init(membership: Membership) { self.membership = membership }
}

/// Marks an actor as no longer active: it keeps its history, and every membership it holds ends.
public struct DeactivateActor: Command {
    public static let topic: Topic = "registry.actor.deactivate"
    public typealias Reply = ActorDeactivation

    public var id: String
    public var version: Int
    public var reason: String?
    /// `YYYY-MM-DD`; today when absent.
    public var on: String?

    public init(id: String, version: Int, reason: String? = nil, on: String? = nil) {
        self.id = id
        self.version = version
        self.reason = reason
        self.on = on
    }
}

public struct ActorDeactivation: Codable, Sendable, Equatable {
    public var actor: ActorRecord
    /// Its memberships that ended, derived ones included; each also a `registry.membership.ended` event.
    public var ended: [Membership]

    public init(actor: ActorRecord, ended: [Membership]) {
        self.actor = actor
        self.ended = ended
    }
}

public struct ActorDeactivated: Event {
    public static let topic: Topic = "registry.actor.deactivated"
    public var actor: ActorRecord
    public init(actor: ActorRecord) { self.actor = actor }
}
