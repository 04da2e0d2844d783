import Foundation

/// The entities an event names: every string in its JSON payload that is a UUID (entity ids are version 7
/// UUIDs, message ids version 7 or 4), lowercase, each once.
///
/// The journal indexes them as it writes the event (`bus_subjects`), so `events.replay` with `subject` finds
/// every event about an entity without reading the journal from its start.
enum EventSubjects {
    static func ids(in payload: some Collection<UInt8>) -> [String] {
        let bytes = Array(payload)
        var found: [String] = []
        var index = 0
        let quote = UInt8(ascii: "\"")
        while index + 37 < bytes.count {
            if bytes[index] == quote, bytes[index + 37] == quote, isUUID(bytes, at: index + 1) {
                let id = String(decoding: bytes[(index + 1)..<(index + 37)], as: UTF8.self).lowercased()
                if !found.contains(id) { found.append(id) }
                index += 38
            } else {
                index += 1
            }
        }
        return found
    }

    /// Whether the 36 bytes at `start` read `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in hexadecimal digits.
    private static func isUUID(_ bytes: [UInt8], at start: Int) -> Bool {
        for offset in 0..<36 {
            let byte = bytes[start + offset]
            switch offset {
            case 8, 13, 18, 23:
                guard byte == UInt8(ascii: "-") else { return false }
            default:
                let isHex =
                    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
                guard isHex else { return false }
            }
        }
        return true
    }
}
