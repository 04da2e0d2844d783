import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// A minimal SMTP client after RFC 5321 (EHLO, MAIL, RCPT, DATA with dot-stuffing), RFC 3207 (STARTTLS) and
/// RFC 4954 (AUTH PLAIN), on swift-nio and swift-nio-ssl: one connection per message.
///
/// STARTTLS is required unless configured off (loopback only), and the password is sent only inside TLS, or in
/// that loopback case. Every step waits at most `timeout` for its reply.
struct SMTPClient: Sendable {
    var host: String
    var port: Int
    var startTLS: Bool
    var tls: TLSConfiguration
    var helo: String
    var timeout: TimeAmount = .seconds(30)

    /// The envelope and the message, whose lines end in CRLF.
    struct Envelope: Sendable {
        var from: String
        var to: String
        var message: String
    }

    /// Sends `envelope`; returns the server's reply to the end of DATA.
    func send(_ envelope: Envelope, username: String?, password: @Sendable () throws -> String?) async throws
        -> SMTPReply
    {
        let replies = AsyncThrowingStream<SMTPReply, any Error>.makeStream()
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
                        try channel.pipeline.syncOperations.addHandler(SMTPReplyHandler(replies.continuation))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            throw SMTPError.transient("cannot connect to \(host):\(port): \(error)")
        }
        let session = SMTPSession(channel: channel, replies: replies.stream.makeAsyncIterator(), timeout: timeout)
        do {
            let reply = try await converse(session, channel: channel, envelope, username: username, password: password)
            _ = try? await session.command("QUIT")
            try? await channel.close()
            return reply
        } catch {
            try? await channel.close()
            throw error
        }
    }

    private func converse(
        _ session: SMTPSession, channel: any Channel, _ envelope: Envelope, username: String?,
        password: @Sendable () throws -> String?
    ) async throws -> SMTPReply {
        let greeting = try await session.next()
        guard greeting.code == 220 else { throw SMTPError.unexpected(greeting, to: "greeting") }
        var hello = try await session.command("EHLO \(helo)")
        guard hello.code == 250 else { throw SMTPError.unexpected(hello, to: "EHLO") }
        var secure = false
        if startTLS {
            guard Self.extensions(hello).contains("STARTTLS") else {
                throw SMTPError.transient(
                    "\(host) offers no STARTTLS, which is required (modules.notifications.smtp.starttls)")
            }
            let ready = try await session.command("STARTTLS")
            guard ready.code == 220 else { throw SMTPError.unexpected(ready, to: "STARTTLS") }
            let context = try NIOSSLContext(configuration: tls)
            let name = Self.isIPAddress(host) ? nil : host
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(
                    try NIOSSLClientHandler(context: context, serverHostname: name), position: .first)
            }.get()
            secure = true
            hello = try await session.command("EHLO \(helo)")
            guard hello.code == 250 else { throw SMTPError.unexpected(hello, to: "EHLO after STARTTLS") }
        }
        if let username {
            guard secure || !startTLS else { throw SMTPError.permanent("refusing to send a password in clear") }
            let mechanisms = Self.extensions(hello).first { $0.hasPrefix("AUTH ") }?.split(separator: " ") ?? []
            guard mechanisms.contains("PLAIN") else {
                throw SMTPError.permanent("\(host) offers no AUTH PLAIN (it offers \(mechanisms.dropFirst()))")
            }
            let secret: String
            do {
                secret = try password() ?? ""
            } catch {
                throw SMTPError.transient("\(error)")
            }
            let token = Data("\u{0}\(username)\u{0}\(secret)".utf8).base64EncodedString()
            let authenticated = try await session.command("AUTH PLAIN \(token)")
            guard authenticated.code == 235 else { throw SMTPError.unexpected(authenticated, to: "AUTH PLAIN") }
        }
        let from = try await session.command("MAIL FROM:<\(envelope.from)>")
        guard from.code == 250 else { throw SMTPError.unexpected(from, to: "MAIL FROM") }
        let to = try await session.command("RCPT TO:<\(envelope.to)>")
        guard to.code == 250 || to.code == 251 else { throw SMTPError.unexpected(to, to: "RCPT TO") }
        let data = try await session.command("DATA")
        guard data.code == 354 else { throw SMTPError.unexpected(data, to: "DATA") }
        let done = try await session.send(Self.dotStuffed(envelope.message) + ".\r\n")
        guard done.code == 250 else { throw SMTPError.unexpected(done, to: "end of DATA") }
        return done
    }

    /// The EHLO reply's extension keywords, uppercased (`STARTTLS`, `AUTH PLAIN LOGIN`).
    static func extensions(_ hello: SMTPReply) -> [String] {
        hello.lines.dropFirst().map { $0.uppercased() }
    }

    /// Lines starting with a dot get another (RFC 5321, 4.5.2); the text ends in CRLF.
    static func dotStuffed(_ message: String) -> String {
        var lines = message.components(separatedBy: "\r\n")
        if lines.last == "" { lines.removeLast() }
        return lines.map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n") + "\r\n"
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}

/// One connection's conversation: a line out, a reply in, each within the timeout.
final class SMTPSession: @unchecked Sendable {
    // Unchecked: used by one task at a time, the client's `send`, which owns the connection start to end.
    private let channel: any Channel
    private var replies: AsyncThrowingStream<SMTPReply, any Error>.AsyncIterator
    private let timeout: TimeAmount

    init(
        channel: any Channel, replies: AsyncThrowingStream<SMTPReply, any Error>.AsyncIterator, timeout: TimeAmount
    ) {
        self.channel = channel
        self.replies = replies
        self.timeout = timeout
    }

    func next() async throws -> SMTPReply {
        let deadline = channel.eventLoop.scheduleTask(in: timeout) { [channel] in channel.close(promise: nil) }
        defer { deadline.cancel() }
        do {
            guard let reply = try await replies.next() else {
                throw SMTPError.transient(
                    "the server closed the connection (or did not answer in \(timeout.seconds) s)")
            }
            return reply
        } catch let error as SMTPError {
            throw error
        } catch {
            throw SMTPError.transient("\(error)")
        }
    }

    func command(_ line: String) async throws -> SMTPReply {
        try await send(line + "\r\n")
    }

    func send(_ text: String) async throws -> SMTPReply {
        do {
            try await channel.writeAndFlush(ByteBuffer(string: text))
        } catch {
            throw SMTPError.transient("the connection failed while sending: \(error)")
        }
        return try await next()
    }
}

/// Hands decoded replies to the session, and the end of the connection as the end of the stream.
final class SMTPReplyHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = SMTPReply

    let continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation

    init(_ continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        continuation.yield(Self.unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }
}

extension TimeAmount {
    fileprivate var seconds: Int64 { nanoseconds / 1_000_000_000 }
}
