public import ConcordKit

// MARK: Recipients

/// When a recipient wants no messages that can wait, in their local time.
public struct QuietHours: Codable, Sendable, Equatable {
    /// `HH:MM`, local: quiet from this time...
    public var start: String
    /// ...to this one (the next day when it is earlier than `start`).
    public var end: String
    /// Whether Saturdays and Sundays are quiet all day.
    public var weekends: Bool

    public init(start: String = "21:00", end: String = "08:00", weekends: Bool = true) {
        self.start = start
        self.end = end
        self.weekends = weekends
    }

    /// 21:00-08:00 and weekends off.
    public static let standard = QuietHours()
}

/// A webhook a recipient receives on, signed as the Standard Webhooks specification says.
public struct WebhookTarget: Codable, Sendable, Equatable {
    /// `http` or `https`, to a host on the operator's allowlist (`modules.notifications.webhook_hosts`).
    public var url: String
    /// Files holding `whsec_` secrets, one each, relative to `$CREDENTIALS_DIRECTORY` (or the configured
    /// secrets directory) unless absolute. Every secret signs, so an endpoint can rotate: the new one is added
    /// before the old one is taken away.
    public var secretFiles: [String]

    public init(url: String, secretFiles: [String]) {
        self.url = url
        self.secretFiles = secretFiles
    }

    enum CodingKeys: String, CodingKey {
        case url
        case secretFiles = "secret_files"
    }
}

/// A focal point of an actor in the registry, by the actor's id and the focal point's name.
public struct FocalPointReference: Codable, Sendable, Equatable {
    public var actor: String
    public var name: String
    /// The network whose secretariat's time zone applies when neither the focal point's actor has one.
    public var network: String?

    public init(actor: String, name: String, network: String? = nil) {
        self.actor = actor
        self.name = name
        self.network = network
    }
}

/// Who is notified, and how to reach them. A focal point's email and language come from the registry unless
/// given here; an operator-defined contact gives them itself.
public struct RecipientFields: Codable, Sendable, Equatable {
    public var name: String?
    public var email: String?
    /// BCP 47 language tag of the messages (`vi`, `ru`); English when absent or without templates.
    public var language: String?
    /// IANA time zone; else the focal point's actor's, else its network's secretariat's, else UTC.
    public var timeZone: String?
    public var webhook: WebhookTarget?
    /// Absent: 21:00-08:00 and weekends.
    public var quietHours: QuietHours?
    public var focalPoint: FocalPointReference?

    public init(
        name: String? = nil, email: String? = nil, language: String? = nil, timeZone: String? = nil,
        webhook: WebhookTarget? = nil, quietHours: QuietHours? = nil, focalPoint: FocalPointReference? = nil
    ) {
        self.name = name
        self.email = email
        self.language = language
        self.timeZone = timeZone
        self.webhook = webhook
        self.quietHours = quietHours
        self.focalPoint = focalPoint
    }

    enum CodingKeys: String, CodingKey {
        case name, email, language
        case timeZone = "time_zone"
        case webhook
        case quietHours = "quiet_hours"
        case focalPoint = "focal_point"
    }
}

/// A recipient as the module resolved it: its name, address, language and zone, and where the zone came from.
public struct Recipient: Codable, Sendable, Equatable {
    public var id: String
    public var fields: RecipientFields
    public var name: String
    public var email: String?
    public var language: String
    public var timeZone: String
    /// `recipient`, `focal_point_actor`, `network_secretariat` or `default` (UTC).
    public var timeZoneSource: String
    public var quietHours: QuietHours
    /// Set when the webhook answered 410 Gone: no more webhooks are sent to it until the recipient is set again.
    public var webhookDisabled: Bool
    public var version: Int

    public init(
        id: String, fields: RecipientFields, name: String, email: String?, language: String, timeZone: String,
        timeZoneSource: String, quietHours: QuietHours, webhookDisabled: Bool = false, version: Int
    ) {
        self.id = id
        self.fields = fields
        self.name = name
        self.email = email
        self.language = language
        self.timeZone = timeZone
        self.timeZoneSource = timeZoneSource
        self.quietHours = quietHours
        self.webhookDisabled = webhookDisabled
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case id, fields, name, email, language
        case timeZone = "time_zone"
        case timeZoneSource = "time_zone_source"
        case quietHours = "quiet_hours"
        case webhookDisabled = "webhook_disabled"
        case version
    }
}

/// Creates or replaces a recipient.
public struct SetRecipient: Command {
    public static let topic: Topic = "notifications.recipient.set"
    public typealias Reply = Recipient

    public var id: String
    public var fields: RecipientFields

    public init(id: String, fields: RecipientFields) {
        self.id = id
        self.fields = fields
    }
}

public struct GetRecipient: Query {
    public static let topic: Topic = "notifications.recipient.get"
    public typealias Reply = Recipient

    public var id: String

    public init(id: String) { self.id = id }
}

/// A recipient was created or changed.
public struct RecipientChanged: Event {
    public static let topic: Topic = "notifications.recipient.changed"
    public var recipient: Recipient
    public init(recipient: Recipient) { self.recipient = recipient }
}
