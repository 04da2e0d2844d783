public import Foundation

/// Generates a JSON Schema (draft 2020-12) for any `Decodable` type by decoding it once with a recording decoder.
///
/// Nothing is written by hand per message type: the schema follows the type's own `Codable` conformance,
/// so a field added to a message appears in `system.catalog` at once.
public enum JSONSchema {
    /// The schema of `type`'s JSON form.
    public static func of<T: Decodable>(_ type: T.Type) -> JSONValue {
        SchemaBuilder(depth: 0).build(type).schema
    }
}

/// A type whose schema and sample value are known without decoding.
public protocol SchemaPrimitive: Decodable {
    static var schema: JSONValue { get }
    static var schemaSample: Self { get }
}

extension String: SchemaPrimitive {
    public static var schema: JSONValue { .object(["type": "string"]) }
    public static var schemaSample: String { "" }
}

extension Bool: SchemaPrimitive {
    public static var schema: JSONValue { .object(["type": "boolean"]) }
    public static var schemaSample: Bool { false }
}

extension Double: SchemaPrimitive {
    public static var schema: JSONValue { .object(["type": "number"]) }
    public static var schemaSample: Double { 0 }
}

extension Float: SchemaPrimitive {
    public static var schema: JSONValue { .object(["type": "number"]) }
    public static var schemaSample: Float { 0 }
}

extension Int: SchemaPrimitive {
    public static var schema: JSONValue { .object(["type": "integer"]) }
    public static var schemaSample: Int { 0 }
}

extension Int64: SchemaPrimitive {
    public static var schema: JSONValue { .object(["type": "integer"]) }
    public static var schemaSample: Int64 { 0 }
}

extension Int32: SchemaPrimitive {
    public static var schema: JSONValue { .object(["type": "integer"]) }
    public static var schemaSample: Int32 { 0 }
}

extension UInt64: SchemaPrimitive {
    public static var schema: JSONValue { .object(["type": "integer", "minimum": 0]) }
    public static var schemaSample: UInt64 { 0 }
}

extension UInt: SchemaPrimitive {
    public static var schema: JSONValue { .object(["type": "integer", "minimum": 0]) }
    public static var schemaSample: UInt { 0 }
}

extension Date: SchemaPrimitive {
    public static var schema: JSONValue { .object(["type": "string", "format": "date-time"]) }
    public static var schemaSample: Date { Date(timeIntervalSince1970: 0) }
}

extension UUID: SchemaPrimitive {
    public static var schema: JSONValue { .object(["type": "string", "format": "uuid"]) }
    public static var schemaSample: UUID { UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)) }
}

extension JSONValue: SchemaPrimitive {
    public static var schema: JSONValue { .object([:]) }
    public static var schemaSample: JSONValue { .null }
}

