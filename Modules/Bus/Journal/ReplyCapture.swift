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
    private let codec: ReplyCodec
    /// What the command's committed writes left: the row a retry reads, and the reply kept with it.
    private struct Committed {
        var row: KeyRow?
        var reply: (value: any Sendable, json: Data)?
    }

    private let state = Mutex(Committed())

    init(key: String, command: String, codec: ReplyCodec) {
        self.key = key
        self.command = command
        self.codec = codec
    }

    /// The reply JSON for a write whose result is `value`, or `nil` when `value` is not a reply.
    func reply(from value: Any) -> Data? { codec.encode(value) }

    /// Notes that a write with the key committed as `row`, and the reply it kept, if it kept one.
    func committed(_ value: any Sendable, json: Data?, row: KeyRow) {
        state.withLock { state in
            // A row with a reply is the one a retry reads; a later write without one does not replace it.
            if let json {
                state = Committed(row: row, reply: (value, json))
            } else if state.row == nil {
                state.row = row
            }
        }
    }

    /// The row a retry reads, once a write with the key has committed.
    var row: KeyRow? { state.withLock { $0.row } }

    /// The JSON that a committed write kept for `reply`, when `reply` is the value it kept; `nil` when no write
    /// kept one, or the handler answered something else (its reply must then be written on its own).
    func keptJSON(for reply: Any) -> Data? {
        guard let kept = state.withLock({ $0.reply }), codec.matches(reply, kept.value) else { return nil }
        return kept.json
    }

    @TaskLocal static var current: ReplyCapture?
}

/// How the replies of one command type are kept: made once, when the command is registered, so an idempotent
/// command pays for no type lookup.
struct ReplyCodec: Sendable {
    /// The JSON of `value` when it is a reply of the command's type.
    let encode: @Sendable (Any) -> Data?
    /// Whether two values are the same reply: equal, for a reply type that is `Equatable`; never, for one that is
    /// not (its reply is then written on its own).
    let matches: @Sendable (_ value: Any, _ kept: Any) -> Bool

    init<Reply: Encodable & Sendable>(_ type: Reply.Type) {
        encode = { value in (value as? Reply).flatMap { try? JSONStreamEncoder.encode($0) } }
        if let equatable = Reply.self as? any (Equatable & Sendable).Type {
            matches = Self.equality(equatable)
        } else {
            matches = { _, _ in false }
        }
    }

    private static func equality<E: Equatable & Sendable>(_ type: E.Type) -> @Sendable (Any, Any) -> Bool {
        { value, kept in
            guard let value = value as? E, let kept = kept as? E else { return false }
            return value == kept
        }
    }
}
