public import Foundation
public import GRDB

/// One module's part of a write: its database access, the events it emits and the timers it sets.
///
/// Everything here commits or rolls back as one (the outbox): events reach subscribers only after commit.
public final class WriteTransaction {
    /// An event waiting for the commit.
    public struct PendingEvent {
        public var topic: Topic
        public var type: any Event.Type
        /// The typed event; `nil` when it was emitted as JSON only.
        public var event: (any Event)?
        /// The event as JSON, when the module had it already; the journal encodes `event` otherwise.
        public var json: Data?
    }

    /// A change to the module's durable timers.
    public enum TimerChange {
        /// The event to emit at `due`: its topic and its JSON.
        case schedule(key: String, due: Date, topic: Topic, payload: Data)
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
        events.append(PendingEvent(topic: E.topic, type: E.self, event: event))
    }

    /// Emits an event of type `E` given only as its JSON (``ConcordJSON``'s conventions, as
    /// ``JSONStreamEncoder`` writes them): the journal stores it as it is, and it is decoded only when an
    /// in-process subscriber takes `E`.
    ///
    /// Bulk writes use it so that each record is encoded once and not also held as a typed value until
    /// delivery. `json` must decode as `E`; an event that does not is not delivered to typed subscribers.
    public func emit<E: Event>(_ type: E.Type, json: Data) {
        events.append(PendingEvent(topic: E.topic, type: E.self, json: json))
    }

    /// Emits an event that has no Swift type in this process (a plugin's), given as its topic and JSON: it is
    /// journaled as it is and reaches in-process subscribers as an ``UntypedEvent``.
    public func emit(untyped topic: Topic, json: Data) {
        events.append(PendingEvent(topic: topic, type: UntypedEvent.self, json: json))
    }

    /// Emits `event` at `due`, durably: the timer survives restarts and a late one fires once at start-up.
    ///
    /// Scheduling again under the same key replaces the earlier timer.
    ///
    /// - Throws: when `event` cannot be encoded as JSON.
    public func schedule<E: Event>(_ event: E, at due: Date, key: String) throws {
        timerChanges.append(.schedule(key: key, due: due, topic: E.topic, payload: try JSONStreamEncoder.encode(event)))
    }

    /// Emits the untyped event `topic` with `json` at `due`, durably, as ``schedule(_:at:key:)`` does.
    public func schedule(untyped topic: Topic, json: Data, at due: Date, key: String) {
        timerChanges.append(.schedule(key: key, due: due, topic: topic, payload: json))
    }

    /// Cancels the timer under `key`, if it has not fired.
    public func cancelTimer(key: String) {
        timerChanges.append(.cancel(key: key))
    }
}
