public import Foundation

/// Encodes a value straight to JSON bytes, with ``ConcordJSON``'s conventions (ISO 8601 dates, slashes not
/// escaped), several times faster than `JSONEncoder` on Linux: it builds no intermediate tree.
///
/// Containers are closed lazily: a write at some depth first closes every container opened deeper, and the
/// end of the value closes the rest. A value that writes nothing at all becomes `{}`, as with `JSONEncoder`.
/// The journal encodes every event with it, and bulk writes their rows.
public enum JSONStreamEncoder {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        Data(try bytes(value))
    }

    /// The JSON as a `String`: what a module's table stores in a text column.
    public static func text<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try bytes(value), as: UTF8.self)
    }

    private static func bytes<T: Encodable>(_ value: T) throws -> [UInt8] {
        let writer = Writer()
        try writer.encodeValue(value, depth: 0)
        writer.closeContainers(deeperThan: 0)
        return writer.bytes
    }

    final class Writer: Encoder {
        /// What the containers share. It sits behind a pointer rather than in stored properties, so the
        /// many small writes of an encoding skip the class's dynamic exclusivity checks (a quarter of the
        /// time otherwise); the writer owns it and no reference to it outlives the encoding.
        struct State {
            var output = JSONBytes()
            /// Open containers, outermost first: whether each is an object, and whether it has an element yet.
            var open: [(isObject: Bool, hasElements: Bool)] = []
            /// The depth at which the next container is opened.
            var depth = 0
        }

        let state: UnsafeMutablePointer<State>

        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        init() {
            state = .allocate(capacity: 1)
            state.initialize(to: State())
        }

        deinit {
            state.deinitialize(count: 1)
            state.deallocate()
        }

        var bytes: [UInt8] { state.pointee.output.bytes }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            let level = openContainer(isObject: true)
            return KeyedEncodingContainer(KeyedContainer<Key>(writer: self, level: level))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            UnkeyedContainer(writer: self, level: openContainer(isObject: false))
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            SingleValueContainer(writer: self, level: state.pointee.depth)
        }

        private func openContainer(isObject: Bool) -> Int {
            closeContainers(deeperThan: state.pointee.depth)
            state.pointee.output.bytes.append(isObject ? UInt8(ascii: "{") : UInt8(ascii: "["))
            state.pointee.open.append((isObject, false))
            return state.pointee.open.count
        }

        func closeContainers(deeperThan level: Int) {
            while state.pointee.open.count > level {
                state.pointee.output.bytes.append(
                    state.pointee.open.removeLast().isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"))
            }
        }

        /// Starts an element of the container at `level` (1-based): closes deeper ones, writes the separator.
        func beginElement(at level: Int) {
            closeContainers(deeperThan: level)
            if state.pointee.open[level - 1].hasElements {
                state.pointee.output.bytes.append(UInt8(ascii: ","))
            } else {
                state.pointee.open[level - 1].hasElements = true
            }
        }

        func encodeValue<T: Encodable>(_ value: T, depth level: Int) throws {
            // Metatype comparisons are cheap; casting every value is not.
            if T.self == String.self {
                writeString(value as! String)
            } else if T.self == Date.self {
                writeString((value as! Date).formatted(.iso8601))
            } else if T.self == Data.self {
                writeString((value as! Data).base64EncodedString())
            } else if T.self == URL.self {
                writeString((value as! URL).absoluteString)
            } else if T.self == Decimal.self {
                state.pointee.output.bytes.append(contentsOf: (value as! Decimal).description.utf8)
            } else {
                let saved = state.pointee.depth
                state.pointee.depth = level
                let mark = state.pointee.output.bytes.count
                try value.encode(to: self)
                state.pointee.depth = saved
                if state.pointee.output.bytes.count == mark { state.pointee.output.bytes.append(contentsOf: "{}".utf8) }
            }
        }

        func writeString(_ string: String) { state.pointee.output.string(string) }

        func writeDouble(_ value: Double) throws { try state.pointee.output.double(value) }

        func writeInteger(_ value: some BinaryInteger) { state.pointee.output.integer(value) }
    }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let writer: Writer
        let level: Int
        var codingPath: [any CodingKey] { [] }

        private func key(_ key: Key) {
            writer.beginElement(at: level)
            writer.writeString(key.stringValue)
            writer.state.pointee.output.bytes.append(UInt8(ascii: ":"))
        }

        mutating func encodeNil(forKey key: Key) throws {
            self.key(key)
            writer.state.pointee.output.bytes.append(contentsOf: "null".utf8)
        }
        mutating func encode(_ value: Bool, forKey key: Key) throws {
            self.key(key)
            writer.state.pointee.output.bytes.append(contentsOf: (value ? "true" : "false").utf8)
        }
        mutating func encode(_ value: String, forKey key: Key) throws {
            self.key(key)
            writer.writeString(value)
        }
        mutating func encode(_ value: Double, forKey key: Key) throws {
            self.key(key)
            try writer.writeDouble(value)
        }
        mutating func encode(_ value: Float, forKey key: Key) throws {
            self.key(key)
            try writer.writeDouble(Double(value))
        }
        mutating func encode(_ value: Int, forKey key: Key) throws {
            self.key(key)
            writer.writeInteger(value)
        }
        mutating func encode(_ value: Int64, forKey key: Key) throws {
            self.key(key)
            writer.writeInteger(value)
        }
        mutating func encode(_ value: UInt64, forKey key: Key) throws {
            self.key(key)
            writer.writeInteger(value)
        }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            self.key(key)
            try writer.encodeValue(value, depth: level)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey>
        {
            self.key(key)
            writer.state.pointee.depth = level
            return writer.container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            self.key(key)
            writer.state.pointee.depth = level
            return writer.unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder { writer }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            self.key(key)
            writer.state.pointee.depth = level
            return writer
        }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let writer: Writer
        let level: Int
        var count = 0
        var codingPath: [any CodingKey] { [] }

        init(writer: Writer, level: Int) {
            self.writer = writer
            self.level = level
        }

        private mutating func element() {
            writer.beginElement(at: level)
            count += 1
        }

        mutating func encodeNil() throws {
            element()
            writer.state.pointee.output.bytes.append(contentsOf: "null".utf8)
        }
        mutating func encode(_ value: Bool) throws {
            element()
            writer.state.pointee.output.bytes.append(contentsOf: (value ? "true" : "false").utf8)
        }
        mutating func encode(_ value: String) throws {
            element()
            writer.writeString(value)
        }
        mutating func encode(_ value: Double) throws {
            element()
            try writer.writeDouble(value)
        }
        mutating func encode(_ value: Int) throws {
            element()
            writer.writeInteger(value)
        }
        mutating func encode(_ value: Int64) throws {
            element()
            writer.writeInteger(value)
        }
        mutating func encode<T: Encodable>(_ value: T) throws {
            element()
            try writer.encodeValue(value, depth: level)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
            -> KeyedEncodingContainer<NestedKey>
        {
            element()
            writer.state.pointee.depth = level
            return writer.container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            element()
            writer.state.pointee.depth = level
            return writer.unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder {
            element()
            writer.state.pointee.depth = level
            return writer
        }
    }

    struct SingleValueContainer: SingleValueEncodingContainer {
        let writer: Writer
        let level: Int
        var codingPath: [any CodingKey] { [] }

        mutating func encodeNil() throws { writer.state.pointee.output.bytes.append(contentsOf: "null".utf8) }
        mutating func encode(_ value: Bool) throws {
            writer.state.pointee.output.bytes.append(contentsOf: (value ? "true" : "false").utf8)
        }
        mutating func encode(_ value: String) throws { writer.writeString(value) }
        mutating func encode(_ value: Double) throws { try writer.writeDouble(value) }
        mutating func encode(_ value: Float) throws { try writer.writeDouble(Double(value)) }
        mutating func encode(_ value: Int) throws { writer.writeInteger(value) }
        mutating func encode(_ value: Int8) throws { writer.writeInteger(value) }
        mutating func encode(_ value: Int16) throws { writer.writeInteger(value) }
        mutating func encode(_ value: Int32) throws { writer.writeInteger(value) }
        mutating func encode(_ value: Int64) throws { writer.writeInteger(value) }
        mutating func encode(_ value: UInt) throws { writer.writeInteger(value) }
        mutating func encode(_ value: UInt8) throws { writer.writeInteger(value) }
        mutating func encode(_ value: UInt16) throws { writer.writeInteger(value) }
        mutating func encode(_ value: UInt32) throws { writer.writeInteger(value) }
        mutating func encode(_ value: UInt64) throws { writer.writeInteger(value) }
        mutating func encode<T: Encodable>(_ value: T) throws { try writer.encodeValue(value, depth: level) }
    }
}
