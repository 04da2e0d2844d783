import ConcordKit

/// Finds the variables a Mustache template names that its data cannot have, by walking its tags against the JSON
/// Schema of that data (an event's schema comes from its contract, as `system.catalog` shows it). Sections move
/// into what they name (an array's items, an object), and names resolve up the stack of sections as Mustache
/// resolves them.
enum TemplateVariables {
    struct Unknown: Equatable {
        var name: String
        var line: Int
    }

    /// An open schema: every name resolves in it.
    static let anything: JSONValue = .object([:])

    static func unknown(in text: String, data root: JSONValue) -> [Unknown] {
        var stack: [JSONValue] = [root]
        var unknown: [Unknown] = []
        let bytes = Array(text.utf8)
        var index = 0
        var line = 1
        func starts(_ marker: String, at position: Int) -> Bool {
            let marker = Array(marker.utf8)
            return position + marker.count <= bytes.count && Array(bytes[position..<position + marker.count]) == marker
        }
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") { line += 1 }
            guard starts("{{", at: index) else {
                index += 1
                continue
            }
            let triple = starts("{{{", at: index)
            let close = triple ? "}}}" : "}}"
            var end = index + (triple ? 3 : 2)
            while end < bytes.count, !starts(close, at: end) { end += 1 }
            guard end < bytes.count else { break }  // the parser reports an unclosed tag with its line
            let body = String(decoding: bytes[(index + (triple ? 3 : 2))..<end], as: UTF8.self)
            index = end + close.count
            var tag = body.trimmingWhitespace()
            let sigil = triple ? nil : tag.first
            if let sigil, "#^/&!=%>".contains(sigil) { tag = String(tag.dropFirst()).trimmingWhitespace() }
            switch sigil {
            case "!", "=", "%", ">":
                continue
            case "/":
                if stack.count > 1 { stack.removeLast() }
            case "#":
                let found = resolve(tag, in: stack)
                if found == nil { unknown.append(Unknown(name: tag, line: line)) }
                stack.append(found.map(inside) ?? anything)
            case "^":
                if resolve(tag, in: stack) == nil { unknown.append(Unknown(name: tag, line: line)) }
                stack.append(stack.last!)
            default:
                if resolve(tag, in: stack) == nil { unknown.append(Unknown(name: tag, line: line)) }
            }
            line += body.utf8.count(where: { $0 == UInt8(ascii: "\n") })
        }
        return unknown
    }

    /// The schema `name` has from the top of `stack` down, or nil when no section has it.
    static func resolve(_ name: String, in stack: [JSONValue]) -> JSONValue? {
        if name == "." { return stack.last }
        let path = name.split(separator: ".").map(String.init)
        guard let first = path.first else { return nil }
        for schema in stack.reversed() {
            guard var found = child(first, of: schema) else { continue }
            for segment in path.dropFirst() {
                guard let next = child(segment, of: found) else { return nil }
                found = next
            }
            return found
        }
        return nil
    }

    /// The schema of an object's member, or nil when the object cannot have it.
    static func child(_ name: String, of schema: JSONValue) -> JSONValue? {
        let schema = unwrapped(schema)
        guard case .object(let object) = schema else { return nil }
        if object.isEmpty { return anything }
        if case .object(let properties) = object["properties"], let property = properties[name] { return property }
        if let additional = object["additionalProperties"], additional != .bool(false) {
            return additional == .bool(true) ? anything : additional
        }
        return nil
    }

    /// What a section over `schema` renders its inside with: an array's items, else the value itself.
    static func inside(_ schema: JSONValue) -> JSONValue {
        let schema = unwrapped(schema)
        if case .object(let object) = schema, object["type"] == "array" { return object["items"] ?? anything }
        return schema
    }

    /// An optional's schema (`anyOf` with null) as the schema of its value.
    static func unwrapped(_ schema: JSONValue) -> JSONValue {
        if case .object(let object) = schema, case .array(let options) = object["anyOf"] {
            return options.first { $0 != .object(["type": "null"]) } ?? anything
        }
        return schema
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
