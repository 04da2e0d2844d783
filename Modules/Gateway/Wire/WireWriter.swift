public import ConcordKit
public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes the protocol's JSON frames straight into bytes: envelopes around payloads the journal already
/// encoded, replies around results the bus already encoded, and any `JSONValue`.
public struct WireWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func raw(_ data: some Collection<UInt8>) {
        bytes.append(contentsOf: data)
    }

    public mutating func number(_ value: UInt64) {
        JSONBytes.append(decimal: value, negative: false, to: &bytes)
    }

    public mutating func number(_ value: Int64) {
        JSONBytes.append(decimal: value.magnitude, negative: value < 0, to: &bytes)
    }

    /// A JSON string, escaped as RFC 8259 requires.
    public mutating func string(_ text: String) {
        JSONBytes.append(string: text, to: &bytes)
    }

    public mutating func value(_ value: JSONValue) {
        var json = JSONBytes(capacity: 64)
        json.value(value)
        bytes.append(contentsOf: json.bytes)
    }

    /// A UUID in lowercase hexadecimal with dashes.
    public mutating func uuid(_ id: UUID) {
        withUnsafeBytes(of: id.uuid) { raw in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 38) { text in
                text[0] = UInt8(ascii: "\"")
                var at = 1
                for (index, byte) in raw.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        text[at] = UInt8(ascii: "-")
                        at += 1
                    }
                    text[at] = Self.hexDigit(byte >> 4)
                    text[at + 1] = Self.hexDigit(byte & 0x0F)
                    at += 2
                }
                text[at] = UInt8(ascii: "\"")
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[0...at]))
            }
        }
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// A UTC time as `"2026-11-22T10:00:00.123Z"`, the form `EnvelopeTime` parses.
    public mutating func time(_ date: Date) {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        var milliseconds = Int(((interval - Double(seconds)) * 1000).rounded(.down))
        if milliseconds >= 1000 {
            seconds += 1
            milliseconds -= 1000
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        bytes.append(UInt8(ascii: "\""))
        digits(Int(parts.tm_year) + 1900, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        bytes.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        bytes.append(UInt8(ascii: "."))
        digits(milliseconds, 3)
        raw("Z\"")
    }

    private mutating func digits(_ value: Int, _ width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8((rest / divisor) % 10))
            rest %= divisor
            divisor /= 10
        }
    }
}

extension WireWriter {
    /// PROTOCOL.md's envelope around a payload that is already JSON.
    public static func envelope(
        seq: UInt64?,
        id: UUID,
        topic: String,
        time: Date,
        source: String,
        correlationID: String?,
        payloadJSON: some Collection<UInt8>
    ) -> [UInt8] {
        var writer = WireWriter(capacity: 200 + payloadJSON.count)
        writer.raw("{\"seq\":")
        if let seq { writer.number(seq) } else { writer.raw("null") }
        writer.raw(",\"id\":")
        writer.uuid(id)
        writer.raw(",\"topic\":")
        writer.string(topic)
        writer.raw(",\"time\":")
        writer.time(time)
        writer.raw(",\"source\":")
        writer.string(source)
        writer.raw(",\"correlation_id\":")
        if let correlationID { writer.string(correlationID) } else { writer.raw("null") }
        writer.raw(",\"payload\":")
        writer.raw(payloadJSON)
        writer.raw("}")
        return writer.bytes
    }

    /// `{"id": ..., "ok": true, "result": ...}` around a result that is already JSON.
    public static func success(id: JSONValue, resultJSON: some Collection<UInt8>) -> [UInt8] {
        var writer = WireWriter(capacity: 48 + resultJSON.count)
        writer.raw("{\"id\":")
        writer.value(id)
        writer.raw(",\"ok\":true,\"result\":")
        writer.raw(resultJSON)
        writer.raw("}")
        return writer.bytes
    }

    /// `{"id": ..., "ok": false, "error": {"code", "message", "details"}}`.
    public static func failure(id: JSONValue, error: ConcordError) -> [UInt8] {
        var writer = WireWriter()
        writer.raw("{\"id\":")
        writer.value(id)
        writer.raw(",\"ok\":false,\"error\":{\"code\":")
        writer.string(error.code.rawValue)
        writer.raw(",\"message\":")
        writer.string(error.message)
        writer.raw(",\"details\":")
        writer.value(.object(error.details))
        writer.raw("}}")
        return writer.bytes
    }
}
