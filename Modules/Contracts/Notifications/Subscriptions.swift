public import ConcordKit

// MARK: Subscriptions

/// How a recipient is reached.
public enum NotificationChannel: String, Codable, Sendable, CaseIterable {
    case email
    case webhook
}

/// When a subscription's messages go: each at once, or gathered into a digest cut at the recipient's local time.
public struct Cadence: Codable, Sendable, Equatable {
    public enum Every: String, Codable, Sendable, CaseIterable {
        case immediate, hourly, daily, weekly
    }

    public var every: Every
    /// `HH:MM` local, for daily and weekly digests (default 08:00).
    public var at: String?
    /// `monday`...`sunday`, for weekly digests (default monday).
    public var weekday: String?

    public init(every: Every, at: String? = nil, weekday: String? = nil) {
        self.every = every
        self.at = at
        self.weekday = weekday
    }

    public static let immediate = Cadence(every: .immediate)
}

/// Narrows a subscription to events that name a network or an actor (any string in the payload equal to the id).
public struct SubscriptionFilter: Codable, Sendable, Equatable {
    public var network: String?
    public var actor: String?

    public init(network: String? = nil, actor: String? = nil) {
        self.network = network
        self.actor = actor
    }
}

public struct SubscriptionFields: Codable, Sendable, Equatable {
    public var recipient: String
    /// A topic prefix (`registry.accession.`) or a whole topic (`scheduling.meeting.reminder_due`).
    public var topic: String
    public var filter: SubscriptionFilter?
    public var channel: NotificationChannel
    /// Absent: immediate.
    public var cadence: Cadence?

    public init(
        recipient: String, topic: String, filter: SubscriptionFilter? = nil, channel: NotificationChannel,
        cadence: Cadence? = nil
    ) {
        self.recipient = recipient
        self.topic = topic
        self.filter = filter
        self.channel = channel
        self.cadence = cadence
    }
}

public struct NotificationSubscription: Codable, Sendable, Equatable {
    public var id: String
    public var fields: SubscriptionFields
    /// The journal position it was made at: it notifies of events after it.
    public var sinceSeq: UInt64

    public init(id: String, fields: SubscriptionFields, sinceSeq: UInt64) {
        self.id = id
        self.fields = fields
        self.sinceSeq = sinceSeq
    }

    enum CodingKeys: String, CodingKey {
        case id, fields
        case sinceSeq = "since_seq"
    }
}

/// Subscribes a recipient to a topic prefix on a channel.
public struct Subscribe: Command {
    public static let topic: Topic = "notifications.subscribe"
    public typealias Reply = NotificationSubscription

    /// Chosen by the caller, or made up (`sub-` and a number) when absent.
    public var id: String?
    public var fields: SubscriptionFields

    public init(id: String? = nil, fields: SubscriptionFields) {
        self.id = id
        self.fields = fields
    }
}

/// Ends a subscription; what it queued already is still delivered.
public struct Unsubscribe: Command {
    public static let topic: Topic = "notifications.unsubscribe"
    public typealias Reply = Acknowledged

    public var id: String

    public init(id: String) { self.id = id }
}

public struct ListSubscriptions: Query {
    public static let topic: Topic = "notifications.subscriptions.list"
    public typealias Reply = SubscriptionList

    public var recipient: String?

    public init(recipient: String? = nil) { self.recipient = recipient }
}

public struct SubscriptionList: Codable, Sendable, Equatable {
    public var subscriptions: [NotificationSubscription]
    public init(subscriptions: [NotificationSubscription]) { self.subscriptions = subscriptions }
}

public struct SubscriptionCreated: Event {
    public static let topic: Topic = "notifications.subscription.created"
    public var subscription: NotificationSubscription
    public init(subscription: NotificationSubscription) { self.subscription = subscription }
}

public struct SubscriptionRemoved: Event {
    public static let topic: Topic = "notifications.subscription.removed"
    public var id: String
    public var recipient: String
    public init(id: String, recipient: String) {
        self.id = id
        self.recipient = recipient
    }
}
