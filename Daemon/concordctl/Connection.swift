import ConcordKit
import Foundation
import ZeroMQ

/// How concordctl reaches the daemon: endpoints and, under CURVE, the keys.
struct ConnectionOptions {
    var commands: String
    var events: String
    /// The server's public key (Z85), when the daemon runs CURVE.
    var serverKey: String?
    /// This client's key pair, when the daemon runs CURVE.
    var clientKeys: ZMQCurveKeyPair?
    var timeout: Duration

    func secure(_ socket: ZMQSocket) throws {
        guard let serverKey else { return }
        guard let clientKeys else {
            throw ToolError("--server-key needs --key too: the file concordctl keys generate wrote (NAME.secret)")
        }
        try socket.setCurveKey(ZMQOption.curveServerKey, z85: serverKey)
        try socket.setCurveKey(ZMQOption.curvePublicKey, z85: clientKeys.publicKey)
        try socket.setCurveKey(ZMQOption.curveSecretKey, z85: clientKeys.secretKey)
    }
}

struct ToolError: Error, CustomStringConvertible {
    let description: String
    var exitCode: Int32 = 1
    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }
}

/// A DEALER connection to the command endpoint that never waits longer than the timeout.
final class CommandClient {
    let context: ZMQContext
    let socket: ZMQSocket
    let options: ConnectionOptions
    private var counter = 0

    init(options: ConnectionOptions) throws {
        self.options = options
        context = try ZMQContext()
        socket = try context.socket(.dealer)
        try socket.set(ZMQOption.linger, Int32(0))
        // Queue nothing for a daemon that is not there, so a send without a peer fails instead of waiting.
        try socket.set(ZMQOption.immediate, Int32(1))
        try options.secure(socket)
        try socket.connect(options.commands)
    }

    deinit {
        socket.close()
    }

    /// Sends a command and waits for its reply; the reply's JSON object.
    func call(_ command: String, args: Any? = nil, idempotencyKey: String? = nil) throws -> Reply {
        let id = nextID()
        var request: [String: Any] = ["id": id, "command": command]
        if let args { request["args"] = args }
        if let idempotencyKey { request["idempotency_key"] = idempotencyKey }
        return try exchange(JSONSerialization.data(withJSONObject: request), id: id)
    }

    /// Sends a command whose arguments are a Codable value, and waits for its reply.
    ///
    /// For large arguments: `JSONEncoder` writes a long string some twenty times faster than
    /// `JSONSerialization`, which took most of concordctl's time in an import.
    func call<Args: Encodable>(_ command: String, encoding args: Args) throws -> Reply {
        let id = nextID()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return try exchange(encoder.encode(EncodableRequest(id: id, command: command, args: args)), id: id)
    }

    private func nextID() -> String {
        counter += 1
        return "ctl-\(getpid())-\(counter)"
    }

    /// Sends a request and waits for the reply with its `id`.
    private func exchange(_ body: Data, id: String) throws -> Reply {
        let deadline = ContinuousClock.now + options.timeout
        while true {
            do {
                try socket.send([Array(body)], wait: false)
                break
            } catch let error as ZMQError where error.isWouldBlock {
                guard ContinuousClock.now < deadline else { throw unreachable() }
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        var poller = ZMQPoller()
        poller.add(socket)
        while ContinuousClock.now < deadline {
            let left = max(1, (deadline - ContinuousClock.now).milliseconds + 1)
            guard try poller.poll(timeoutMilliseconds: min(left, 100))[0] else { continue }
            guard let message = try socket.receive(wait: false), let frame = message.frames.last else { continue }
            guard let object = try JSONSerialization.jsonObject(with: Data(frame)) as? [String: Any],
                let value = JSONValue.parse(frame)
            else {
                throw ToolError("the daemon at \(options.commands) answered something that is not a JSON object")
            }
            if let replyID = object["id"] as? String, replyID != id { continue }
            return Reply(object: object, value: value)
        }
        throw unreachable()
    }

    private func unreachable() -> ToolError {
        ToolError(
            "no answer from concordd at \(options.commands) within \(options.timeout) "
                + "(is it running? is the endpoint right? under CURVE: are --server-key and --key right and listed?)",
            exitCode: 69
        )
    }
}

/// A reply: its fields to read, and the value as the daemon wrote it, keys in their order, to print.
struct Reply {
    let object: [String: Any]
    let value: JSONValue

    subscript(key: String) -> Any? { object[key] }
}

/// A CWP/1 request whose arguments are a Codable value.
private struct EncodableRequest<Args: Encodable>: Encodable {
    var id: String
    var command: String
    var args: Args
}
