import ConcordKit
import Contracts
import Foundation

/// An event as the intake reads it, from the live subscription or from the journal's replay.
struct IncomingEvent: Sendable {
    var seq: UInt64
    var topic: String
    var time: Date
    var source: String
    var payload: JSONValue

    init(seq: UInt64, topic: String, time: Date, source: String, payload: JSONValue) {
        self.seq = seq
        self.topic = topic
        self.time = time
        self.source = source
        self.payload = payload
    }

    /// From a replayed envelope (PROTOCOL.md's JSON form).
    init?(replayed envelope: JSONValue) {
        guard case .object(let object) = envelope, case .int(let seq) = object["seq"],
            case .string(let topic) = object["topic"], case .string(let time) = object["time"],
            let instant = EnvelopeTime.parse(time)
        else { return nil }
        var source = ""
        if case .string(let text) = object["source"] { source = text }
        self.init(seq: UInt64(seq), topic: topic, time: instant, source: source, payload: object["payload"] ?? .null)
    }

    /// Whether any string in the payload is `id`: how a filter by network or actor is read.
    func mentions(_ id: String) -> Bool {
        func search(_ value: JSONValue) -> Bool {
            switch value {
            case .string(let text): return text == id
            case .array(let values): return values.contains(where: search)
            case .object(let members): return members.values.contains(where: search)
            default: return false
            }
        }
        return search(payload)
    }
}

/// What the module knows in memory: recipients, subscriptions, and how far the intake has read the journal.
struct NotificationsState: Sendable {
    var recipients: [String: Recipient] = [:]
    var subscriptions: [String: NotificationSubscription] = [:]
    /// Every event up to this `seq` has been matched against the subscriptions.
    var cursor: UInt64 = 0

    /// The subscriptions `event` notifies: its topic under theirs, made before it, and its filter met. The
    /// module's own events notify nobody, so a failing delivery cannot feed on itself.
    func subscriptions(for event: IncomingEvent) -> [NotificationSubscription] {
        guard !event.topic.hasPrefix("notifications.") else { return [] }
        return subscriptions.values.filter { subscription in
            let fields = subscription.fields
            guard subscription.sinceSeq < event.seq, event.topic.hasPrefix(fields.topic) else { return false }
            if let network = fields.filter?.network, !event.mentions(network) { return false }
            if let actor = fields.filter?.actor, !event.mentions(actor) { return false }
            return true
        }.sorted { $0.id < $1.id }
    }
}

/// Turns an event into deliveries: renders each subscription's message in its recipient's language and zone,
/// and decides when it may go (now, after quiet hours, or at the digest's cut).
struct Composer: Sendable {
    let templates: MessageTemplates
    let settings: Settings

    func isUrgent(_ topic: String) -> Bool { settings.urgentTopics.contains { topic.hasPrefix($0) } }

