import ConcordKit
import Contracts
import Foundation
import Logging
import Synchronization

/// What the handlers, the intake and the dispatcher share: the store, the bus, the clock, the settings, the
/// templates, the couriers and the state in memory.
final class NotificationsEngine: Sendable {
    let store: any ModuleStore
    let bus: any MessageBus
    let clock: any WallClock
    let logger: Logger
    let settings: Settings
    let composer: Composer
    let couriers: [NotificationChannel: any Courier]
    let state = Mutex(NotificationsState())

    init(
        context: ModuleContext, settings: Settings, templates: MessageTemplates,
        couriers: [NotificationChannel: any Courier]
    ) {
        store = context.store
        bus = context.bus
        clock = context.clock
        logger = context.logger
        self.settings = settings
        composer = Composer(templates: templates, settings: settings)
        self.couriers = couriers
    }

    func load() async throws {
        let (recipients, subscriptions, cursor) = try await store.read { db in
            let store = NotificationsStore(db: db)
            return (try store.recipients(), try store.subscriptions(), try store.cursor())
        }
        state.withLock { state in
            state.recipients = Dictionary(uniqueKeysWithValues: recipients.map { ($0.id, $0) })
            state.subscriptions = Dictionary(uniqueKeysWithValues: subscriptions.map { ($0.id, $0) })
            state.cursor = cursor
        }
    }

    // MARK: Intake

    /// Matches journaled events against the subscriptions and queues a delivery for each, in the transaction
    /// that moves the cursor past them: an event is queued once per subscription (the key `seq/subscription`
    /// is unique), whether it comes live, from the replay at start-up, or both.
    func take(_ events: [IncomingEvent]) async throws {
        guard !events.isEmpty else { return }
        let queued = try await store.write { transaction in
            let store = NotificationsStore(db: transaction.db)
            let now = transaction.now
            var queued = 0
            let work = self.state.withLock { state -> [(IncomingEvent, NotificationSubscription, Recipient)] in
                events.filter { $0.seq > state.cursor }.flatMap { event in
                    state.subscriptions(for: event).compactMap { subscription in
                        state.recipients[subscription.fields.recipient].map { (event, subscription, $0) }
                    }
                }
            }
            var waiting = try store.waiting(for: Set(work.map(\.2.id)))
            let limit = self.settings.maxQueuePerRecipient
            var payloads: [UInt64: Data] = [:]
            for (event, subscription, recipient) in work {
                var row = self.composer.compose(event, for: subscription, recipient: recipient, now: now) {
                    if let known = payloads[event.seq] { return known }
                    let encoded = try? JSONStreamEncoder.encode(event.payload)
                    payloads[event.seq] = encoded
                    return encoded
                }
                row.lane = self.lane(subscription.fields.channel, recipient)
                if waiting[recipient.id, default: 0] >= limit {
                    // Bounded: past the limit, a delivery is kept as a dead letter (to retry once the recipient
                    // is reachable again), not queued behind thousands of others.
                    let detail =
                        "\(limit) deliveries already wait for recipient \(recipient.id) (modules.notifications.max_queue_per_recipient)"
                    guard let id = try store.insert(row) else { continue }
                    row.delivery.id = id
                    try Self.deadLetter(row.delivery, attempt: 0, detail: detail, in: transaction)
                    continue
                }
                if try store.insert(row) != nil {
                    queued += 1
                    waiting[recipient.id, default: 0] += 1
                }
            }
            try store.setCursor(max(try store.cursor(), events.map(\.seq).max()!))
            return queued
        }
        let last = events.map(\.seq).max()!
        state.withLock { $0.cursor = max($0.cursor, last) }
        if queued > 0 { dispatcher?.waker.wake() }
    }

