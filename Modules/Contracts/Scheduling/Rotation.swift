public import ConcordKit

// MARK: Host rotation

/// How a series chooses the host of each occurrence.
///
/// Never the same host twice in a row; members that are suspended, have ended (or not yet started) or declined
/// the occurrence are skipped. A decision recorded for an occurrence (an override by the network) takes that
/// occurrence without rewriting the rotation: the turn it covers is used, and the rotation goes on after it as if
/// it had not been overridden (as on-call layers go on under an override).
public struct RotationPolicy: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Active members of the network in membership order (start date, then name).
        case roundRobin = "round_robin"
        /// Active members by name.
        case alphabetical
        /// Regions (UN M49 sub-regions) in turn, in the order they joined; within one, membership order.
        case byRegion = "by_region"
        /// A member that volunteered for the occurrence; without one, round robin.
        case volunteerFirst = "volunteer_first"
        /// The actors of `members`, in that order.
        case fixed
    }

    public var kind: Kind
    /// For `fixed`: the actors in turn.
    public var members: [String]?
    /// The host before the series' first occurrence (Hanoi hosted the 12th): the rotation starts after it.
    public var after: String?
    /// Whether a cancelled occurrence uses up its host's turn (default false).
    public var cancelledUsesTurn: Bool?

    public init(kind: Kind, members: [String]? = nil, after: String? = nil, cancelledUsesTurn: Bool? = nil) {
        self.kind = kind
        self.members = members
        self.after = after
        self.cancelledUsesTurn = cancelledUsesTurn
    }

    enum CodingKeys: String, CodingKey {
        case kind, members, after
        case cancelledUsesTurn = "cancelled_uses_turn"
    }
}

/// A host decision recorded for one occurrence.
public struct HostDecision: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// The network chose the host ("welcome Tomsk to host the 13th Plenary").
        case override
        /// The rotation's choice, confirmed and kept whatever later changes.
        case rotation
        /// A member declined to host it.
        case declined
        /// A member volunteered to host it.
        case volunteered
    }

    public var originalStart: String
    public var kind: Kind
    public var actor: String
    /// Why ("plenary decision of 2013-11-19").
    public var reason: String
    public var decidedOn: String

    public init(originalStart: String, kind: Kind, actor: String, reason: String, decidedOn: String) {
        self.originalStart = originalStart
        self.kind = kind
        self.actor = actor
        self.reason = reason
        self.decidedOn = decidedOn
    }

    enum CodingKeys: String, CodingKey {
        case originalStart = "original_start"
        case kind, actor, reason
        case decidedOn = "decided_on"
    }
}

/// Records a host decision for an occurrence: an override by the network, a decline, a volunteer.
public struct DecideHost: Command {
    public static let topic: Topic = "scheduling.rotation.decide"
    public typealias Reply = RotationForecast

    public var series: String
    public var originalStart: String
    public var kind: HostDecision.Kind
    public var actor: String
    public var reason: String

    public init(series: String, originalStart: String, kind: HostDecision.Kind, actor: String, reason: String) {
        self.series = series
        self.originalStart = originalStart
        self.kind = kind
        self.actor = actor
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case series
        case originalStart = "original_start"
        case kind, actor, reason
    }
}

/// Records the rotation's choice for the next `count` occurrences that have none, so later changes of members
/// or policy do not move them.
public struct ConfirmRotation: Command {
    public static let topic: Topic = "scheduling.rotation.confirm"
    public typealias Reply = RotationForecast

    public var series: String
    public var count: Int

    public init(series: String, count: Int) {
        self.series = series
        self.count = count
    }
}

/// Who hosts the next `count` occurrences (after `after`, default now) and why.
public struct NextHosts: Query {
    public static let topic: Topic = "scheduling.rotation.next"
    public typealias Reply = RotationForecast

    public var series: String
    /// 1 to 1000, default 1.
    public var count: Int?
    /// Occurrences after this local date-time (or date); default the current time.
    public var after: String?

    public init(series: String, count: Int? = nil, after: String? = nil) {
        self.series = series
        self.count = count
        self.after = after
    }
}

public struct HostTurn: Codable, Sendable, Equatable {
    public var originalStart: String
    public var number: Int?
    /// Absent when no member can host.
    public var host: String?
    public var hostName: String?
    /// `override`, `rotation` (recorded), `volunteered`, `computed` (not recorded yet), `fixed` (the series'
    /// host) or `none`.
    public var basis: String
    public var reason: String

    public init(
        originalStart: String, number: Int?, host: String?, hostName: String?, basis: String, reason: String
    ) {
        self.originalStart = originalStart
        self.number = number
        self.host = host
        self.hostName = hostName
        self.basis = basis
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case originalStart = "original_start"
        case number, host
        case hostName = "host_name"
        case basis, reason
    }
}

public struct RotationForecast: Codable, Sendable, Equatable {
    public var series: String
    public var turns: [HostTurn]
    /// For a decision: a host that is not an active member of the network.
    public var warnings: [SchedulingWarning]?

    public init(series: String, turns: [HostTurn], warnings: [SchedulingWarning]? = nil) {
        self.series = series
        self.turns = turns
        self.warnings = warnings
    }
}

public struct HostDecided: Event {
    public static let topic: Topic = "scheduling.rotation.decided"
    public var series: String
    public var decision: HostDecision
    public init(series: String, decision: HostDecision) {
        self.series = series
        self.decision = decision
    }
}