    func compose(
        _ event: IncomingEvent, for subscription: NotificationSubscription, recipient: Recipient, now: Date,
        payloadJSON: () -> Data?
    ) -> DeliveryRow {
        let local = LocalTime.of(recipient.timeZone)
        var data: [String: Any] = [
            "topic": event.topic, "seq": Int64(event.seq), "time": EnvelopeTime.format(event.time),
            "local_time": local.format(event.time), "source": event.source,
            "recipient": ["name": recipient.name, "language": recipient.language, "time_zone": recipient.timeZone],
        ]
        if let payload = event.payload.mustache { data["event"] = payload }
        if let unsubscribe = settings.listUnsubscribe { data["unsubscribe"] = unsubscribe }
        let message = templates.render(topic: event.topic, language: recipient.language, data: data)
        let cadence = subscription.fields.cadence ?? .immediate
        var state = DeliveryState.queued
        var due = now
        var held: String?
        if let cut = local.nextCut(after: now, cadence) {
            state = .digest
            due = cut
            held = "digest cut at \(local.format(cut))"
        } else if !isUrgent(event.topic) {
            (due, held) = local.hold(now, recipient.quietHours)
        }
        // Only a webhook sends the event itself (alone, or in a digest's `events`); its payload is encoded once
        // for all the subscriptions it reaches (`payloadJSON`).
        var body = ""
        if subscription.fields.channel == .webhook, let payload = payloadJSON() {
            var json = JSONBytes(capacity: payload.count + 256)
            json.raw("{\"type\":")
            json.string(event.topic)
            json.raw(",\"timestamp\":")
            json.string(EnvelopeTime.format(event.time))
            json.raw(",\"data\":{\"seq\":")
            json.integer(event.seq)
            json.raw(",\"source\":")
            json.string(event.source)
            json.raw(",\"subscription\":")
            json.string(subscription.id)
            json.raw(",\"subject\":")
            json.string(message.subject)
            json.raw(",\"payload\":")
            json.raw(payload)
            json.raw("}}")
            body = String(decoding: json.bytes, as: UTF8.self)
        }
        let delivery = Delivery(
            id: 0, key: "\(event.seq)/\(subscription.id)", subscription: subscription.id, recipient: recipient.id,
            channel: subscription.fields.channel, topic: event.topic, seqs: [event.seq], state: state,
            subject: message.subject, queuedAt: EnvelopeTime.format(now), dueAt: EnvelopeTime.format(due), held: held,
            timeZone: "\(recipient.timeZone) (\(recipient.timeZoneSource))", attempts: [])
        return DeliveryRow(
            delivery: delivery, text: message.text, html: message.html, body: body,
            queuedAt: now.timeIntervalSince1970, dueAt: due.timeIntervalSince1970)
    }

    /// One digest for the entries of one subscription and cut.
    func digest(
        _ entries: [DeliveryRow], subscription: String, cut: Double, recipient: Recipient, channel: NotificationChannel,
        now: Date
    ) -> DeliveryRow {
        let local = LocalTime.of(recipient.timeZone)
        let cutDate = Date(timeIntervalSince1970: cut)
        var data: [String: Any] = [
            "recipient": ["name": recipient.name, "language": recipient.language, "time_zone": recipient.timeZone],
            "count": Int64(entries.count), "local_time": local.format(cutDate),
            "entries": entries.map { entry -> [String: Any] in
                let time = Date(timeIntervalSince1970: entry.queuedAt)
                return [
                    "topic": entry.delivery.topic, "seq": Int64(entry.delivery.seqs.first ?? 0),
                    "time": entry.delivery.queuedAt, "local_time": local.format(time),
                    "subject": entry.delivery.subject, "text": entry.text,
                ]
            },
        ]
        if let unsubscribe = settings.listUnsubscribe { data["unsubscribe"] = unsubscribe }
        let message = templates.render(topic: "digest", language: recipient.language, data: data)
        let (due, held) = local.hold(now, recipient.quietHours)
        let body =
            channel == .webhook
            ? Self.webhookBody(
                type: "notifications.digest", time: cutDate,
                data: .object([
                    "subscription": .string(subscription), "subject": .string(message.subject),
                    "events": .array(entries.map { JSONValue.parse(Data($0.body.utf8)) ?? .null }),
                ])) : ""
        let key = "digest/\(subscription)/\(Int64(cut))"
        let delivery = Delivery(
            id: 0, key: key, subscription: subscription, recipient: recipient.id, channel: channel, topic: "digest",
            seqs: entries.flatMap(\.delivery.seqs), state: .queued, subject: message.subject,
            queuedAt: EnvelopeTime.format(now), dueAt: EnvelopeTime.format(due), held: held,
            timeZone: "\(recipient.timeZone) (\(recipient.timeZoneSource))", attempts: [])
        return DeliveryRow(
            delivery: delivery, text: message.text, html: message.html, body: body,
            queuedAt: now.timeIntervalSince1970, dueAt: due.timeIntervalSince1970)
    }

    /// The Standard Webhooks payload: `type`, `timestamp` and `data`.
    static func webhookBody(type: String, time: Date, data: JSONValue) -> String {
        let value: JSONValue = .object([
            "type": .string(type), "timestamp": .string(EnvelopeTime.format(time)), "data": data,
        ])
        return (try? JSONStreamEncoder.text(value)) ?? "{}"
    }
}