    /// Live events, in `seq` order, in one transaction: first whatever the journal has between the cursor and
    /// them (missed while stopped, or while the subscription was being made), then the events.
    func take(live events: [IncomingEvent]) async throws {
        let cursor = state.withLock { $0.cursor }
        let events = events.filter { $0.seq > cursor }
        guard let first = events.first else { return }
        if first.seq > cursor + 1 {
            do {
                try await catchUp(to: first.seq - 1)
            } catch let error as ConcordError where error.code == .unavailable {
                // Starting: the start-up catch-up reads these events too, in order.
                return
            }
        }
        try await take(events)
    }

    /// Catches up with the journal once the daemon takes commands (`events.replay` is one), retrying while it is
    /// starting, until `stopped` says to give up.
    func catchUpWhenAccepting(stopped: @Sendable () -> Bool) async {
        while !stopped() {
            do {
                try await catchUp()
                return
            } catch let error as ConcordError where error.code == .unavailable {
                try? await Task.sleep(for: .milliseconds(20))
            } catch {
                logger.error("the journal could not be read from the cursor", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    /// Reads the journal from the cursor to `seq` (or its head) through `events.replay`.
    func catchUp(to seq: UInt64? = nil) async throws {
        while true {
            let cursor = state.withLock { $0.cursor }
            if let seq, cursor >= seq { return }
            let page = try await bus.send(ReplayEvents(afterSeq: cursor, limit: 10_000), context: CommandContext())
            var events = page.events.compactMap(IncomingEvent.init(replayed:))
            if let seq { events = events.filter { $0.seq <= seq } }
            guard !events.isEmpty else { return }
            try await take(events)
        }
    }

    // MARK: Digests

    /// Cuts every digest whose time has come into one delivery per subscription and cut.
    func cutDigests(now: Date) async throws {
        let entries = try await store.read { db in
            try NotificationsStore(db: db).digestEntries(by: now.timeIntervalSince1970)
        }
        guard !entries.isEmpty else { return }
        let groups = Dictionary(grouping: entries) { "\($0.delivery.subscription)\u{0}\($0.dueAt ?? 0)" }
        try await store.write { transaction in
            let store = NotificationsStore(db: transaction.db)
            for key in groups.keys.sorted() {
                let group = groups[key]!
                let first = group[0]
                guard let recipient = self.state.withLock({ $0.recipients[first.delivery.recipient] }) else {
                    continue
                }
                var row = self.composer.digest(
                    group, subscription: first.delivery.subscription, cut: first.dueAt ?? 0, recipient: recipient,
                    channel: first.delivery.channel, now: transaction.now)
                row.lane = self.lane(first.delivery.channel, recipient)
                try store.insert(row)
                try store.markDigested(group.map(\.delivery.id))
            }
        }
    }

    // MARK: Attempts

    func lane(_ channel: NotificationChannel, _ recipient: Recipient) -> String {
        couriers[channel]?.lane(of: recipient) ?? channel.rawValue
    }

    /// Makes one attempt at `row` and writes its outcome and event; returns whether it is to be tried again.
    @discardableResult
    func attempt(_ row: DeliveryRow) async -> Bool {
        let delivery = row.delivery
        let recipient = state.withLock { $0.recipients[delivery.recipient] }
        let outcome: DeliveryOutcome
        if let recipient, let courier = couriers[delivery.channel] {
            let message = OutgoingMessage(
                delivery: delivery.id, messageID: delivery.key.replacingOccurrences(of: "/", with: "_"),
                recipient: recipient, subscription: delivery.subscription, topic: delivery.topic,
                subject: delivery.subject, text: row.text,
                html: row.html, body: row.body,
                queuedAt: Date(timeIntervalSince1970: row.queuedAt),
                attempt: delivery.attempts.count)
            outcome = await courier.deliver(message)
        } else if recipient == nil {
            outcome = .permanent("recipient \(delivery.recipient) no longer exists")
        } else {
            outcome = .permanent("no \(delivery.channel.rawValue) channel is configured (modules.notifications.smtp.*)")
        }
        do {
            try await record(outcome, of: row, recipient: recipient)
        } catch {
            logger.error(
                "the outcome of a delivery could not be written; it is tried again",
                metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
            return true
        }
        if case .retry = outcome { return true }
        return false
    }

    /// Moves `delivery` to the dead letters, with the attempt's outcome in its log and the event that says so.
    static func deadLetter(
        _ delivery: Delivery, attempt number: Int, detail: String, in transaction: WriteTransaction
    ) throws {
        try NotificationsStore(db: transaction.db).update(
            delivery.id, state: .deadLettered, dueAt: nil, held: nil,
            attempt: DeliveryAttempt(at: EnvelopeTime.format(transaction.now), outcome: "dead_lettered", detail: detail)
        )
        transaction.emit(
            DeliveryDeadLettered(
                delivery: delivery.id, recipient: delivery.recipient, channel: delivery.channel, attempt: number,
                detail: detail))
    }

    func record(_ outcome: DeliveryOutcome, of row: DeliveryRow, recipient: Recipient?) async throws {
        let delivery = row.delivery
        let number = delivery.attempts.count + 1
        let urgent = composer.isUrgent(delivery.topic)
        try await store.write { transaction in
            let store = NotificationsStore(db: transaction.db)
            let now = transaction.now
            let at = EnvelopeTime.format(now)
            func deadLetter(_ detail: String) throws {
                try Self.deadLetter(delivery, attempt: number, detail: detail, in: transaction)
            }
            switch outcome {
            case .sent(let detail):
                try store.update(
                    delivery.id, state: .sent, dueAt: nil, held: nil,
                    attempt: DeliveryAttempt(at: at, outcome: "sent", detail: detail))
                transaction.emit(
                    DeliverySent(
                        delivery: delivery.id, recipient: delivery.recipient, channel: delivery.channel,
                        attempt: number, detail: detail))
            case .retry(let detail, let after):
                guard let delay = Backoff.delay(afterAttempt: number, delivery: delivery.id) else {
                    try deadLetter("\(detail); gave up after \(number) attempts")
                    return
                }
                var due = now.addingTimeInterval(max(delay, after ?? 0))
                var held = after.map { "Retry-After \(Int($0)) s" } ?? "backoff after attempt \(number)"
                if !urgent, let recipient {
                    let (window, quiet) = LocalTime.of(recipient.timeZone).hold(due, recipient.quietHours)
                    if let quiet { (due, held) = (window, quiet) }
                }
                try store.update(
                    delivery.id, state: .queued, dueAt: due.timeIntervalSince1970, held: held,
                    attempt: DeliveryAttempt(at: at, outcome: "failed", detail: detail))
                transaction.emit(
                    DeliveryFailed(
                        delivery: delivery.id, recipient: delivery.recipient, channel: delivery.channel,
                        attempt: number, detail: detail, retryAt: EnvelopeTime.format(due)))
            case .permanent(let detail):
                try deadLetter(detail)
            case .gone(let detail):
                try deadLetter("\(detail): the webhook is disabled")
                let disabled = self.state.withLock { state -> Recipient? in
                    guard var recipient = state.recipients[delivery.recipient], !recipient.webhookDisabled else {
                        return nil
                    }
                    recipient.webhookDisabled = true
                    recipient.version += 1
                    state.recipients[recipient.id] = recipient
                    return recipient
                }
                if let disabled {
                    try store.save(disabled)
                    transaction.emit(RecipientChanged(recipient: disabled))
                }
            }
        }
    }

    // MARK: Queries

    func status() async throws -> NotificationsStatus {
        let counts = try await store.read { db in try NotificationsStore(db: db).counts() }
        return NotificationsStatus(
            queued: counts["queued"] ?? 0, digest: counts["digest"] ?? 0,
            deadLettered: counts["dead_lettered"] ?? 0, sent: counts["sent"] ?? 0,
            inFlight: dispatcher?.inFlight ?? 0)
    }

    private let dispatcherBox = Mutex<Dispatcher?>(nil)
    var dispatcher: Dispatcher? {
        get { dispatcherBox.withLock { $0 } }
        set { dispatcherBox.withLock { $0 = newValue } }
    }
}
