/// JSON text written straight into bytes: strings escaped as RFC 8259 requires, integers in decimal, whole doubles
/// without a fraction. ``JSONStreamEncoder`` writes its values with it, the gateway its frames, and hot paths that
/// write a known shape by hand (an imported actor's document) use it directly, without `Encodable`'s generic calls.
public struct JSONBytes {
    public var bytes: [UInt8] = []

    public init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    /// Text that is JSON already, such as punctuation and keys: `raw(",\"name\":")`.
    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Bytes that are JSON already.
    public mutating func raw(_ data: some Collection<UInt8>) {
        bytes.append(contentsOf: data)
    }

    public mutating func string(_ text: String) {
        Self.append(string: text, to: &bytes)
    }

    public mutating func integer(_ value: some BinaryInteger) {
        if let value = Int64(exactly: value) {
            Self.append(decimal: value.magnitude, negative: value < 0, to: &bytes)
        } else if let value = UInt64(exactly: value) {
            Self.append(decimal: value, negative: false, to: &bytes)
        } else {
            bytes.append(contentsOf: String(value).utf8)
        }
    }

    /// A finite double; whole values print without ".0", as `JSONEncoder` prints them.
    public mutating func double(_ value: Double) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value, EncodingError.Context(codingPath: [], debugDescription: "JSON has no \(value)"))
        }
        if value.rounded() == value, abs(value) < 1e15 {
            Self.append(decimal: Int64(value).magnitude, negative: value < 0, to: &bytes)
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    public mutating func bool(_ value: Bool) {
        value ? raw("true") : raw("false")
    }

    static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `text` as a JSON string, in quotes, escaping quotes, backslashes and control characters.
    public static func append(string text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
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
                    bytes.append(hexDigits[Int(byte >> 4)])
                    bytes.append(hexDigits[Int(byte & 0xF)])
                }
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends an integer's digits straight into the bytes: `String(_:)` on an integer formats through a generic
    /// radix conversion that was most of the cost of encoding a small event.
    public static func append(decimal magnitude: UInt64, negative: Bool, to bytes: inout [UInt8]) {
        // 20 digits hold UInt64.max; they are produced from the last.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        var rest = magnitude
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                count += 1
                buffer[24 - count] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest != 0
            if negative { bytes.append(UInt8(ascii: "-")) }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(24 - count)...]))
        }
    }
}
