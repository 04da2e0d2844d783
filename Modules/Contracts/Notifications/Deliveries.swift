public import ConcordKit

// MARK: Deliveries

/// Where a notification is in the pipeline.
public enum DeliveryState: String, Codable, Sendable, CaseIterable {
    /// Waiting for its time: the next attempt, the end of quiet hours.
    case queued
    /// Gathered for a digest not yet cut.
    case digest
    case sent
    /// The last attempt failed, or a failure was permanent; operators retry or purge it.
    case deadLettered = "dead_lettered"
    /// Taken into a digest that was cut; the digest's own delivery carries it on.
    case digested
}

/// One try at delivering.
public struct DeliveryAttempt: Codable, Sendable, Equatable {
    /// RFC 3339 UTC.
    public var at: String
    /// `sent`, `failed` (retried) or `dead_lettered`.
    public var outcome: String
    /// What the peer said: `250 OK`, `HTTP 500`, `timed out after 15 s`.
    public var detail: String

    public init(at: String, outcome: String, detail: String) {
        self.at = at
        self.outcome = outcome
        self.detail = detail
    }
}

/// A notification: one event (or one digest) for one subscription, durable from the moment it is queued.
public struct Delivery: Codable, Sendable, Equatable {
    public var id: Int64
    /// `<seq>/<subscription>` for an event, `digest/<subscription>/<cut>` for a digest: never queued twice.
    public var key: String
    public var subscription: String
    public var recipient: String
    public var channel: NotificationChannel
    public var topic: String
    /// The journal positions it tells of.
    public var seqs: [UInt64]
    public var state: DeliveryState
    public var subject: String
    /// RFC 3339 UTC.
    public var queuedAt: String
    /// When it is tried next (or, for a digest entry, when the digest is cut).
    public var dueAt: String?
    /// Why it waits beyond its queueing: quiet hours, a backoff, a `Retry-After`.
    public var held: String?
    /// The zone its times were read in, and where that came from: `Asia/Vientiane (focal_point_actor)`.
    public var timeZone: String
    public var attempts: [DeliveryAttempt]

    public init(
        id: Int64, key: String, subscription: String, recipient: String, channel: NotificationChannel, topic: String,
        seqs: [UInt64], state: DeliveryState, subject: String, queuedAt: String, dueAt: String?, held: String?,
        timeZone: String, attempts: [DeliveryAttempt]
    ) {
        self.id = id
        self.key = key
        self.subscription = subscription
        self.recipient = recipient
        self.channel = channel
        self.topic = topic
        self.seqs = seqs
        self.state = state
        self.subject = subject
        self.queuedAt = queuedAt
        self.dueAt = dueAt
        self.held = held
        self.timeZone = timeZone
        self.attempts = attempts
    }

    enum CodingKeys: String, CodingKey {
        case id, key, subscription, recipient, channel, topic, seqs, state, subject
        case queuedAt = "queued_at"
        case dueAt = "due_at"
        case held
        case timeZone = "time_zone"
        case attempts
    }
}

/// The delivery log: what was sent to whom, when, and whether it arrived; newest first.
public struct ListDeliveries: Query {
    public static let topic: Topic = "notifications.deliveries.list"
    public typealias Reply = DeliveryList

    public var recipient: String?
    public var state: DeliveryState?
    /// At most this many (default 100, at most 10 000).
    public var limit: Int?

    public init(recipient: String? = nil, state: DeliveryState? = nil, limit: Int? = nil) {
        self.recipient = recipient
        self.state = state
        self.limit = limit
    }
}

public struct DeliveryList: Codable, Sendable, Equatable {
    public var deliveries: [Delivery]
    public init(deliveries: [Delivery]) { self.deliveries = deliveries }
}

/// Queues dead letters again for a first attempt now: the ids given, or all of them.
public struct RetryDeadLetters: Command {
    public static let topic: Topic = "notifications.dead_letters.retry"
    public typealias Reply = DeadLetterCount

    public var ids: [Int64]?

    public init(ids: [Int64]? = nil) { self.ids = ids }
}

/// Deletes dead letters: the ids given, or all of them.
public struct PurgeDeadLetters: Command {
    public static let topic: Topic = "notifications.dead_letters.purge"
    public typealias Reply = DeadLetterCount

    public var ids: [Int64]?

    public init(ids: [Int64]? = nil) { self.ids = ids }
}

public struct DeadLetterCount: Codable, Sendable, Equatable {
    public var count: Int
    public init(count: Int) { self.count = count }
}

/// The queue's depths: what `system.status` shows of the module too.
public struct GetNotificationsStatus: Query {
    public static let topic: Topic = "notifications.status"
    public typealias Reply = NotificationsStatus

    public init() {}
}

public struct NotificationsStatus: Codable, Sendable, Equatable {
    public var queued: Int
    public var digest: Int
    public var deadLettered: Int
    public var sent: Int
    /// Deliveries being tried right now.
    public var inFlight: Int

    public init(queued: Int, digest: Int, deadLettered: Int, sent: Int, inFlight: Int) {
        self.queued = queued
        self.digest = digest
        self.deadLettered = deadLettered
        self.sent = sent
        self.inFlight = inFlight
    }

    enum CodingKeys: String, CodingKey {
        case queued, digest
        case deadLettered = "dead_lettered"
        case sent
        case inFlight = "in_flight"
    }
}

/// A delivery arrived: the SMTP server took the message (250) or the webhook answered 2xx.
public struct DeliverySent: Event {
    public static let topic: Topic = "notifications.delivery.sent"
    public var delivery: Int64
    public var recipient: String
    public var channel: NotificationChannel
    public var attempt: Int
    public var detail: String

    public init(delivery: Int64, recipient: String, channel: NotificationChannel, attempt: Int, detail: String) {
        self.delivery = delivery
        self.recipient = recipient
        self.channel = channel
        self.attempt = attempt
        self.detail = detail
    }
}

/// An attempt failed and the delivery is tried again at `retry_at`.
public struct DeliveryFailed: Event {
    public static let topic: Topic = "notifications.delivery.failed"
    public var delivery: Int64
    public var recipient: String
    public var channel: NotificationChannel
    public var attempt: Int
    public var detail: String
    public var retryAt: String

    public init(
        delivery: Int64, recipient: String, channel: NotificationChannel, attempt: Int, detail: String,
        retryAt: String
    ) {
        self.delivery = delivery
        self.recipient = recipient
        self.channel = channel
        self.attempt = attempt
        self.detail = detail
        self.retryAt = retryAt
    }

    enum CodingKeys: String, CodingKey {
        case delivery, recipient, channel, attempt, detail
        case retryAt = "retry_at"
    }
}

/// A delivery gave up: its last attempt failed, or the failure was permanent (a 5xx from SMTP, 410 Gone).
public struct DeliveryDeadLettered: Event {
    public static let topic: Topic = "notifications.delivery.dead_lettered"
    public var delivery: Int64
    public var recipient: String
    public var channel: NotificationChannel
    public var attempt: Int
    public var detail: String

    public init(delivery: Int64, recipient: String, channel: NotificationChannel, attempt: Int, detail: String) {
        self.delivery = delivery
        self.recipient = recipient
        self.channel = channel
        self.attempt = attempt
        self.detail = detail
    }
}
