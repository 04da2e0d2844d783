/// An event that has no Swift type in this process: one a plugin or an external module publishes, known here
/// only by its topic and its JSON payload.
///
/// The envelope's topic is the event's; `UntypedEvent.topic` is never journaled or routed. In-process subscribers
/// receive it through prefix subscriptions (``ModuleContext/on(prefix:options:_:)``), with the payload as JSON.
public struct UntypedEvent: Event, Equatable {
    public static let topic: Topic = "concord.untyped"

    /// The event's payload as it was journaled.
    public var payload: JSONValue

    public init(payload: JSONValue) { self.payload = payload }

    public init(from decoder: any Decoder) throws {
        payload = try JSONValue(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try payload.encode(to: encoder)
    }
}

/// An event a module publishes without a Swift type for it in the daemon: its topic and its payload's JSON Schema,
/// as the module declared them.
public struct UntypedEventDeclaration: Sendable, Equatable {
    public var topic: Topic
    public var payloadSchema: JSONValue

    public init(topic: Topic, payloadSchema: JSONValue) {
        self.topic = topic
        self.payloadSchema = payloadSchema
    }
}
