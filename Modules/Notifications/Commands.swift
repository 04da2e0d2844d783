import ConcordKit
import Contracts
import Foundation

/// The module's commands and queries: recipients, subscriptions, the delivery log and dead letters.
struct Commands: Sendable {
    let engine: NotificationsEngine
    let secrets: SecretFiles

    func register(_ context: ModuleContext) throws {
        try context.handle(SetRecipient.self, runsOn: .inline) { command, _ in try await setRecipient(command) }
        try context.handle(GetRecipient.self, runsOn: .inline) { query, _ in
            guard let recipient = engine.state.withLock({ $0.recipients[query.id] }) else {
                throw ConcordError.notFound("id: no recipient \"\(query.id)\"")
            }
            return recipient
        }
        try context.handle(Subscribe.self, runsOn: .inline) { command, _ in try await subscribe(command) }
        try context.handle(Unsubscribe.self, runsOn: .inline) { command, _ in
            guard let removed = engine.state.withLock({ $0.subscriptions[command.id] }) else {
                throw ConcordError.notFound("id: no subscription \"\(command.id)\"")
            }
            try await engine.store.write { transaction in
                try NotificationsStore(db: transaction.db).deleteSubscription(command.id)
                transaction.emit(SubscriptionRemoved(id: removed.id, recipient: removed.fields.recipient))
            }
            _ = engine.state.withLock { $0.subscriptions.removeValue(forKey: command.id) }
            return Acknowledged()
        }
        try context.handle(ListSubscriptions.self, runsOn: .inline) { query, _ in
            let all = engine.state.withLock { Array($0.subscriptions.values) }
            return SubscriptionList(
                subscriptions: all.filter { query.recipient == nil || $0.fields.recipient == query.recipient }
                    .sorted { $0.id < $1.id })
        }
        try context.handle(ListDeliveries.self, runsOn: .inline) { query, _ in
            let limit = query.limit ?? 100
            guard (1...10_000).contains(limit) else {
                throw ConcordError.badRequest("limit: expected 1 to 10000, got \(limit)")
            }
            return DeliveryList(
                deliveries: try await engine.store.read { db in
                    try NotificationsStore(db: db).log(recipient: query.recipient, state: query.state, limit: limit)
                })
        }
        try context.handle(RetryDeadLetters.self, runsOn: .inline) { command, _ in
            let count = try await engine.store.write { transaction in
                let store = NotificationsStore(db: transaction.db)
                let ids = try store.deadLetters(command.ids)
                for id in ids {
                    try store.update(
                        id, state: .queued, dueAt: transaction.now.timeIntervalSince1970,
                        held: "retried by an operator",
                        attempt: nil)
                }
                return ids.count
            }
            engine.dispatcher?.waker.wake()
            return DeadLetterCount(count: count)
        }
        try context.handle(PurgeDeadLetters.self, runsOn: .inline) { command, _ in
            try await engine.store.write { transaction in
                let store = NotificationsStore(db: transaction.db)
                let ids = try store.deadLetters(command.ids)
                try store.delete(ids)
                return DeadLetterCount(count: ids.count)
            }
        }
        try context.handle(GetNotificationsStatus.self, runsOn: .inline) { _, _ in try await engine.status() }
    }

    // MARK: Recipients

