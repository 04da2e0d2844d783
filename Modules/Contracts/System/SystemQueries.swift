public import ConcordKit

/// Checks that the daemon answers.
public struct Ping: Query {
    public static let topic: Topic = "system.ping"
    public typealias Reply = Pong

    public init() {}
}

/// The answer to `system.ping`, given only once every module that started serves its commands (before, and
/// while stopping, `system.ping` is `unavailable`).
public struct Pong: Codable, Sendable, Equatable {
    public var pong: Bool
    /// Always `true`: the daemon serves every module that started.
    public var ready: Bool
    public var version: String

    public init(version: String) {
        self.pong = true
        self.ready = true
        self.version = version
    }
}

/// Asks for the modules and their states, uptime, the journal's head and the mailboxes.
public struct GetStatus: Query {
    public static let topic: Topic = "system.status"
    public typealias Reply = SystemStatus

    public init() {}
}

/// Asks for every command and event topic with a JSON Schema of its args, reply or payload.
public struct GetCatalog: Query {
    public static let topic: Topic = "system.catalog"
    public typealias Reply = Catalog

    public init() {}
}

/// Asks for the `seq` of the newest journaled event.
public struct GetEventsHead: Query {
    public static let topic: Topic = "events.head"
    public typealias Reply = EventsHead

    public init() {}
}

public struct EventsHead: Codable, Sendable, Equatable {
    public var headSeq: UInt64

    public init(headSeq: UInt64) { self.headSeq = headSeq }

    enum CodingKeys: String, CodingKey { case headSeq = "head_seq" }
}

/// Asks for journaled events after a `seq`, optionally only those under some topic prefixes.
public struct ReplayEvents: Query {
    public static let topic: Topic = "events.replay"
    public typealias Reply = ReplayedEvents

    /// The largest value `limit` may take.
    public static let maximumLimit = 10_000
    public static let defaultLimit = 1_000

    public var afterSeq: UInt64
    /// Topic prefixes; all topics when absent.
    public var topics: [String]?
    /// At most this many events (default 1000, at most 10000).
    public var limit: Int?
    /// Only events whose payload names this id (an entity's UUID), found through the journal's index.
    public var subject: String?

    public init(afterSeq: UInt64, topics: [String]? = nil, limit: Int? = nil, subject: String? = nil) {
        self.afterSeq = afterSeq
        self.topics = topics
        self.limit = limit
        self.subject = subject
    }

    enum CodingKeys: String, CodingKey {
        case afterSeq = "after_seq"
        case topics
        case limit
        case subject
    }
}

public struct ReplayedEvents: Codable, Sendable {
    /// Envelopes in PROTOCOL.md's JSON form, in `seq` order.
    public var events: [JSONValue]
    public var headSeq: UInt64

    public init(events: [JSONValue], headSeq: UInt64) {
        self.events = events
        self.headSeq = headSeq
    }

    enum CodingKeys: String, CodingKey {
        case events
        case headSeq = "head_seq"
    }
}

/// Records an operator's note in the journal, such as "import of the 2026 member list started",
/// so it stands in the event stream between the events it explains.
public struct RecordNote: Command {
    public static let topic: Topic = "system.note"
    public typealias Reply = NoteRecorded
    /// Longer text is answered `too_large`.
    public static let maximumLength = 4000

    public var text: String

    public init(text: String) { self.text = text }
}

/// A note an operator recorded.
public struct NoteRecorded: Event, Equatable {
    public static let topic: Topic = "system.note.recorded"

    public var text: String
    /// The client that recorded it (its allowlist name under CURVE).
    public var by: String

    public init(text: String, by: String) {
        self.text = text
        self.by = by
    }
}

/// Re-reads the CURVE allowlist now, as SIGHUP does (admin role).
public struct ReloadAllowlist: Command {
    public static let topic: Topic = "system.allowlist.reload"
    public typealias Reply = AllowlistReloaded

    public init() {}
}

public struct AllowlistReloaded: Codable, Sendable, Equatable {
    /// Keys in the allowlist now.
    public var keys: Int

    public init(keys: Int) { self.keys = keys }
}
