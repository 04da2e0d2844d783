public import ConcordKit

/// Every command and event topic the daemon knows, with JSON Schemas generated from the types.
public struct Catalog: Codable, Sendable {
    public struct CommandEntry: Codable, Sendable {
        public var command: String
        public var module: String
        public var mutating: Bool
        public var argsSchema: JSONValue
        public var replySchema: JSONValue

        public init(command: String, module: String, mutating: Bool, argsSchema: JSONValue, replySchema: JSONValue) {
            self.command = command
            self.module = module
            self.mutating = mutating
            self.argsSchema = argsSchema
            self.replySchema = replySchema
        }

        enum CodingKeys: String, CodingKey {
            case command, module, mutating
            case argsSchema = "args_schema"
            case replySchema = "reply_schema"
        }
    }

    public struct EventEntry: Codable, Sendable {
        public var topic: String
        public var module: String
        public var payloadSchema: JSONValue

        public init(topic: String, module: String, payloadSchema: JSONValue) {
            self.topic = topic
            self.module = module
            self.payloadSchema = payloadSchema
        }

        enum CodingKeys: String, CodingKey {
            case topic, module
            case payloadSchema = "payload_schema"
        }
    }

    public var commands: [CommandEntry]
    public var events: [EventEntry]

    public init(commands: [CommandEntry], events: [EventEntry]) {
        self.commands = commands
        self.events = events
    }
}

/// Published every second (not journaled, `seq` null) so subscribers can see they missed events.
public struct Heartbeat: Event {
    public static let topic: Topic = "system.heartbeat"

    public var headSeq: UInt64

    public init(headSeq: UInt64) { self.headSeq = headSeq }

    enum CodingKeys: String, CodingKey { case headSeq = "head_seq" }
}