    /// Sets a recipient. With `refreshing`, it is the registry that changed (a focal point's address or language,
    /// an actor's zone): a webhook a 410 disabled stays disabled, and nothing changed writes nothing.
    @discardableResult
    func setRecipient(_ command: SetRecipient, refreshing: Bool = false) async throws -> Recipient {
        let fields = command.fields
        try Self.identifier(command.id, field: "id")
        if let email = fields.email, !Addresses.isEmail(email) {
            throw ConcordError.badRequest(
                "fields.email: expected an address such as focal.point@city.gov.la, got \"\(email)\"")
        }
        if let language = fields.language, !Self.isLanguageTag(language) {
            throw ConcordError.badRequest(
                "fields.language: expected a BCP 47 tag such as en, vi or zh-Hans, got \"\(language)\"")
        }
        if let zone = fields.timeZone, TimeZone(identifier: zone) == nil {
            throw ConcordError.badRequest(
                "fields.time_zone: expected an IANA time zone such as Asia/Vientiane, got \"\(zone)\"")
        }
        if let quiet = fields.quietHours {
            for (name, value) in [("start", quiet.start), ("end", quiet.end)] where LocalTime.minutes(value) == nil {
                throw ConcordError.badRequest("fields.quiet_hours.\(name): expected HH:MM, got \"\(value)\"")
            }
        }
        if let webhook = fields.webhook { try check(webhook) }

        var name = fields.name
        var email = fields.email
        var language = fields.language
        var zone = fields.timeZone.map { ($0, "recipient") }
        if let reference = fields.focalPoint {
            let actor: ActorRecord
            do {
                actor = try await engine.bus.send(GetActor(id: reference.actor))
            } catch let error as ConcordError where error.code == .notFound {
                throw ConcordError.notFound("fields.focal_point.actor: no actor \"\(reference.actor)\" in the registry")
            }
            let points = actor.fields.focalPoints ?? []
            guard let point = points.first(where: { $0.name == reference.name }) else {
                let names = points.map { "\"\($0.name)\"" }.joined(separator: ", ")
                throw ConcordError.notFound(
                    "fields.focal_point.name: \(actor.fields.name) has no focal point \"\(reference.name)\"; it has \(names.isEmpty ? "none" : names)"
                )
            }
            name = name ?? point.name
            email = email ?? point.email
            language = language ?? point.language ?? actor.fields.languages?.first
            if zone == nil, let actorZone = actor.fields.timeZone { zone = (actorZone, "focal_point_actor") }
            if zone == nil, let network = reference.network {
                let networks = try await engine.bus.send(ListNetworks()).networks
                guard let found = networks.first(where: { $0.id == network }) else {
                    throw ConcordError.notFound("fields.focal_point.network: no network \"\(network)\" in the registry")
                }
                if let secretariat = found.secretariat,
                    let secretariatZone = try? await engine.bus.send(GetActor(id: secretariat)).fields.timeZone
                {
                    zone = (secretariatZone, "network_secretariat")
                }
            }
        }
        guard let name else {
            throw ConcordError.badRequest(
                "fields.name: expected the recipient's name (or a focal_point to take it from)")
        }
        guard email != nil || fields.webhook != nil else {
            throw ConcordError.badRequest(
                "fields: a recipient needs an email or a webhook to be reached; neither is given nor in the registry")
        }
        let resolvedZone = zone ?? ("UTC", "default")
        let old = engine.state.withLock { $0.recipients[command.id] }
        var recipient = Recipient(
            id: command.id, fields: fields, name: name, email: email, language: language ?? "en",
            timeZone: resolvedZone.0, timeZoneSource: resolvedZone.1, quietHours: fields.quietHours ?? .standard,
            webhookDisabled: refreshing && old?.webhookDisabled == true, version: old?.version ?? 0)
        if refreshing, recipient == old { return recipient }
        recipient.version += 1
        let changed = recipient
        try await engine.store.write { transaction in
            try NotificationsStore(db: transaction.db).save(changed)
            transaction.emit(RecipientChanged(recipient: changed))
        }
        engine.state.withLock { $0.recipients[command.id] = changed }
        return changed
    }

    /// An http(s) URL to an allowed host, with secrets that exist and have the `whsec_` form.
    func check(_ webhook: WebhookTarget) throws {
        guard let url = URL(string: webhook.url), let scheme = url.scheme?.lowercased(),
            ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty
        else {
            throw ConcordError.badRequest("fields.webhook.url: expected an http or https URL, got \"\(webhook.url)\"")
        }
        guard engine.settings.webhookHosts.contains(host.lowercased()) else {
            let allowed = engine.settings.webhookHosts.sorted().joined(separator: ", ")
            throw ConcordError.badRequest(
                "fields.webhook.url: the host \(host) is not allowed; webhook hosts are the operator's list modules.notifications.webhook_hosts (now: \(allowed.isEmpty ? "empty" : allowed))"
            )
        }
        guard !webhook.secretFiles.isEmpty else {
            throw ConcordError.badRequest(
                "fields.webhook.secret_files: expected at least one file holding a whsec_ secret")
        }
        for (index, file) in webhook.secretFiles.enumerated() {
            do {
                _ = try WebhookCourier.key(fromSecret: try secrets.read(file))
            } catch {
                throw ConcordError.badRequest("fields.webhook.secret_files[\(index)]: \(error)")
            }
        }
    }

