public import ConcordKit
import Contracts
import Foundation

/// Tells focal points and tools what happened, in their language and at a decent hour: subscriptions by
/// recipient, topic prefix and filter; email over SMTP, signed webhooks, and the event stream (every delivery's
/// state change is an event); templates; digests and quiet hours in the recipient's zone; a durable queue with
/// backoff, dead letters and a delivery log.
///
/// It learns recipients' addresses, languages and zones from the registry with queries, reads every other module
/// only through the journal (`events.replay` and a subscription), and imports no other module.
public struct NotificationsModule: Module {
    /// Couriers by channel that replace the real ones: for tests of the pipeline.
    let couriers: [NotificationChannel: any Courier]?

    public init() { couriers = nil }

    init(couriers: [NotificationChannel: any Courier]) { self.couriers = couriers }

    public var descriptor: ModuleDescriptor {
        ModuleDescriptor(
            name: "notifications", version: "0.1.0",
            publishes: [
                RecipientChanged.self, SubscriptionCreated.self, SubscriptionRemoved.self, DeliverySent.self,
                DeliveryFailed.self, DeliveryDeadLettered.self,
            ])
    }

    public var migrations: [Migration] { NotificationsStore.migrations }

    public func start(context: ModuleContext) async throws {
        let settings = try Settings(context.configuration)
        let templates: MessageTemplates
        do {
            templates = try MessageTemplates.load(directory: settings.templatesDirectory)
        } catch let error as TemplateError {
            context.logger.error("a template does not load", metadata: ["error": "\(error)"])
            throw ConcordError(.badRequest, "template \(error)")
        }
        let secrets = SecretFiles(directory: settings.secretsDirectory)
        let clock = context.clock
        var couriers = self.couriers ?? [:]
        if self.couriers == nil {
            couriers[.webhook] = WebhookCourier(secrets: secrets, clock: { clock.now() })
            if let smtp = settings.smtp {
                do {
                    couriers[.email] = try EmailCourier(
                        settings: smtp, secrets: secrets, unsubscribe: settings.listUnsubscribe)
                } catch {
                    throw ConcordError.badRequest("\(error)")
                }
            }
        }
        let engine = NotificationsEngine(
            context: context, settings: settings, templates: templates, couriers: couriers)
        try await engine.load()
        context.statusReport.provide {
            guard let status = try? await engine.status(), let value = try? JSONValue(encoding: status) else {
                return .null
            }
            return value
        }
        let commands = Commands(engine: engine, secrets: secrets)
        try commands.register(context)
        // A focal point's recipient follows the registry: its address, language and its actor's zone.
        context.on(ActorUpdated.self) { envelope in
            let actor = envelope.payload.actor.id
            let following = engine.state.withLock { state in
                state.recipients.values.filter { $0.fields.focalPoint?.actor == actor }.sorted { $0.id < $1.id }
            }
            for recipient in following {
                do {
                    try await commands.setRecipient(
                        SetRecipient(id: recipient.id, fields: recipient.fields), refreshing: true)
                } catch {
                    context.logger.warning(
                        "a focal point's recipient could not follow the registry; it keeps what it had",
                        metadata: ["recipient": "\(recipient.id)", "error": "\(error)"])
                }
            }
        }

        context.onBatches(prefix: "") { batch in
            let events = try batch.compactMap { envelope -> IncomingEvent? in
                guard let seq = envelope.seq else { return nil }
                return IncomingEvent(
                    seq: seq, topic: envelope.topic.rawValue, time: envelope.time, source: envelope.source,
                    payload: try JSONValue(encoding: envelope.payload))
            }
            try await engine.take(live: events)
        }
        let dispatcher = Dispatcher(engine: engine)
        engine.dispatcher = dispatcher
        context.tasks.add(subscription: { dispatcher.stop() }) {
            await engine.catchUpWhenAccepting { dispatcher.isStopped }
            await dispatcher.run()
            for courier in engine.couriers.values { await courier.shutdown() }
        }
    }
}
