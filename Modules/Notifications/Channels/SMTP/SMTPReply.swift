import NIOCore

/// A server's reply: its three-digit code and the text of its lines (RFC 5321, section 4.2).
struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    var code: Int
    var lines: [String]

    var description: String { "\(code) \(lines.joined(separator: " / "))" }

    /// 2xx and 3xx.
    var isPositive: Bool { (200..<400).contains(code) }
    /// 4xx: try again later.
    var isTransient: Bool { (400..<500).contains(code) }
}

/// What went wrong talking SMTP, said for the delivery log (never with a password in it).
struct SMTPError: Error, CustomStringConvertible {
    enum Kind: Sendable {
        /// The server answered 4xx, or the connection failed: worth another attempt.
        case transient
        /// The server answered 5xx: the same message would fail again.
        case permanent
    }

    var kind: Kind
    var description: String

    static func transient(_ description: String) -> SMTPError { SMTPError(kind: .transient, description: description) }
    static func permanent(_ description: String) -> SMTPError { SMTPError(kind: .permanent, description: description) }

    /// The error an unexpected reply to `step` is: transient for 4xx, permanent otherwise.
    static func unexpected(_ reply: SMTPReply, to step: String) -> SMTPError {
        SMTPError(kind: reply.isTransient ? .transient : .permanent, description: "\(step): \(reply)")
    }
}

/// Cuts the server's bytes into replies: lines ending in CRLF, `NNN-text` continuing a reply and `NNN text`
/// ending it. A line longer than 4 096 bytes (RFC 5321 allows 512) or without a code is an error.
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply

    static let maximumLine = 4_096
    private var lines: [String] = []

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maximumLine { throw SMTPError.permanent("a reply line over 4096 bytes") }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        var line = buffer.readString(length: length) ?? ""
        buffer.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, bytes[0..<3].allSatisfy({ (48...57).contains($0) }), let code = Int(line.prefix(3))
        else {
            throw SMTPError.permanent("the server sent \"\(line.prefix(80))\", not a reply")
        }
        let separator = bytes.count > 3 ? bytes[3] : UInt8(ascii: " ")
        lines.append(bytes.count > 4 ? String(line.dropFirst(4)) : "")
        if separator == UInt8(ascii: "-") { return .continue }
        let reply = SMTPReply(code: code, lines: lines)
        lines = []
        context.fireChannelRead(Self.wrapInboundOut(reply))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue, buffer.readableBytes > 0 {}
        return .needMoreData
    }
}
