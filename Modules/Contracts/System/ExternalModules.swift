public import ConcordKit

/// Attaches the sending connection as an external module: from then on the daemon routes the declared commands to
/// it and journals the events it returns with each reply. Sent over the command endpoint from a DEALER socket
/// (the daemon routes commands back to that connection); needs the `module` or `admin` role under CURVE.
///
/// Attaching again under the same name (after a restart, or from a new connection) replaces the declaration and
/// the connection.
public struct AttachModule: Command {
    public static let topic: Topic = "system.module.attach"
    public typealias Reply = ModuleAttached

    /// Lowercase, the first word of the module's topics unless `namespaces` says otherwise.
    public var name: String
    public var version: String
    public var namespaces: [String]?
    public var commands: [ExternalCommand]
    public var events: [ExternalEvent]?
    /// How often each side sends a heartbeat (100 to 60 000, default 1 000); three missed ones detach the module.
    public var heartbeatMs: Int?
    /// How long a command may take before its caller is answered `unavailable` (100 to 300 000, default 10 000).
    public var commandTimeoutMs: Int?

    public init(
        name: String, version: String, namespaces: [String]? = nil, commands: [ExternalCommand],
        events: [ExternalEvent]? = nil, heartbeatMs: Int? = nil, commandTimeoutMs: Int? = nil
    ) {
        self.name = name
        self.version = version
        self.namespaces = namespaces
        self.commands = commands
        self.events = events
        self.heartbeatMs = heartbeatMs
        self.commandTimeoutMs = commandTimeoutMs
    }

    enum CodingKeys: String, CodingKey {
        case name, version, namespaces, commands, events
        case heartbeatMs = "heartbeat_ms"
        case commandTimeoutMs = "command_timeout_ms"
    }
}

/// A command an external module handles.
public struct ExternalCommand: Codable, Sendable, Equatable {
    public var command: String
    /// Whether it changes state (default true): mutating commands need the operator role and may return events.
    public var mutating: Bool?
    /// JSON Schemas for `system.catalog` (default `{"type": "object"}`).
    public var argsSchema: JSONValue?
    public var replySchema: JSONValue?

    public init(command: String, mutating: Bool? = nil, argsSchema: JSONValue? = nil, replySchema: JSONValue? = nil) {
        self.command = command
        self.mutating = mutating
        self.argsSchema = argsSchema
        self.replySchema = replySchema
    }

    enum CodingKeys: String, CodingKey {
        case command, mutating
        case argsSchema = "args_schema"
        case replySchema = "reply_schema"
    }
}

/// An event an external module publishes.
public struct ExternalEvent: Codable, Sendable, Equatable {
    public var topic: String
    public var payloadSchema: JSONValue?

    public init(topic: String, payloadSchema: JSONValue? = nil) {
        self.topic = topic
        self.payloadSchema = payloadSchema
    }

    enum CodingKeys: String, CodingKey {
        case topic
        case payloadSchema = "payload_schema"
    }
}

public struct ModuleAttached: Codable, Sendable, Equatable {
    public var name: String
    /// Changes at every attach; the daemon's messages to the module carry it.
    public var session: String
    public var heartbeatMs: Int
    /// Silence past this detaches the module (three heartbeats).
    public var silenceLimitMs: Int
    public var commandTimeoutMs: Int

    public init(name: String, session: String, heartbeatMs: Int, silenceLimitMs: Int, commandTimeoutMs: Int) {
        self.name = name
        self.session = session
        self.heartbeatMs = heartbeatMs
        self.silenceLimitMs = silenceLimitMs
        self.commandTimeoutMs = commandTimeoutMs
    }

    enum CodingKeys: String, CodingKey {
        case name, session
        case heartbeatMs = "heartbeat_ms"
        case silenceLimitMs = "silence_limit_ms"
        case commandTimeoutMs = "command_timeout_ms"
    }
}

/// Detaches the sending connection's module: its commands answer `unavailable` until it attaches again.
public struct DetachModule: Command {
    public static let topic: Topic = "system.module.detach"
    public typealias Reply = Acknowledged

    public init() {}
}
