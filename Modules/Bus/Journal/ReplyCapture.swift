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
    /// Whether `value` is the reply a committed write kept: equal to it, for a reply type that is `Equatable`.
    private let matches: @Sendable (_ value: Any, _ kept: Any) -> Bool
    /// What the command's committed writes left: the row a retry reads, and the reply kept with it.
    private struct Committed {
        var row: Int64?
        var reply: (value: any Sendable, json: Data)?
    }

    private let state = Mutex(Committed())

    init<Reply: Encodable & Sendable>(key: String, command: String, reply: Reply.Type) {
        self.key = key
        self.command = command
        self.encode = { value in (value as? Reply).flatMap { try? JSONStreamEncoder.encode($0) } }
        self.matches = { value, kept in Self.equal(value, kept) }
    }

    /// The reply JSON for a write whose result is `value`, or `nil` when `value` is not a reply.
    func reply(from value: Any) -> Data? { encode(value) }

    /// Notes that a write with the key committed as `row`, and the reply it kept, if it kept one.
    func committed(_ value: any Sendable, json: Data?, row: Int64) {
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
    var row: Int64? { state.withLock { $0.row } }

    /// The JSON that a committed write kept for `reply`, when `reply` is the value it kept; `nil` when no write
    /// kept one, or the handler answered something else (its reply must then be written on its own).
    func keptJSON(for reply: Any) -> Data? {
        guard let kept = state.withLock({ $0.reply }), matches(reply, kept.value) else { return nil }
        return kept.json
    }

    private static func equal(_ value: Any, _ kept: Any) -> Bool {
        guard let value = value as? any Equatable else { return false }
        return value.isEqual(to: kept)
    }

    @TaskLocal static var current: ReplyCapture?
}

extension Equatable {
    fileprivate func isEqual(to other: Any) -> Bool {
        (other as? Self).map { $0 == self } ?? false
    }
}
