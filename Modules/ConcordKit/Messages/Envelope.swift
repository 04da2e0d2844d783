public import Foundation

/// A message with the facts the bus and the journal keep about it (PROTOCOL.md's envelope).
public struct Envelope<Payload: Sendable>: Sendable {
    /// The position in the durable journal, or `nil` for messages that are not journaled (heartbeats).
    public var seq: UInt64?
    /// A unique identifier of this message.
    public var id: UUID
    public var topic: Topic
    public var time: Date
    /// The module that emitted the message.
    public var source: String
    /// The `id` of the command that caused this message, when one did.
    public var correlationID: String?
    public var payload: Payload

    public init(
        seq: UInt64? = nil,
        id: UUID = MessageID.next(),
        topic: Topic,
        time: Date,
        source: String,
        correlationID: String? = nil,
        payload: Payload
    ) {
        self.seq = seq
        self.id = id
        self.topic = topic
        self.time = time
        self.source = source
        self.correlationID = correlationID
        self.payload = payload
    }

    /// The same envelope with another payload.
    public func map<Other: Sendable>(_ transform: (Payload) throws -> Other) rethrows -> Envelope<Other> {
        Envelope<Other>(
            seq: seq,
            id: id,
            topic: topic,
            time: time,
            source: source,
            correlationID: correlationID,
            payload: try transform(payload)
        )
    }
}

extension Envelope where Payload == JSONValue {
    /// The envelope as PROTOCOL.md's JSON object.
    public var jsonObject: JSONValue {
        .object([
            "seq": seq.map { .int(Int64(bitPattern: $0)) } ?? .null,
            "id": .string(id.uuidString.lowercased()),
            "topic": .string(topic.rawValue),
            "time": .string(EnvelopeTime.format(time)),
            "source": .string(source),
            "correlation_id": correlationID.map(JSONValue.string) ?? .null,
            "payload": payload,
        ])
    }
}

/// The wire form of envelope times: RFC 3339 in UTC with milliseconds.
public enum EnvelopeTime {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public static func format(_ date: Date) -> String {
        date.formatted(style)
    }

    public static func parse(_ text: String) -> Date? {
        try? Date(text, strategy: style)
    }
}
