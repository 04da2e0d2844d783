public import Foundation
public import OrderedCollections

/// A JSON object's members in the order they were written or parsed, so a value read and written again keeps
/// its keys in the order its type declared them.
public typealias JSONObject = OrderedDictionary<String, JSONValue>

/// Any JSON value, for the parts of messages whose shape is open (schemas, replayed envelopes, details).
///
/// Objects keep their members in order: parsed ones in the order of the text, encoded ones in the order the
/// value's `Encodable` conformance wrote them (a type's declaration order), so every reply, event and replay
/// has one deterministic key order.
/// Two objects are equal when they have the same members, in whatever order (RFC 8259 gives order no meaning).
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try Self.decodeObject(from: decoder))
        }
    }

    private struct MemberKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private static func decodeObject(from decoder: any Decoder) throws -> JSONObject {
        let container = try decoder.container(keyedBy: MemberKey.self)
        var object = JSONObject()
        for key in container.allKeys { object[key.stringValue] = try container.decode(JSONValue.self, forKey: key) }
        return object
    }

    public func encode(to encoder: any Encoder) throws {
        if case .object(let members) = self {
            var container = encoder.container(keyedBy: MemberKey.self)
            for (key, value) in members { try container.encode(value, forKey: MemberKey(stringValue: key)) }
            return
        }
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object: break
        }
    }

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.double(let a), .double(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.count == b.count && a.allSatisfy { b[$0.key] == $0.value }
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let value): hasher.combine(value)
        case .int(let value): hasher.combine(value)
        case .double(let value): hasher.combine(value)
        case .string(let value): hasher.combine(value)
        case .array(let value): hasher.combine(value)
        case .object(let members):
            // Order-independent, as equality is.
            var sum = 0
            for (key, value) in members {
                var member = Hasher()
                member.combine(key)
                member.combine(value)
                sum = sum &+ member.finalize()
            }
            hasher.combine(members.count)
            hasher.combine(sum)
        }
    }

    /// The value under `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var intValue: Int64? {
        if case .int(let value) = self { return value }
        return nil
    }

    /// Parses JSON text, or returns `nil` when it is not JSON.
    public static func parse(_ data: Data) -> JSONValue? {
        data.withUnsafeBytes { raw in try? JSONParser.parse(raw.bindMemory(to: UInt8.self)) }
    }

    /// Parses JSON text, or returns `nil` when it is not JSON.
    public static func parse(_ bytes: [UInt8]) -> JSONValue? {
        bytes.withUnsafeBufferPointer { try? JSONParser.parse($0) }
    }

    /// Converts any encodable value through JSON, keeping the order in which it encodes its keys.
    public init(encoding value: some Encodable) throws {
        guard let parsed = Self.parse(try JSONStreamEncoder.encode(value)) else {
            throw EncodingError.invalidValue(
                value, .init(codingPath: [], debugDescription: "the value did not encode as JSON"))
        }
        self = parsed
    }
}

/// The JSON conventions of messages: ISO 8601 dates, snake_case keys stay as declared in `CodingKeys`.
public enum ConcordJSON {
    /// One encoder for the hot paths (replies); `JSONEncoder` is safe to share once configured.
    public static let sharedEncoder = encoder()

    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// JSON objects, numbers and null written as Swift literals, as args and expected replies are in tests:
/// `["network": "ANMC21", "year": 2027]` (strings, integers, booleans and arrays are in `JSONSchema.swift`).
extension JSONValue: ExpressibleByDictionaryLiteral, ExpressibleByFloatLiteral, ExpressibleByNilLiteral {
    public typealias Key = String
    public typealias Value = JSONValue

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(nilLiteral: ()) { self = .null }
}
