/// The gateway's endpoints, security and limits (PROTOCOL.md's defaults).
public struct GatewayOptions: Sendable {
    public var eventsEndpoint: String
    public var commandsEndpoint: String
    public var security: GatewaySecurity
    public var heartbeatInterval: Duration
    /// `ZMQ_MAXMSGSIZE`: a peer that sends more is disconnected.
    public var maxMessageSize: Int64
    /// `ZMQ_SNDHWM` of the event socket: past it, messages to a slow subscriber are dropped.
    public var eventsHighWaterMark: Int32
    /// `ZMQ_SNDHWM` of the command socket: the replies queued for one client that does not read them; past it,
    /// replies to that client are dropped and counted (`gateway.replies_dropped`).
    public var commandsHighWaterMark: Int32
    public var maxInFlightPerClient: Int
    /// ZMTP heartbeats on the command socket.
    public var commandHeartbeatInterval: Duration
    public var commandHeartbeatTimeout: Duration
    /// Events waiting for the I/O thread; past it they are dropped and counted (replay recovers them).
    public var eventQueueCapacity: Int
    /// How long the I/O thread keeps polling without blocking after a command arrived or a reply left,
    /// while replies are due: it trades a little CPU for the latency of waking a blocked thread.
    public var replySpin: Duration

    public init(
        eventsEndpoint: String = "tcp://127.0.0.1:7401",
        commandsEndpoint: String = "tcp://127.0.0.1:7402",
        security: GatewaySecurity = .none,
        heartbeatInterval: Duration = .seconds(1),
        maxMessageSize: Int64 = 1 << 20,
        eventsHighWaterMark: Int32 = 100_000,
        commandsHighWaterMark: Int32 = 1000,
        maxInFlightPerClient: Int = 64,
        commandHeartbeatInterval: Duration = .seconds(5),
        commandHeartbeatTimeout: Duration = .seconds(15),
        eventQueueCapacity: Int = 262_144,
        replySpin: Duration = .microseconds(200)
    ) {
        self.eventsEndpoint = eventsEndpoint
        self.commandsEndpoint = commandsEndpoint
        self.security = security
        self.heartbeatInterval = heartbeatInterval
        self.maxMessageSize = maxMessageSize
        self.eventsHighWaterMark = eventsHighWaterMark
        self.commandsHighWaterMark = commandsHighWaterMark
        self.maxInFlightPerClient = maxInFlightPerClient
        self.commandHeartbeatInterval = commandHeartbeatInterval
        self.commandHeartbeatTimeout = commandHeartbeatTimeout
        self.eventQueueCapacity = eventQueueCapacity
        self.replySpin = replySpin
    }

    /// Whether `endpoint` is reachable from this machine only: `ipc://`, `inproc://`, or TCP on loopback.
    public static func isLocal(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard endpoint.hasPrefix("tcp://") else { return false }
        var host = endpoint.dropFirst("tcp://".count)
        if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
        return host == "localhost" || host == "[::1]" || host.hasPrefix("127.")
    }
}

/// `security.mode`: none (loopback and ipc only) or CURVE with a ZAP handler and an allowlist.
public enum GatewaySecurity: Sendable {
    case none
    case curve(serverSecretKey: String, allowlistPath: String)

    public var mode: String {
        switch self {
        case .none: "none"
        case .curve: "curve"
        }
    }
}
