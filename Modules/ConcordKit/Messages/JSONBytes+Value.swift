extension JSONBytes {
    /// Writes `value` with its objects' keys in their order; `indent` spaces per level make it readable
    /// (`concordctl`), none keeps it on one line (the wire). A double that is not finite is written as `null`.
    public mutating func value(_ value: JSONValue, indent: Int = 0, depth: Int = 0) {
        switch value {
        case .null: raw("null")
        case .bool(let flag): bool(flag)
        case .int(let number): integer(number)
        case .double(let number):
            if number.isFinite { try? double(number) } else { raw("null") }
        case .string(let text): string(text)
        case .array(let items):
            raw("[")
            for (index, item) in items.enumerated() {
                if index > 0 { raw(",") }
                newline(indent, depth + 1)
                self.value(item, indent: indent, depth: depth + 1)
            }
            if !items.isEmpty { newline(indent, depth) }
            raw("]")
        case .object(let members):
            raw("{")
            for (index, (key, member)) in members.enumerated() {
                if index > 0 { raw(",") }
                newline(indent, depth + 1)
                string(key)
                indent > 0 ? raw(": ") : raw(":")
                self.value(member, indent: indent, depth: depth + 1)
            }
            if !members.isEmpty { newline(indent, depth) }
            raw("}")
        }
    }

    private mutating func newline(_ indent: Int, _ depth: Int) {
        guard indent > 0 else { return }
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * depth))
    }
}
