public import ConcordKit

// MARK: Working groups

public enum WorkingGroupKind: String, Codable, Sendable, CaseIterable {
    case technical
    case thematic
}

public enum WorkingGroupRole: String, Codable, Sendable, CaseIterable {
    case chair
    case coChair = "co_chair"
    case member
}

public struct WorkingGroupMember: Codable, Sendable, Equatable {
    public var actor: String
    public var role: WorkingGroupRole
    public var since: String

    public init(actor: String, role: WorkingGroupRole, since: String) {
        self.actor = actor
        self.role = role
        self.since = since
    }
}

/// A technical or thematic working group of a network, with its members and chairs.
public struct WorkingGroup: Codable, Sendable, Equatable {
    public var id: String
    public var network: String
    public var name: String
    public var kind: WorkingGroupKind
    public var mandate: String?
    /// The declaration (and article) that set it up, such as `Article 5 a`.
    public var establishedBy: String?
    public var members: [WorkingGroupMember]
    public var version: Int

    public init(
        id: String, network: String, name: String, kind: WorkingGroupKind, mandate: String?, establishedBy: String?,
        members: [WorkingGroupMember], version: Int
    ) {
        self.id = id
        self.network = network
        self.name = name
        self.kind = kind
        self.mandate = mandate
        self.establishedBy = establishedBy
        self.members = members
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case id
        case network
        case name
        case kind
        case mandate
        case establishedBy = "established_by"
        case members
        case version
    }
}

public struct CreateWorkingGroup: Command {
    public static let topic: Topic = "registry.working_group.create"
    public typealias Reply = WorkingGroup

    public var network: String
    public var name: String
    public var kind: WorkingGroupKind
    public var mandate: String?
    public var establishedBy: String?

    public init(
        network: String, name: String, kind: WorkingGroupKind, mandate: String? = nil, establishedBy: String? = nil
    ) {
        self.network = network
        self.name = name
        self.kind = kind
        self.mandate = mandate
        self.establishedBy = establishedBy
    }

    enum CodingKeys: String, CodingKey {
        case network, name, kind, mandate
        case establishedBy = "established_by"
    }
}

/// Adds an actor to a working group, changes its role, or (with `role` absent) removes it.
public struct SetWorkingGroupMember: Command {
    public static let topic: Topic = "registry.working_group.set_member"
    public typealias Reply = WorkingGroup

    public var group: String
    public var version: Int
    public var actor: String
    /// Absent to remove the actor.
    public var role: WorkingGroupRole?
    public var since: String?

    public init(group: String, version: Int, actor: String, role: WorkingGroupRole?, since: String? = nil) {
        self.group = group
        self.version = version
        self.actor = actor
        self.role = role
        self.since = since
    }
}

public struct ListWorkingGroups: Query {
    public static let topic: Topic = "registry.working_group.list"
    public typealias Reply = WorkingGroupList

    public var network: String?
    public init(network: String? = nil) { self.network = network }
}

public struct WorkingGroupList: Codable, Sendable, Equatable {
    public var groups: [WorkingGroup]
    public init(groups: [WorkingGroup]) { self.groups = groups }
}

public struct WorkingGroupCreated: Event {
    public static let topic: Topic = "registry.working_group.created"
    public var group: WorkingGroup
    public init(group: WorkingGroup) { self.group = group }
}

public struct WorkingGroupChanged: Event {
    public static let topic: Topic = "registry.working_group.changed"
    public var group: WorkingGroup
    public init(group: WorkingGroup) { self.group = group }
}

// MARK: Projects and programmes

public enum ProjectKind: String, Codable, Sendable, CaseIterable {
    case jointProject = "joint_project"
    case programme
    /// Time-limited: it needs an end date and ends by itself on it.
    case pilotProgramme = "pilot_programme"
}

public enum ProjectStatus: String, Codable, Sendable, CaseIterable {
    case active
    case ended
}

