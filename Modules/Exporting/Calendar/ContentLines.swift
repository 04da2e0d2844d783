/// iCalendar content lines (RFC 5545 §3.1): `NAME;PARAM=VALUE:value`, CRLF-terminated, folded so no line is
/// longer than 75 octets (a fold never splits a UTF-8 character; the continuation starts with one space).
struct ContentLines {
    private(set) var text = ""

    init() { text.reserveCapacity(4096) }

    /// Appends a property whose value is already in iCalendar form (a date-time, a rule, a duration).
    mutating func raw(_ name: String, _ value: String) {
        fold(name + ":" + value)
    }

    /// Appends a TEXT property, escaped (§3.3.11).
    mutating func text(_ name: String, _ value: String) {
        fold(name + ":" + Self.escape(value))
    }

    /// Appends `text` already folded (a whole component).
    mutating func append(_ lines: ContentLines) {
        text += lines.text
    }

    mutating func clear() { text.removeAll(keepingCapacity: true) }

    /// Backslash, semicolon and comma escaped; line breaks become `\n`.
    static func escape(_ value: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(value.utf8.count + 8)
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case ";": escaped += "\\;"
            case ",": escaped += "\\,"
            case "\r\n", "\n", "\r": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// Writes `line` in pieces of at most 75 octets, breaking only between characters (never inside a UTF-8
    /// sequence).
    private mutating func fold(_ line: String) {
        let bytes = line.utf8
        guard bytes.count > 75 else {
            text += line
            text += "\r\n"
            return
        }
        var budget = 75
        var start = line.startIndex
        var used = 0
        var index = line.startIndex
        while index < line.endIndex {
            let next = line.unicodeScalars.index(after: index)
            let width = line.utf8.distance(from: index, to: next)
            if used + width > budget {
                text += line[start..<index]
                text += "\r\n "
                start = index
                used = 0
                budget = 74
            }
            used += width
            index = next
        }
        text += line[start..<line.endIndex]
        text += "\r\n"
    }
}
