public import OrderedCollections

/// An error a caller sees, with one of PROTOCOL.md's codes and a message that says what was wrong.
public struct ConcordError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The protocol's error codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case badRequest = "bad_request"
            case unknownCommand = "unknown_command"
            case notFound = "not_found"
            case conflict
            case forbidden
            case tooLarge = "too_large"
            case unavailable
            case `internal`
        }

        private let base: Base

        public static let badRequest = Code(base: .badRequest)
        public static let unknownCommand = Code(base: .unknownCommand)
        public static let notFound = Code(base: .notFound)
        public static let conflict = Code(base: .conflict)
        public static let forbidden = Code(base: .forbidden)
        public static let tooLarge = Code(base: .tooLarge)
        public static let unavailable = Code(base: .unavailable)
        public static let `internal` = Code(base: .internal)

        /// The code as it appears on the wire, such as `bad_request`.
        public var rawValue: String { base.rawValue }
        public var description: String { base.rawValue }

        public init?(rawValue: String) {
            guard let base = Base(rawValue: rawValue) else { return nil }
            self.base = base
        }

        private init(base: Base) { self.base = base }
    }

    public var code: Code
    public var message: String
    public var details: JSONObject

    public init(_ code: Code, _ message: String, details: JSONObject = [:]) {
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(code): \(message)" }

    public static func badRequest(_ message: String, details: JSONObject = [:]) -> ConcordError {
        ConcordError(.badRequest, message, details: details)
    }

    public static func notFound(_ message: String) -> ConcordError { ConcordError(.notFound, message) }

    public static func conflict(_ message: String, details: JSONObject = [:]) -> ConcordError {
        ConcordError(.conflict, message, details: details)
    }

    public static func unavailable(_ message: String) -> ConcordError { ConcordError(.unavailable, message) }

    public static func unknownCommand(_ name: String) -> ConcordError {
        ConcordError(.unknownCommand, "no module handles the command \"\(name)\"; system.catalog lists the commands")
    }
}

extension ConcordError {
    /// The error as CWP/1's error object, `{"code", "message", "details"}`.
    public var wireObject: JSONValue {
        .object(["code": .string(code.rawValue), "message": .string(message), "details": .object(details)])
    }

    /// The error a CWP/1 error object stands for; `nil` unless it has a known `code` and a `message`.
    public init?(wireObject: JSONValue) {
        guard case .object(let object) = wireObject, case .string(let name)? = object["code"],
            let code = Code(rawValue: name), case .string(let message)? = object["message"]
        else { return nil }
        var details: JSONObject = [:]
        if case .object(let members)? = object["details"] { details = members }
        self.init(code, message, details: details)
    }
}