/// A joint project, a programme (such as ANMC21's Platform for Technology and Industry) or a pilot programme.
public struct Project: Codable, Sendable, Equatable {
    public var id: String
    public var network: String
    public var name: String
    public var kind: ProjectKind
    /// The programme this project runs under.
    public var parent: String?
    public var description: String?
    public var participants: [String]
    public var start: String?
    /// A pilot programme ends at 00:00 UTC on this date.
    public var end: String?
    public var status: ProjectStatus
    public var endedOn: String?
    public var endReason: String?
    public var version: Int

    public init(
        id: String, network: String, name: String, kind: ProjectKind, parent: String?, description: String?,
        participants: [String], start: String?, end: String?, status: ProjectStatus, endedOn: String? = nil,
        endReason: String? = nil, version: Int
    ) {
        self.id = id
        self.network = network
        self.name = name
        self.kind = kind
        self.parent = parent
        self.description = description
        self.participants = participants
        self.start = start
        self.end = end
        self.status = status
        self.endedOn = endedOn
        self.endReason = endReason
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case id
        case network
        case name
        case kind
        case parent
        case description
        case participants
        case start
        case end
        case status
        case endedOn = "ended_on"
        case endReason = "end_reason"
        case version
    }
}

public struct StartProject: Command {
    public static let topic: Topic = "registry.project.start"
    public typealias Reply = Project

    public var network: String
    public var name: String
    public var kind: ProjectKind
    public var parent: String?
    public var description: String?
    public var participants: [String]?
    public var start: String?
    /// Required for a pilot programme.
    public var end: String?

    public init(
        network: String, name: String, kind: ProjectKind, parent: String? = nil, description: String? = nil,
        participants: [String]? = nil, start: String? = nil, end: String? = nil
    ) {
        self.network = network
        self.name = name
        self.kind = kind
        self.parent = parent
        self.description = description
        self.participants = participants
        self.start = start
        self.end = end
    }
}

/// Changes a project's participants, description or end date (a pilot's expiry moves with it).
public struct UpdateProject: Command {
    public static let topic: Topic = "registry.project.update"
    public typealias Reply = Project

    public var id: String
    public var version: Int
    public var description: String?
    public var participants: [String]?
    public var end: String?

    public init(
        id: String, version: Int, description: String? = nil, participants: [String]? = nil, end: String? = nil
    ) {
        self.id = id
        self.version = version
        self.description = description
        self.participants = participants
        self.end = end
    }
}

/// Ends a project before its time.
public struct EndProject: Command {
    public static let topic: Topic = "registry.project.end"
    public typealias Reply = Project

    public var id: String
    public var version: Int
    public var reason: String?

    public init(id: String, version: Int, reason: String? = nil) {
        self.id = id
        self.version = version
        self.reason = reason
    }
}

public struct ListProjects: Query {
    public static let topic: Topic = "registry.project.list"
    public typealias Reply = ProjectList

    public var network: String?
    public var kind: ProjectKind?
    public var status: ProjectStatus?

    public init(network: String? = nil, kind: ProjectKind? = nil, status: ProjectStatus? = nil) {
        self.network = network
        self.kind = kind
        self.status = status
    }
}

public struct ProjectList: Codable, Sendable, Equatable {
    public var projects: [Project]
    public init(projects: [Project]) { self.projects = projects }
}

public struct ProjectStarted: Event {
    public static let topic: Topic = "registry.project.started"
    public var project: Project
    public init(project: Project) { self.project = project }
}

public struct ProjectUpdated: Event {
    public static let topic: Topic = "registry.project.updated"
    public var project: Project
    public init(project: Project) { self.project = project }
}

/// A project ended: by hand, or a pilot programme at its end date (`expired`).
public struct ProjectEnded: Event {
    public static let topic: Topic = "registry.project.ended"
    public var project: Project
    public var expired: Bool
    public init(project: Project, expired: Bool) {
        self.project = project
        self.expired = expired
    }
}

/// The durable timer of a pilot programme fell due; the registry then ends it.
public struct PilotProgrammeDue: Event {
    public static let topic: Topic = "registry.project.pilot_due"
    public var project: String
    /// The end date the timer was set for; a timer for an end date since moved is ignored.
    public var end: String
    public init(project: String, end: String) {
        self.project = project
        self.end = end
    }
}
