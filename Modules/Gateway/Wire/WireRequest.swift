import ConcordKit
import Foundation

/// A command request as PROTOCOL.md defines it, checked field by field.
struct WireRequest {
    /// The client's `id`, echoed unchanged (`null` when absent).
    var id: JSONValue
    var command: String
    /// The `args` object (`{}` when absent).
    var args: JSONValue
    var idempotencyKey: String?

    static let fields: Set<String> = ["id", "command", "args", "idempotency_key"]

    /// A request that cannot be served, with the `id` to answer under when one could be read.
    struct Rejection: Error {
        var id: JSONValue
        var error: ConcordError
    }

    /// What arrived on the command endpoint: a request, or a message of an attached module (an object with
    /// `type`: its replies and heartbeats).
    enum Message {
        case request(WireRequest)
        case module(JSONObject)
    }

    static func parseMessage(_ body: [UInt8]) throws(Rejection) -> Message {
        func reject(_ message: String, id: JSONValue = .null) -> Rejection {
            Rejection(id: id, error: .badRequest(message))
        }
        guard !body.isEmpty else {
            throw reject(
                #"empty message: expected one frame holding a JSON object such as {"id": "c-1", "command": "system.ping"}"#
            )
        }
        guard String(validating: body, as: UTF8.self) != nil else {
            throw reject("the request is not valid UTF-8; expected one frame holding a JSON object in UTF-8")
        }
        guard let value = JSONValue.parse(body) else {
            throw reject("malformed JSON: expected one frame holding a JSON object")
        }
        guard case .object(let object) = value else {
            throw reject("the request is \(describe(value)); expected a JSON object with \"command\"")
        }
        if object["type"] != nil, object["command"] == nil { return .module(object) }
        let id = object["id"] ?? .null
        if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
            throw reject("\(unknown): unknown field; a request has id, command, args and idempotency_key", id: id)
        }
        guard let commandValue = object["command"] else {
            throw reject(
                "command: missing; expected a command name such as \"system.ping\" (system.catalog lists them)", id: id)
        }
        guard case .string(let command) = commandValue else {
            throw reject("command: expected a string, got \(describe(commandValue))", id: id)
        }
        var args = JSONValue.object([:])
        switch object["args"] {
        case nil, .null?: break
        case .object(let fields)?: args = .object(fields)
        case let other?:
            throw reject("args: expected a JSON object, got \(describe(other))", id: id)
        }
        var idempotencyKey: String?
        switch object["idempotency_key"] {
        case nil, .null?: break
        case .string(let key)? where !key.isEmpty && key.utf8.count <= 256: idempotencyKey = key
        case let other?:
            throw reject("idempotency_key: expected a string of 1 to 256 bytes, got \(describe(other))", id: id)
        }
        return .request(WireRequest(id: id, command: command, args: args, idempotencyKey: idempotencyKey))
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): "\(flag)"
        case .int(let number): "\(number)"
        case .double(let number): "\(number)"
        case .string(let text): "the string \"\(text.prefix(40))\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}
