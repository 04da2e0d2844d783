import ConcordKit
import Foundation
import Synchronization

/// The reply of an idempotent command, kept in the transaction that makes its changes.
///
/// The bus sets one for each mutating command sent with an idempotency key (and none for the commands it sends
/// in turn); the journal writes the key with every write of that command, and with it the reply when the write's
/// result is a value of the command's reply type. So a handler that returns what its last write returns (the
/// usual shape) has its key, reply, rows and events committed together, in one fsync, and a retry after a crash
/// at any moment finds the first reply.
final class ReplyCapture: Sendable {
    let key: String
    let command: String
    /// Encodes `value` as the reply when it is one of the command's reply type.
    private let encode: @Sendable (Any) -> Data?
    /// The reply JSON that a write committed (or will, when its transaction commits).
    private let written = Mutex<Data?>(nil)

    init<Reply: Encodable & Sendable>(key: String, command: String, reply: Reply.Type) {
        self.key = key
        self.command = command
        self.encode = { value in (value as? Reply).flatMap { try? JSONStreamEncoder.encode($0) } }
    }

    /// The reply JSON for a write whose result is `value`, or `nil` when `value` is not a reply.
    func reply(from value: Any) -> Data? { encode(value) }

    /// Notes the reply a committed write kept.
    func committed(_ reply: Data) {
        written.withLock { $0 = reply }
    }

    /// The reply a committed write kept, if any.
    var committedReply: Data? { written.withLock { $0 } }

    @TaskLocal static var current: ReplyCapture?
}
