/// A dot-separated, lowercase message topic, such as `registry.membership.created`.
///
/// Subscriptions match topics by prefix, so `registry.` receives every registry event.
public struct Topic: Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The topic as it appears on the wire.
    public let rawValue: String

    /// Creates a topic, checking its form.
    public init(validating rawValue: String) throws(ConcordError) {
        guard Topic.isValid(rawValue) else {
            throw ConcordError.badRequest(
                "topic \"\(rawValue)\": expected lowercase dot-separated words such as \"registry.actor.registered\""
            )
        }
        self.rawValue = rawValue
    }

    /// Creates a topic from a literal in code; an invalid literal is a programming error.
    public init(stringLiteral value: String) {
        precondition(Topic.isValid(value), "invalid topic literal \"\(value)\"")
        self.rawValue = value
    }

    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(validating: value)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    /// The first word of the topic, which names the module that owns it.
    public var namespace: Substring { rawValue.prefix { $0 != "." } }

    /// Whether the topic starts with `prefix`; the empty prefix matches every topic.
    public func hasPrefix(_ prefix: String) -> Bool { rawValue.hasPrefix(prefix) }

    static func isValid(_ value: String) -> Bool {
        let words = value.split(separator: ".", omittingEmptySubsequences: false)
        guard words.count >= 2 else { return false }
        return words.allSatisfy { word in
            !word.isEmpty
                && word.utf8.allSatisfy { byte in
                    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                        || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
                }
        }
    }
}
