import CZeroMQ

#if canImport(Glibc)
    import Glibc
#endif

/// Waits on several sockets and plain file descriptors at once (`zmq_poll`). Use it on a dedicated thread.
public struct ZMQPoller {
    private var items: [zmq_pollitem_t] = []

    public init() {}

    /// Adds a socket to wait for input on; returns its index.
    @discardableResult
    public mutating func add(_ socket: ZMQSocket) -> Int {
        items.append(zmq_pollitem_t(socket: socket.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0))
        return items.count - 1
    }

    /// Adds a file descriptor to wait for input on; returns its index.
    @discardableResult
    public mutating func add(fileDescriptor: Int32) -> Int {
        items.append(zmq_pollitem_t(socket: nil, fd: fileDescriptor, events: Int16(ZMQ_POLLIN), revents: 0))
        return items.count - 1
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever); returns whether each item is readable.
    public mutating func poll(timeoutMilliseconds: Int) throws -> [Bool] {
        let count = items.withUnsafeMutableBufferPointer {
            zmq_poll($0.baseAddress, Int32($0.count), timeoutMilliseconds)
        }
        if count < 0 {
            let error = ZMQError.last("zmq_poll")
            if error.code == EINTR { return Array(repeating: false, count: items.count) }
            throw error
        }
        return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
    }
}

/// An eventfd another thread writes to wake a poller.
public final class ZMQWakeup: @unchecked Sendable {
    // @unchecked Sendable: an eventfd may be written and read from any thread; the descriptor never changes.
    public let fileDescriptor: Int32

    public init() throws {
        fileDescriptor = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fileDescriptor >= 0 else { throw ZMQError(code: errno, operation: "eventfd") }
    }

    deinit {
        close(fileDescriptor)
    }

    public func signal() {
        var one: UInt64 = 1
        _ = write(fileDescriptor, &one, 8)
    }

    /// Clears the signal after a poll reported it.
    public func clear() {
        var value: UInt64 = 0
        _ = read(fileDescriptor, &value, 8)
    }
}