extension Topic: SchemaPrimitive {
    public static var schema: JSONValue {
        .object(["type": "string", "pattern": "^[a-z0-9_]+(\\.[a-z0-9_]+)+$"])
    }
    public static var schemaSample: Topic { "sample.topic" }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral
{
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// Collections describe themselves through their element type.
protocol SchemaContainer {
    static func schemaAndSample(_ builder: SchemaBuilder) -> (schema: JSONValue, sample: Any)
}

extension Array: SchemaContainer where Element: Decodable {
    static func schemaAndSample(_ builder: SchemaBuilder) -> (schema: JSONValue, sample: Any) {
        let element = builder.nested().build(Element.self)
        return (.object(["type": "array", "items": element.schema]), [Element]())
    }
}

extension Dictionary: SchemaContainer where Key == String, Value: Decodable {
    static func schemaAndSample(_ builder: SchemaBuilder) -> (schema: JSONValue, sample: Any) {
        let value = builder.nested().build(Value.self)
        return (.object(["type": "object", "additionalProperties": value.schema]), [String: Value]())
    }
}

extension Optional: SchemaContainer where Wrapped: Decodable {
    static func schemaAndSample(_ builder: SchemaBuilder) -> (schema: JSONValue, sample: Any) {
        let wrapped = builder.nested().build(Wrapped.self)
        return (.object(["anyOf": .array([wrapped.schema, .object(["type": "null"])])]), Wrapped?.none as Any)
    }
}

struct SchemaBuilder {
    let depth: Int

    func nested() -> SchemaBuilder { SchemaBuilder(depth: depth + 1) }

    func build<T: Decodable>(_ type: T.Type) -> (schema: JSONValue, sample: T?) {
        if let primitive = type as? any SchemaPrimitive.Type {
            return (primitive.schema, primitive.schemaSample as? T)
        }
        if let enumeration = type as? any (CaseIterable & RawRepresentable).Type,
            let described = Self.describeEnum(enumeration)
        {
            return (described.schema, described.sample as? T)
        }
        if let container = type as? any SchemaContainer.Type {
            let described = container.schemaAndSample(self)
            return (described.schema, described.sample as? T)
        }
        guard depth < 16 else { return (.object([:]), nil) }
        let recorder = SchemaRecorder(builder: self)
        let sample = try? T(from: SchemaDecoder(recorder: recorder, codingPath: []))
        var schema = recorder.schema
        if case .object(var object) = schema, object["type"] == "object" {
            object["title"] = .string(String(describing: type))
            schema = .object(object)
        }
        return (schema, sample)
    }

    private static func describeEnum<E: CaseIterable & RawRepresentable>(_ type: E.Type) -> (
        schema: JSONValue, sample: Any
    )? {
        let values: [JSONValue] = type.allCases.compactMap { value in
            switch value.rawValue {
            case let text as String: .string(text)
            case let number as Int: .int(Int64(number))
            default: nil
            }
        }
        guard let first = type.allCases.first, !values.isEmpty else { return nil }
        return (.object(["enum": .array(values)]), first)
    }
}

/// What decoding one type revealed: an object's properties, or a single value's schema.
final class SchemaRecorder {
    let builder: SchemaBuilder
    var properties: [(name: String, schema: JSONValue, required: Bool)] = []
    var single: JSONValue?

    init(builder: SchemaBuilder) { self.builder = builder }

    var schema: JSONValue {
        if let single { return single }
        var seen = Set<String>()
        var props: JSONObject = [:]
        var required: [JSONValue] = []
        for property in properties where seen.insert(property.name).inserted {
            props[property.name] = property.schema
            if property.required { required.append(.string(property.name)) }
        }
        var object: JSONObject = ["type": "object", "properties": .object(props)]
        if !required.isEmpty { object["required"] = .array(required) }
        object["additionalProperties"] = false
        return .object(object)
    }
}

struct SchemaDecoder: Decoder {
    let recorder: SchemaRecorder
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyedSchemaContainer<Key>(recorder: recorder, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        recorder.single = .object(["type": "array"])
        return EmptyUnkeyedContainer(codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleSchemaContainer(recorder: recorder, codingPath: codingPath)
    }
}

struct SchemaSampleUnavailable: Error {}

struct KeyedSchemaContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let recorder: SchemaRecorder
    let codingPath: [any CodingKey]
    var allKeys: [Key] { [] }

    func contains(_ key: Key) -> Bool { true }
    func decodeNil(forKey key: Key) throws -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try record(type, key: key, required: true)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try record(type, key: key, required: false)
    }

    // The protocol's own overloads for primitives would otherwise fall back to `decode`, marking the field required.
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
        try record(type, key: key, required: false)
    }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        try record(type, key: key, required: false)
    }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
        try record(type, key: key, required: false)
    }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? {
        try record(type, key: key, required: false)
    }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
        try record(type, key: key, required: false)
    }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? {
        try record(type, key: key, required: false)
    }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? {
        try record(type, key: key, required: false)
    }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? {
        try record(type, key: key, required: false)
    }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? {
        try record(type, key: key, required: false)
    }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? {
        try record(type, key: key, required: false)
    }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? {
        try record(type, key: key, required: false)
    }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? {
        try record(type, key: key, required: false)
    }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? {
        try record(type, key: key, required: false)
    }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? {
        try record(type, key: key, required: false)
    }

    private func record<T: Decodable>(_ type: T.Type, key: Key, required: Bool) throws -> T {
        let built = recorder.builder.nested().build(type)
        recorder.properties.append((key.stringValue, built.schema, required))
        guard let sample = built.sample else { throw SchemaSampleUnavailable() }
        return sample
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type,
        forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let nested = SchemaRecorder(builder: recorder.builder.nested())
        defer { recorder.properties.append((key.stringValue, nested.schema, true)) }
        return KeyedDecodingContainer(KeyedSchemaContainer<NestedKey>(recorder: nested, codingPath: codingPath + [key]))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        recorder.properties.append((key.stringValue, .object(["type": "array"]), true))
        return EmptyUnkeyedContainer(codingPath: codingPath + [key])
    }

    func superDecoder() throws -> any Decoder { SchemaDecoder(recorder: recorder, codingPath: codingPath) }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        SchemaDecoder(recorder: recorder, codingPath: codingPath)
    }
}

struct SingleSchemaContainer: SingleValueDecodingContainer {
    let recorder: SchemaRecorder
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let built = recorder.builder.build(type)
        recorder.single = built.schema
        guard let sample = built.sample else { throw SchemaSampleUnavailable() }
        return sample
    }
}

struct EmptyUnkeyedContainer: UnkeyedDecodingContainer {
    let codingPath: [any CodingKey]
    var count: Int? { 0 }
    var isAtEnd: Bool { true }
    var currentIndex: Int { 0 }

    mutating func decodeNil() throws -> Bool { false }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { throw SchemaSampleUnavailable() }
    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> { throw SchemaSampleUnavailable() }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { throw SchemaSampleUnavailable() }
    mutating func superDecoder() throws -> any Decoder { throw SchemaSampleUnavailable() }
}
