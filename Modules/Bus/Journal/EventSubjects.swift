import Foundation

/// The entities an event names: every string in its JSON payload that is a UUID (entity ids are version 7
/// UUIDs, message ids version 7 or 4), indexed as its 16 bytes.
///
/// The journal indexes them as it writes the event (`bus_subjects`), so `events.replay` with `subject` finds
/// every event about an entity without reading the journal from its start. The scan reads the payload's bytes
/// in place: a bulk import writes a quarter of a million events while it holds the writer.
enum EventSubjects {
    /// Calls `body` with each UUID the payload names (an id named twice is given twice; the journal's index keeps
    /// it once).
    static func forEachID(in payload: Data, _ body: (UUID) throws -> Void) rethrows {
        try payload.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var index = 0
            while index + 37 < bytes.count {
                // A UUID string is a quote, 36 characters with dashes at 8, 13, 18 and 23, and a quote.
                guard bytes[index] == quote, bytes[index + 37] == quote, bytes[index + 9] == dash,
                    bytes[index + 14] == dash, bytes[index + 19] == dash, bytes[index + 24] == dash,
                    let id = uuid(bytes, from: index + 1)
                else {
                    index += 1
                    continue
                }
                try body(id)
                index += 38
            }
        }
    }

    private static let quote = UInt8(ascii: "\""), dash = UInt8(ascii: "-")

    /// The UUID whose 36 characters start at `start`, when all but the four dashes are hexadecimal digits.
    private static func uuid(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> UUID? {
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &value) { out -> Bool in
            var at = start
            for index in 0..<16 {
                if at - start == 8 || at - start == 13 || at - start == 18 || at - start == 23 { at += 1 }
                guard let high = nibble(bytes[at]), let low = nibble(bytes[at + 1]) else { return false }
                out[index] = high << 4 | low
                at += 2
            }
            return true
        }
        return parsed ? UUID(uuid: value) : nil
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
