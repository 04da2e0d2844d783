import CZeroMQ

/// A libzmq context: the owner of I/O threads and sockets. Thread-safe, as libzmq's context is.
public final class ZMQContext: @unchecked Sendable {
    // @unchecked Sendable: libzmq documents zmq_ctx_* as thread-safe; the pointer itself never changes.
    let handle: UnsafeMutableRawPointer

    public init() throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
    }

    deinit {
        zmq_ctx_term(handle)
    }

    /// Makes blocking calls on every socket of the context return `ETERM`, so their threads can finish.
    public func shutdown() {
        zmq_ctx_shutdown(handle)
    }

    /// Creates a socket; it belongs to the thread that uses it (libzmq sockets are not thread-safe).
    public func socket(_ type: ZMQSocketType) throws -> ZMQSocket {
        guard let socket = zmq_socket(handle, type.rawValue) else { throw ZMQError.last("zmq_socket \(type)") }
        return ZMQSocket(handle: socket, type: type)
    }

    /// libzmq's version, such as `4.3.4`.
    public static var version: String {
        var major: Int32 = 0
        var minor: Int32 = 0
        var patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}

/// The socket types Concord uses.
public struct ZMQSocketType: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int32
    public let description: String

    public static let pub = ZMQSocketType(rawValue: ZMQ_PUB, description: "PUB")
    public static let sub = ZMQSocketType(rawValue: ZMQ_SUB, description: "SUB")
    public static let xpub = ZMQSocketType(rawValue: ZMQ_XPUB, description: "XPUB")
    public static let req = ZMQSocketType(rawValue: ZMQ_REQ, description: "REQ")
    public static let rep = ZMQSocketType(rawValue: ZMQ_REP, description: "REP")
    public static let dealer = ZMQSocketType(rawValue: ZMQ_DEALER, description: "DEALER")
    public static let router = ZMQSocketType(rawValue: ZMQ_ROUTER, description: "ROUTER")
    public static let pair = ZMQSocketType(rawValue: ZMQ_PAIR, description: "PAIR")
}
