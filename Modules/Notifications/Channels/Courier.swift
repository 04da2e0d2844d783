import Contracts
import Foundation

/// What a channel is handed to deliver: the rendered message, the recipient's addresses and the ids that stay
/// the same across retries (receivers de-duplicate by them).
struct OutgoingMessage: Sendable {
    var delivery: Int64
    /// `webhook-id` and the local part of `Message-ID`: the delivery's key, which no retry changes.
    var messageID: String
    var recipient: Recipient
    var subscription: String
    var topic: String
    var subject: String
    var text: String
    var html: String
    /// The webhook body.
    var body: String
    /// When the message was first queued (the email's `Date`).
    var queuedAt: Date
    /// How many attempts came before this one.
    var attempt: Int
}

/// How one attempt ended.
enum DeliveryOutcome: Sendable, Equatable {
    /// The peer took it: `250 OK`, `HTTP 204`.
    case sent(String)
    /// Worth trying again, after the backoff or, when the peer said so, at least `after` seconds.
    case retry(String, after: Double?)
    /// Trying again would not help (an SMTP 5xx, a recipient without the channel's address).
    case permanent(String)
    /// The webhook answered 410 Gone: the recipient's webhook is disabled.
    case gone(String)
}

/// Delivers over one channel; holds whatever connections it pools.
protocol Courier: Sendable {
    func deliver(_ message: OutgoingMessage) async -> DeliveryOutcome
    /// The key the dispatcher limits concurrent attempts by (a host), so one dead endpoint cannot take every slot.
    func lane(of recipient: Recipient) -> String
    func shutdown() async
}
