public import Foundation
public import GRDB

/// One module's part of a write: its database access, the events it emits and the timers it sets.
///
/// Everything here commits or rolls back as one (the outbox): events reach subscribers only after commit.
public final class WriteTransaction {
    /// An event waiting for the commit.
    public struct PendingEvent {
        public var topic: Topic
        public var event: any Event
        /// The event as JSON, when the module had it already; the journal encodes it otherwise.
        public var json: Data?
    }

    /// A change to the module's durable timers.
    public enum TimerChange {
        case schedule(key: String, due: Date, event: any Event)
        case cancel(key: String)
    }

    /// The database, inside the transaction.
    public let db: Database
    /// The module that writes; it is the `source` of the events.
    public let module: String
    /// The time of the write, from the context's clock.
    public let now: Date

    public private(set) var events: [PendingEvent] = []
    public private(set) var timerChanges: [TimerChange] = []

    public init(db: Database, module: String, now: Date) {
        self.db = db
        self.module = module
        self.now = now
    }

    /// Emits an event when, and only when, this write commits.
    public func emit<E: Event>(_ event: E) {
        events.append(PendingEvent(topic: E.topic, event: event))
    }

    /// Emits an event the module has encoded already (with ``ConcordJSON``), so it is not encoded twice.
    ///
    /// `json` must be what encoding `event` gives; bulk writes use it to encode each record once.
    public func emit<E: Event>(_ event: E, json: Data) {
        events.append(PendingEvent(topic: E.topic, event: event, json: json))
    }

    /// Emits `event` at `due`, durably: the timer survives restarts and a late one fires once at start-up.
    ///
    /// Scheduling again under the same key replaces the earlier timer.
    public func schedule<E: Event>(_ event: E, at due: Date, key: String) {
        timerChanges.append(.schedule(key: key, due: due, event: event))
    }

    /// Cancels the timer under `key`, if it has not fired.
    public func cancelTimer(key: String) {
        timerChanges.append(.cancel(key: key))
    }
}
