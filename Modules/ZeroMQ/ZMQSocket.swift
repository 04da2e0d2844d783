import CZeroMQ

/// A libzmq socket. Not thread-safe: create it, use it and close it on one thread.
public final class ZMQSocket {
    let handle: UnsafeMutableRawPointer
    public let type: ZMQSocketType
    private var closed = false

    init(handle: UnsafeMutableRawPointer, type: ZMQSocketType) {
        self.handle = handle
        self.type = type
    }

    deinit {
        close()
    }

    /// Closes the socket without waiting for unsent messages (linger 0).
    public func close() {
        guard !closed else { return }
        closed = true
        var linger: Int32 = 0
        zmq_setsockopt(handle, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        zmq_close(handle)
    }

    public func bind(_ endpoint: String) throws {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError.last("bind \(endpoint)") }
    }

    public func connect(_ endpoint: String) throws {
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError.last("connect \(endpoint)") }
    }

    /// The endpoint the socket last bound or connected, with the port chosen for `tcp://host:*`.
    public var lastEndpoint: String {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Options

    public func set(_ option: Int32, _ value: Int32) throws {
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size) == 0 else {
            throw ZMQError.last("setsockopt \(option)=\(value)")
        }
    }

    public func set(_ option: Int32, _ value: Int64) throws {
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int64>.size) == 0 else {
            throw ZMQError.last("setsockopt \(option)=\(value)")
        }
    }

    public func set(_ option: Int32, bytes: [UInt8]) throws {
        let result = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        guard result == 0 else { throw ZMQError.last("setsockopt \(option)") }
    }

    public func set(_ option: Int32, string: String) throws {
        try set(option, bytes: Array(string.utf8))
    }

    public func getInt32(_ option: Int32) throws -> Int32 {
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(handle, option, &value, &size) == 0 else { throw ZMQError.last("getsockopt \(option)") }
        return value
    }

    /// The file descriptor libzmq signals when the socket may have become readable or writable.
    public var fileDescriptor: Int32 {
        get throws {
            var value: Int32 = 0
            var size = MemoryLayout<Int32>.size
            guard zmq_getsockopt(handle, ZMQ_FD, &value, &size) == 0 else { throw ZMQError.last("getsockopt ZMQ_FD") }
            return value
        }
    }

    // MARK: Sending

    /// Sends the frames as one message. With `wait: false` a full high-water mark throws `EAGAIN`.
    public func send(_ frames: [[UInt8]], wait: Bool = true) throws {
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = wait ? 0 : ZMQ_DONTWAIT
            if index < frames.count - 1 { flags |= ZMQ_SNDMORE }
            let result = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            guard result >= 0 else { throw ZMQError.last("send") }
        }
    }

    /// Sends one message of two frames without copying them into an array of arrays.
    public func send(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, wait: Bool = true) throws {
        let flags: Int32 = wait ? 0 : ZMQ_DONTWAIT
        guard zmq_send(handle, first.baseAddress, first.count, flags | ZMQ_SNDMORE) >= 0 else {
            throw ZMQError.last("send")
        }
        guard zmq_send(handle, second.baseAddress, second.count, flags) >= 0 else { throw ZMQError.last("send") }
    }

    // MARK: Receiving

    /// A received message: its frames, and the `User-Id` property a ZAP handler gave the connection.
    public struct Message {
        public var frames: [[UInt8]]
        public var userID: String?
    }

    /// Receives one whole message; `nil` when `wait` is false and none is waiting.
    public func receive(wait: Bool = true) throws -> Message? {
        var frames: [[UInt8]] = []
        var userID: String?
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        while true {
            let size = zmq_msg_recv(&message, handle, wait || !frames.isEmpty ? 0 : ZMQ_DONTWAIT)
            if size < 0 {
                let error = ZMQError.last("receive")
                if error.isWouldBlock && frames.isEmpty { return nil }
                throw error
            }
            let data = zmq_msg_data(&message)
            frames.append(data.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(size))) } ?? [])
            if userID == nil, let property = zmq_msg_gets(&message, "User-Id") {
                userID = String(cString: property)
            }
            if zmq_msg_more(&message) == 0 { break }
        }
        return Message(frames: frames, userID: userID)
    }
}
