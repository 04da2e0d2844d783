public import ConcordKit

// MARK: Actors

/// Registers an actor; `conflict` when one with the same name and country exists, unless `force`.
public struct RegisterActor: Command {
    public static let topic: Topic = "registry.actor.register"
    public typealias Reply = ActorRecord

    public var actor: ActorFields
    public var force: Bool?

    public init(actor: ActorFields, force: Bool? = nil) {
        self.actor = actor
        self.force = force
    }
}

/// Replaces an actor's fields; `conflict` when `version` is not the current one.
public struct UpdateActor: Command {
    public static let topic: Topic = "registry.actor.update"
    public typealias Reply = ActorRecord

    public var id: String
    public var version: Int
    public var actor: ActorFields

    public init(id: String, version: Int, actor: ActorFields) {
        self.id = id
        self.version = version
        self.actor = actor
    }
}

public struct GetActor: Query {
    public static let topic: Topic = "registry.actor.get"
    public typealias Reply = ActorRecord

    public var id: String

    public init(id: String) { self.id = id }
}

/// Lists actors by name, with filters that all must hold, a page at a time.
public struct ListActors: Query {
    public static let topic: Topic = "registry.actor.list"
    public typealias Reply = ActorPage

    public var kind: ActorKind?
    public var country: String?
    /// A UN M49 code or `asia_pacific`.
    public var region: String?
    public var sizeClass: SizeClass?
    /// Actors with a membership in this network with `status` (default active).
    public var network: String?
    public var status: MembershipStatus?
    /// Case-insensitive substring of the name or of another-language name.
    public var text: String?
    /// The `next` of the previous page.
    public var cursor: String?
    /// 1 to 1000, default 100.
    public var limit: Int?

    public init(
        kind: ActorKind? = nil, country: String? = nil, region: String? = nil, sizeClass: SizeClass? = nil,
        network: String? = nil, status: MembershipStatus? = nil, text: String? = nil, cursor: String? = nil,
        limit: Int? = nil
    ) {
        self.kind = kind
        self.country = country
        self.region = region
        self.sizeClass = sizeClass
        self.network = network
        self.status = status
        self.text = text
        self.cursor = cursor
        self.limit = limit
    }

    enum CodingKeys: String, CodingKey {
        case kind
        case country
        case region
        case sizeClass = "size_class"
        case network
        case status
        case text
        case cursor
        case limit
    }
}

public struct ActorPage: Codable, Sendable, Equatable {
    public var actors: [ActorRecord]
    /// Pass as `cursor` for the next page; absent on the last one.
    public var next: String?

    public init(actors: [ActorRecord], next: String?) {
        self.actors = actors
        self.next = next
    }
}

public struct ActorRegistered: Event {
    public static let topic: Topic = "registry.actor.registered"
    public var actor: ActorRecord
    public init(actor: ActorRecord) { self.actor = actor }
}

public struct ActorUpdated: Event {
    public static let topic: Topic = "registry.actor.updated"
    public var actor: ActorRecord
    public init(actor: ActorRecord) { self.actor = actor }
}

// MARK: Networks

public struct CreateNetwork: Command {
    public static let topic: Topic = "registry.network.create"
    public typealias Reply = Network

    public var name: String
    /// Unique, such as `UMCI` or `ANMC21`.
    public var acronym: String
    public var foundedOn: String?
    public var foundedAt: String?
    public var secretariat: String?
    public var charter: String?

    public init(
        name: String, acronym: String, foundedOn: String? = nil, foundedAt: String? = nil, secretariat: String? = nil,
        charter: String? = nil
    ) {
        self.name = name
        self.acronym = acronym
        self.foundedOn = foundedOn
        self.foundedAt = foundedAt
        self.secretariat = secretariat
        self.charter = charter
    }

    enum CodingKeys: String, CodingKey {
        case name
        case acronym
        case foundedOn = "founded_on"
        case foundedAt = "founded_at"
        case secretariat
        case charter
    }
}

public struct ListNetworks: Query {
    public static let topic: Topic = "registry.network.list"
    public typealias Reply = NetworkList
    public init() {}
}

public struct NetworkList: Codable, Sendable, Equatable {
    public var networks: [Network]
    public init(networks: [Network]) { self.networks = networks }
}

public struct NetworkCreated: Event {
    public static let topic: Topic = "registry.network.created"
    public var network: Network
    public init(network: Network) { self.network = network }
}

// MARK: Memberships

/// Records a membership; rules then derive the memberships that follow from it, in the same transaction.
public struct AddMembership: Command {
    public static let topic: Topic = "registry.membership.add"
    public typealias Reply = MembershipChange

    public var actor: String
    public var network: String
    public var role: MembershipRole
    /// Default active.
    public var status: MembershipStatus?
    public var start: String?
    /// `founding_signature`, `accession` or `manual`; `rule` is the registry's own.
    public var basis: MembershipBasis

