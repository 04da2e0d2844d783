import ConcordKit
import Foundation
import GRDB
import Logging
import Synchronization

/// Fires durable timers: each due timer's event is journaled and the timer deleted in one transaction,
/// so a timer fires exactly once, and timers that fell due while the daemon was down fire at start-up.
final class TimerService: Sendable {
    private let journal: Journal
    private let clock: any WallClock
    private let logger: Logger
    private let wake = Mailbox<Void>(options: MailboxOptions(capacity: 1, overflow: .drop))

    init(journal: Journal, clock: any WallClock, logger: Logger) {
        self.journal = journal
        self.clock = clock
        self.logger = logger
        journal.onTimersChanged { [wake] in wake.trySend(()) }
    }

    /// Runs until `stop()`: sleeps until the earliest timer, or until timers change.
    func run() async {
        var signals: [Void] = []
        while !Task.isCancelled {
            let next: Date?
            do {
                try await fireDue()
                next = try await earliestDue()
            } catch {
                logger.error("timers could not be read or fired; retrying in 1 s", metadata: ["error": "\(error)"])
                next = clock.now().addingTimeInterval(1)
            }
            let sleeper = next.map { due in
                Task { [clock, wake] in
                    try? await clock.sleep(until: due)
                    wake.trySend(())
                }
            }
            let open = await wake.receive(into: &signals)
            sleeper?.cancel()
            if !open { return }
        }
    }

    func stop() {
        wake.close()
    }

    private func earliestDue() async throws -> Date? {
        let topics = journal.knownEventTopics
        guard !topics.isEmpty else { return nil }
        return try await journal.read { db in
            let placeholders = Array(repeating: "?", count: topics.count).joined(separator: ", ")
            return try Double.fetchOne(
                db,
                sql: "SELECT MIN(due_at) FROM bus_timers WHERE topic IN (\(placeholders))",
                arguments: StatementArguments(topics)
            ).map { Date(timeIntervalSince1970: $0) }
        }
    }

    private func fireDue() async throws {
        let now = clock.now().timeIntervalSince1970
        let due = try await journal.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT module, key, topic, payload FROM bus_timers WHERE due_at <= ? ORDER BY due_at",
                arguments: [now]
            ).map {
                (
                    module: $0["module"] as String, key: $0["key"] as String, topic: $0["topic"] as String,
                    payload: $0["payload"] as String
                )
            }
        }
        let decoder = ConcordJSON.decoder()
        for timer in due {
            guard let type = journal.eventType(for: timer.topic) else { continue }
            let emit: @Sendable (WriteTransaction) -> Void
            do {
                emit = try Self.emitter(of: type, topic: timer.topic, payload: Data(timer.payload.utf8), decoder)
            } catch {
                logger.error(
                    "a timer's event cannot be decoded; it is dropped",
                    metadata: ["module": "\(timer.module)", "key": "\(timer.key)", "error": "\(error)"]
                )
                try await journal.write(module: timer.module) { transaction in
                    try transaction.db.execute(
                        sql: "DELETE FROM bus_timers WHERE module = ? AND key = ?",
                        arguments: [timer.module, timer.key]
                    )
                }
                continue
            }
            try await journal.write(module: timer.module) { transaction in
                try transaction.db.execute(
                    sql: "DELETE FROM bus_timers WHERE module = ? AND key = ?",
                    arguments: [timer.module, timer.key]
                )
                // A timer deleted since it was read (cancelled, or already fired) must not fire.
                guard transaction.db.changesCount == 1 else { return }
                emit(transaction)
            }
        }
    }

    /// What emits a timer's event: the typed event decoded from its JSON, or an untyped one (a plugin's) under its
    /// own topic, as the JSON it was scheduled with.
    private static func emitter(
        of type: any Event.Type, topic: String, payload: Data, _ decoder: JSONDecoder
    ) throws -> @Sendable (WriteTransaction) -> Void {
        if type == UntypedEvent.self {
            let topic = try Topic(validating: topic)
            return { $0.emit(untyped: topic, json: payload) }
        }
        let event = try decode(type, from: payload, with: decoder)
        return { emit(event, in: $0) }
    }

    private static func decode<E: Event>(_ type: E.Type, from data: Data, with decoder: JSONDecoder) throws -> E {
        try decoder.decode(E.self, from: data)
    }

    private static func emit<E: Event>(_ event: E, in transaction: WriteTransaction) {
        transaction.emit(event)
    }
}
