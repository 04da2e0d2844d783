public import Foundation

/// Encodes a value straight to JSON bytes, with ``ConcordJSON``'s conventions (ISO 8601 dates, slashes not
/// escaped), several times faster than `JSONEncoder` on Linux: it builds no intermediate tree.
///
/// Containers are closed lazily: a write at some depth first closes every container opened deeper, and the
/// end of the value closes the rest. A value that writes nothing at all becomes `{}`, as with `JSONEncoder`.
/// The journal encodes every event with it, and bulk writes their rows.
public enum JSONStreamEncoder {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let writer = Writer()
        try writer.encodeValue(value, depth: 0)
        writer.closeContainers(deeperThan: 0)
        return Data(writer.bytes)
    }

    final class Writer: Encoder {
        var bytes: [UInt8] = []
        /// Open containers, outermost first: whether each is an object, and whether it has an element yet.
        var open: [(isObject: Bool, hasElements: Bool)] = []
        /// The depth at which the next container is opened.
        var depth = 0

        static let hexDigits = Array("0123456789abcdef".utf8)

        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        init() { bytes.reserveCapacity(512) }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            let level = openContainer(isObject: true)
            return KeyedEncodingContainer(KeyedContainer<Key>(writer: self, level: level))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            UnkeyedContainer(writer: self, level: openContainer(isObject: false))
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            SingleValueContainer(writer: self, level: depth)
        }

        private func openContainer(isObject: Bool) -> Int {
            closeContainers(deeperThan: depth)
            bytes.append(isObject ? UInt8(ascii: "{") : UInt8(ascii: "["))
            open.append((isObject, false))
            return open.count
        }

        func closeContainers(deeperThan level: Int) {
            while open.count > level {
                bytes.append(open.removeLast().isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"))
            }
        }

        /// Starts an element of the container at `level` (1-based): closes deeper ones, writes the separator.
        func beginElement(at level: Int) {
            closeContainers(deeperThan: level)
            if open[level - 1].hasElements {
                bytes.append(UInt8(ascii: ","))
            } else {
                open[level - 1].hasElements = true
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
                bytes.append(contentsOf: (value as! Decimal).description.utf8)
            } else {
                let saved = depth
                depth = level
                let mark = bytes.count
                try value.encode(to: self)
                depth = saved
                if bytes.count == mark { bytes.append(contentsOf: "{}".utf8) }
            }
        }

        func writeString(_ string: String) {
            bytes.append(UInt8(ascii: "\""))
            var string = string
            string.withUTF8 { utf8 in
                var start = 0
                for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                    switch byte {
                    case 0x22: bytes.append(contentsOf: #"\""#.utf8)
                    case 0x5C: bytes.append(contentsOf: #"\\"#.utf8)
                    case 0x0A: bytes.append(contentsOf: #"\n"#.utf8)
                    case 0x0D: bytes.append(contentsOf: #"\r"#.utf8)
                    case 0x09: bytes.append(contentsOf: #"\t"#.utf8)
                    case 0x08: bytes.append(contentsOf: #"\b"#.utf8)
                    case 0x0C: bytes.append(contentsOf: #"\f"#.utf8)
                    default:
                        bytes.append(contentsOf: #"\u00"#.utf8)
                        bytes.append(Self.hexDigits[Int(byte >> 4)])
                        bytes.append(Self.hexDigits[Int(byte & 0xF)])
                    }
                    start = index + 1
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
            }
            bytes.append(UInt8(ascii: "\""))
        }

        func writeDouble(_ value: Double) throws {
            guard value.isFinite else {
                throw EncodingError.invalidValue(
                    value, EncodingError.Context(codingPath: [], debugDescription: "JSON has no \(value)"))
            }
            // Integral values print without ".0", as JSONEncoder does.
            if value.rounded() == value, abs(value) < 1e15 {
                bytes.append(contentsOf: String(Int64(value)).utf8)
            } else {
                bytes.append(contentsOf: value.description.utf8)
            }
        }

        func writeInteger(_ value: some BinaryInteger) {
            bytes.append(contentsOf: String(value).utf8)
        }
    }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let writer: Writer
        let level: Int
        var codingPath: [any CodingKey] { [] }

        private func key(_ key: Key) {
            writer.beginElement(at: level)
            writer.writeString(key.stringValue)
            writer.bytes.append(UInt8(ascii: ":"))
        }

        mutating func encodeNil(forKey key: Key) throws {
            self.key(key)
            writer.bytes.append(contentsOf: "null".utf8)
        }
        mutating func encode(_ value: Bool, forKey key: Key) throws {
            self.key(key)
            writer.bytes.append(contentsOf: (value ? "true" : "false").utf8)
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
            writer.depth = level
            return writer.container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            self.key(key)
            writer.depth = level
            return writer.unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder { writer }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            self.key(key)
            writer.depth = level
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
            writer.bytes.append(contentsOf: "null".utf8)
        }
        mutating func encode(_ value: Bool) throws {
            element()
            writer.bytes.append(contentsOf: (value ? "true" : "false").utf8)
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
            writer.depth = level
            return writer.container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            element()
            writer.depth = level
            return writer.unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder {
            element()
            writer.depth = level
            return writer
        }
    }

    struct SingleValueContainer: SingleValueEncodingContainer {
        let writer: Writer
        let level: Int
        var codingPath: [any CodingKey] { [] }

        mutating func encodeNil() throws { writer.bytes.append(contentsOf: "null".utf8) }
        mutating func encode(_ value: Bool) throws { writer.bytes.append(contentsOf: (value ? "true" : "false").utf8) }
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
