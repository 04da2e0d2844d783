import Foundation

/// Decodes a command's JSON args and turns decoding failures into `bad_request` messages that name the field,
/// the expected form and the value received: the bus's, and a plugin's, which decodes its own commands.
public enum CommandArguments {
    /// The fields `C` takes, from its schema; args with any other field are refused.
    public static func knownFields<C: Command>(of type: C.Type) -> Set<String> {
        guard case .object(let fields)? = JSONSchema.of(C.self)["properties"] else { return [] }
        return Set(fields.keys)
    }

    /// Decodes `value` as `C`, refusing fields outside `knownFields` (``knownFields(of:)``, worked out once).
    public static func decode<C: Command>(_ type: C.Type, from value: JSONValue, knownFields: Set<String>) throws -> C {
        guard case .object(let fields) = value else {
            throw ConcordError.badRequest("args: expected a JSON object, got \(describe(value))")
        }
        if let unknown = fields.keys.sorted().first(where: { !knownFields.contains($0) }) {
            let expected = knownFields.isEmpty ? "no fields" : knownFields.sorted().joined(separator: ", ")
            throw ConcordError.badRequest("args.\(unknown): unknown field; \(C.topic) takes \(expected)")
        }
        do {
            return try JSONValueDecoder().decode(C.self, from: value)
        } catch let error as DecodingError {
            throw ConcordError.badRequest(message(for: error, in: value))
        } catch let error as ConcordError {
            throw error
        } catch {
            throw ConcordError.badRequest("args: \(error)")
        }
    }

    public static func message(for error: DecodingError, in value: JSONValue) -> String {
        switch error {
        case .typeMismatch(let type, let context):
            let path = path(context.codingPath)
            let found = lookup(context.codingPath, in: value).map(describe) ?? "nothing"
            return "\(path): expected \(expectation(type)), got \(found)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(expectation(type)), got null"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): missing; this field is required"
        case .dataCorrupted(let context):
            let found = lookup(context.codingPath, in: value).map(describe) ?? "nothing"
            return "\(path(context.codingPath)): \(context.debugDescription) (got \(found))"
        @unknown default:
            return "args: \(error)"
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.reduce("args") { path, key in
            if let index = key.intValue { return "\(path)[\(index)]" }
            return "\(path).\(key.stringValue)"
        }
    }

    private static func lookup(_ codingPath: [any CodingKey], in value: JSONValue) -> JSONValue? {
        var current: JSONValue? = value
        for key in codingPath {
            switch current {
            case .object(let object): current = object[key.stringValue]
            case .array(let array):
                guard let index = key.intValue, array.indices.contains(index) else { return nil }
                current = array[index]
            default: return nil
            }
        }
        return current
    }

    private static func expectation(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is UInt.Type, is UInt64.Type: "a non-negative integer"
        case is Double.Type, is Float.Type: "a number"
        case is Date.Type: "an ISO 8601 date-time string"
        default:
            String(describing: type).hasPrefix("Array")
                ? "an array" : String(describing: type).hasPrefix("Dictionary") ? "an object" : "\(type)"
        }
    }

    /// A short account of `value` for an error message: its type, or the value itself when it is short.
    public static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let bool): "\(bool)"
        case .int(let int): "\(int)"
        case .double(let double): "\(double)"
        case .string(let string): "\"\(string.count > 60 ? String(string.prefix(60)) + "…" : string)\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}