    public init(
        actor: String, network: String, role: MembershipRole, status: MembershipStatus? = nil, start: String? = nil,
        basis: MembershipBasis
    ) {
        self.actor = actor
        self.network = network
        self.role = role
        self.status = status
        self.start = start
        self.basis = basis
    }
}

/// Ends a membership (status ended, withdrawn or suspended); what was derived from it ends too.
public struct EndMembership: Command {
    public static let topic: Topic = "registry.membership.end"
    public typealias Reply = MembershipChange

    public var id: String
    public var version: Int
    /// `ended` (the default) or `withdrawn`; a suspension is `registry.membership.suspend`.
    public var status: MembershipStatus?
    public var end: String?
    public var reason: String?

    public init(id: String, version: Int, status: MembershipStatus? = nil, end: String? = nil, reason: String? = nil) {
        self.id = id
        self.version = version
        self.status = status
        self.end = end
        self.reason = reason
    }
}

/// The membership a command touched, and every membership rules started or ended because of it.
public struct MembershipChange: Codable, Sendable, Equatable {
    public var membership: Membership
    public var derivedStarted: [Membership]
    public var derivedEnded: [Membership]
    /// Derived memberships suspended or reinstated with their source (absent when none).
    public var derivedSuspended: [Membership]?
    public var derivedReinstated: [Membership]?

    public init(
        membership: Membership, derivedStarted: [Membership], derivedEnded: [Membership],
        derivedSuspended: [Membership]? = nil, derivedReinstated: [Membership]? = nil
    ) {
        self.membership = membership
        self.derivedStarted = derivedStarted
        self.derivedEnded = derivedEnded
        self.derivedSuspended = derivedSuspended
        self.derivedReinstated = derivedReinstated
    }

    enum CodingKeys: String, CodingKey {
        case membership
        case derivedStarted = "derived_started"
        case derivedEnded = "derived_ended"
        case derivedSuspended = "derived_suspended"
        case derivedReinstated = "derived_reinstated"
    }
}

public struct ListMemberships: Query {
    public static let topic: Topic = "registry.membership.list"
    public typealias Reply = MembershipList

    public var actor: String?
    public var network: String?
    public var status: MembershipStatus?

    public init(actor: String? = nil, network: String? = nil, status: MembershipStatus? = nil) {
        self.actor = actor
        self.network = network
        self.status = status
    }
}

public struct MembershipList: Codable, Sendable, Equatable {
    public var memberships: [Membership]
    public init(memberships: [Membership]) { self.memberships = memberships }
}

public struct MembershipStarted: Event {
    public static let topic: Topic = "registry.membership.started"
    public var membership: Membership
    public init(membership: Membership) { self.membership = membership }
}

public struct MembershipEnded: Event {
    public static let topic: Topic = "registry.membership.ended"
    public var membership: Membership
    public init(membership: Membership) { self.membership = membership }
}

// MARK: Rules

/// Defines a membership rule and applies it to the current members of its source network.
public struct DefineRule: Command {
    public static let topic: Topic = "registry.rule.define"
    public typealias Reply = RuleDefined

    public var name: String
    public var source: String
    public var target: String
    public var role: MembershipRole?
    public var conditions: RuleConditions

    public init(name: String, source: String, target: String, role: MembershipRole? = nil, conditions: RuleConditions) {
        self.name = name
        self.source = source
        self.target = target
        self.role = role
        self.conditions = conditions
    }
}

public struct RuleDefined: Event {
    public static let topic: Topic = "registry.rule.defined"
    public var rule: MembershipRule
    /// Memberships the rule started when it was defined.
    public var derived: Int
    public init(rule: MembershipRule, derived: Int) {
        self.rule = rule
        self.derived = derived
    }
}

/// How many actors are active members of both networks, and why each one is a member of each.
public struct GetJointMembers: Query {
    public static let topic: Topic = "registry.network.joint_members"
    public typealias Reply = JointMembers

    public var first: String
    public var second: String

    public init(first: String, second: String) {
        self.first = first
        self.second = second
    }
}

public struct JointMembers: Codable, Sendable, Equatable {
    public struct Member: Codable, Sendable, Equatable {
        public var actor: String
        public var name: String
        public var first: MembershipBasis
        public var second: MembershipBasis

        public init(actor: String, name: String, first: MembershipBasis, second: MembershipBasis) {
            self.actor = actor
            self.name = name
            self.first = first
            self.second = second
        }
    }

    public var count: Int
    public var members: [Member]

    public init(count: Int, members: [Member]) {
        self.count = count
        self.members = members
    }
}

// MARK: History

/// An entity's history (actor, network, membership or rule, by id), from the journal.
public struct GetHistory: Query {
    public static let topic: Topic = "registry.history"
    public typealias Reply = History

    public var id: String
    public init(id: String) { self.id = id }
}

public struct History: Codable, Sendable, Equatable {
    /// The journal's envelopes whose payload names the entity, oldest first.
    public var events: [JSONValue]
    public init(events: [JSONValue]) { self.events = events }
}
