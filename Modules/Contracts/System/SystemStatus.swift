public import ConcordKit

/// The daemon's state, as `system.status` answers it.
public struct SystemStatus: Codable, Sendable {
    public var version: String
    public var uptimeSeconds: Double
    public var headSeq: UInt64
    public var modules: [ModuleState]
    public var subscribers: [SubscriberState]
    /// Messages dropped by all mailboxes since start.
    public var drops: UInt64
    /// Whether the daemon takes commands (`false` while starting or stopping).
    public var accepting: Bool
    /// The ZeroMQ endpoints, when the gateway runs.
    public var gateway: GatewayState?

    public init(
        version: String,
        uptimeSeconds: Double,
        headSeq: UInt64,
        modules: [ModuleState],
        subscribers: [SubscriberState],
        drops: UInt64,
        accepting: Bool,
        gateway: GatewayState? = nil
    ) {
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.headSeq = headSeq
        self.modules = modules
        self.subscribers = subscribers
        self.drops = drops
        self.accepting = accepting
        self.gateway = gateway
    }

    enum CodingKeys: String, CodingKey {
        case version
        case uptimeSeconds = "uptime_seconds"
        case headSeq = "head_seq"
        case modules
        case subscribers
        case drops
        case accepting
        case gateway
    }
}

public struct ModuleState: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable, CaseIterable {
        /// `refused`: a plugin that failed its load check (ABI, Concord version, Swift compiler); none of its code ran.
        /// `detached`: an external module that went away (detached, or silent past its heartbeats); its commands
        /// answer `unavailable` until it attaches again.
        case starting, running, failed, stopping, stopped, refused, detached
    }

    public var name: String
    public var version: String
    public var state: State
    /// Why the module failed, when it did.
    public var error: String?
    /// What the module reports of itself (``ModuleStatusReport``), such as the notifications' queue depths.
    public var details: JSONValue?

    public init(name: String, version: String, state: State, error: String? = nil, details: JSONValue? = nil) {
        self.name = name
        self.version = version
        self.state = state
        self.error = error
        self.details = details
    }
}

public struct SubscriberState: Codable, Sendable, Equatable {
    public var subscriber: String
    /// The event topic or topic prefix subscribed to.
    public var topic: String
    public var depth: Int
    public var capacity: Int
    public var overflow: OverflowPolicy
    public var received: UInt64
    public var dropped: UInt64

    public init(
        subscriber: String,
        topic: String,
        depth: Int,
        capacity: Int,
        overflow: OverflowPolicy,
        received: UInt64,
        dropped: UInt64
    ) {
        self.subscriber = subscriber
        self.topic = topic
        self.depth = depth
        self.capacity = capacity
        self.overflow = overflow
        self.received = received
        self.dropped = dropped
    }
}

extension OverflowPolicy: CaseIterable {
    public static var allCases: [OverflowPolicy] { [.block, .drop] }
}

/// The gateway's endpoints and what crossed them since start.
public struct GatewayState: Codable, Sendable, Equatable {
    public var eventsEndpoint: String
    public var commandsEndpoint: String
    public var securityMode: String
    /// Topic-prefix subscriptions the event socket holds now.
    public var eventSubscriptions: Int
    public var eventsPublished: UInt64
    /// Events dropped before the socket (queue full); subscribers recover them with `events.replay`.
    public var eventsDropped: UInt64
    public var commandsReceived: UInt64
    public var commandsRejected: UInt64
    /// Replies that could not be delivered: the client had gone, or had more replies unread than the command
    /// socket's send high-water mark (`reply_high_water_mark`) holds for it.
    public var repliesDropped: UInt64
    /// Replies the command socket queues for one client that is not reading before it drops the next.
    public var replyHighWaterMark: Int32
    /// Peers disconnected by libzmq, for instance for a message over the size limit.
    public var peersDisconnected: UInt64
    public var clientsRefused: UInt64

    public init(
        eventsEndpoint: String,
        commandsEndpoint: String,
        securityMode: String,
        eventSubscriptions: Int,
        eventsPublished: UInt64,
        eventsDropped: UInt64,
        commandsReceived: UInt64,
        commandsRejected: UInt64,
        repliesDropped: UInt64,
        replyHighWaterMark: Int32,
        peersDisconnected: UInt64,
        clientsRefused: UInt64
    ) {
        self.eventsEndpoint = eventsEndpoint
        self.commandsEndpoint = commandsEndpoint
        self.securityMode = securityMode
        self.eventSubscriptions = eventSubscriptions
        self.eventsPublished = eventsPublished
        self.eventsDropped = eventsDropped
        self.commandsReceived = commandsReceived
        self.commandsRejected = commandsRejected
        self.repliesDropped = repliesDropped
        self.replyHighWaterMark = replyHighWaterMark
        self.peersDisconnected = peersDisconnected
        self.clientsRefused = clientsRefused
    }

    enum CodingKeys: String, CodingKey {
        case eventsEndpoint = "events_endpoint"
        case commandsEndpoint = "commands_endpoint"
        case securityMode = "security_mode"
        case eventSubscriptions = "event_subscriptions"
        case eventsPublished = "events_published"
        case eventsDropped = "events_dropped"
        case commandsReceived = "commands_received"
        case commandsRejected = "commands_rejected"
        case repliesDropped = "replies_dropped"
        case replyHighWaterMark = "reply_high_water_mark"
        case peersDisconnected = "peers_disconnected"
        case clientsRefused = "clients_refused"
    }
}