    // MARK: Subscriptions

    func subscribe(_ command: Subscribe) async throws -> NotificationSubscription {
        let fields = command.fields
        if let id = command.id { try Self.identifier(id, field: "id") }
        guard let recipient = engine.state.withLock({ $0.recipients[fields.recipient] }) else {
            throw ConcordError.notFound(
                "fields.recipient: no recipient \"\(fields.recipient)\"; notifications.recipient.set makes one")
        }
        guard !fields.topic.isEmpty, fields.topic.allSatisfy({ $0.isLowercase || $0.isNumber || "._".contains($0) })
        else {
            throw ConcordError.badRequest(
                "fields.topic: expected a topic or topic prefix such as registry.accession. or scheduling.meeting.reminder_due, got \"\(fields.topic)\""
            )
        }
        guard !fields.topic.hasPrefix("notifications") else {
            throw ConcordError.badRequest(
                "fields.topic: notifications' own events are on the event stream; they are not notified, so a failing delivery cannot feed on itself"
            )
        }
        switch fields.channel {
        case .email where recipient.email == nil:
            throw ConcordError.badRequest(
                "fields.channel: recipient \(recipient.id) has no email; set one, or subscribe the webhook")
        case .webhook where recipient.fields.webhook == nil:
            throw ConcordError.badRequest(
                "fields.channel: recipient \(recipient.id) has no webhook; set one, or subscribe by email")
        default: break
        }
        if let cadence = fields.cadence {
            if let at = cadence.at, LocalTime.minutes(at) == nil {
                throw ConcordError.badRequest("fields.cadence.at: expected HH:MM, got \"\(at)\"")
            }
            if let weekday = cadence.weekday, !LocalTime.weekdays.contains(weekday) {
                throw ConcordError.badRequest("fields.cadence.weekday: expected monday to sunday, got \"\(weekday)\"")
            }
        }
        // It notifies of what happens from now on: events after the journal's head as it is now.
        let since = try await engine.bus.send(GetEventsHead()).headSeq
        return try await engine.store.write { transaction in
            // Inside the write, which runs one at a time, so two subscriptions never take the same made-up id.
            let subscription = try engine.state.withLock { state -> NotificationSubscription in
                var id = command.id
                if id == nil {
                    var number = state.subscriptions.count + 1
                    while state.subscriptions["sub-\(number)"] != nil { number += 1 }
                    id = "sub-\(number)"
                }
                guard state.subscriptions[id!] == nil else {
                    throw ConcordError.conflict("id: a subscription \"\(id!)\" exists")
                }
                return NotificationSubscription(id: id!, fields: fields, sinceSeq: since)
            }
            try NotificationsStore(db: transaction.db).save(subscription)
            transaction.emit(SubscriptionCreated(subscription: subscription))
            // Held in memory from here: should the commit fail, the module's next start reads the tables again.
            engine.state.withLock { $0.subscriptions[subscription.id] = subscription }
            return subscription
        }
    }

    // MARK: Checks

    static func identifier(_ id: String, field: String) throws {
        guard !id.isEmpty, id.utf8.count <= 128,
            id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:@".contains($0)) })
        else {
            throw ConcordError.badRequest(
                "\(field): expected 1 to 128 letters, digits and - _ . : @, got \"\(id)\"")
        }
    }

    static func isLanguageTag(_ tag: String) -> Bool {
        let parts = tag.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter })
        else {
            return false
        }
        return parts.dropFirst().allSatisfy {
            (1...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        }
    }
}
