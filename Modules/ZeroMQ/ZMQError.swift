import CZeroMQ

/// An error from libzmq, with `zmq_errno()` and `zmq_strerror`'s text.
public struct ZMQError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The C error number (`EAGAIN`, `EADDRINUSE`, `EHOSTUNREACH`, ...).
    public let code: Int32
    public let message: String
    /// What was being done, such as `bind tcp://127.0.0.1:7401`.
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.message = String(cString: zmq_strerror(code))
        self.operation = operation
    }

    /// The error of the last failed libzmq call on this thread.
    static func last(_ operation: String) -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation)
    }

    public var description: String { "\(operation): \(message) (zmq errno \(code))" }

    /// The call would have blocked (no message, or a full high-water mark).
    public var isWouldBlock: Bool { code == EAGAIN }
}
