import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Registry
import Synchronization
import Testing

@testable import Notifications

/// A channel whose answers the test scripts, and which keeps what it was handed.
final class ScriptedCourier: Courier {
    private let state = Mutex<(sent: [OutgoingMessage], script: [DeliveryOutcome])>(([], []))

    func answer(_ outcomes: [DeliveryOutcome]) { state.withLock { $0.script += outcomes } }

    var messages: [OutgoingMessage] { state.withLock { $0.sent } }

    func deliver(_ message: OutgoingMessage) async -> DeliveryOutcome {
        state.withLock { state in
            state.sent.append(message)
            return state.script.isEmpty ? .sent("250 OK") : state.script.removeFirst()
        }
    }

    func lane(of recipient: Recipient) -> String { "scripted" }
    func shutdown() async {}
}

/// The pipeline end to end inside one process: a real runtime and store, the test clock, a scripted channel.
@Suite struct PipelineTests {
    /// Never quiet, so the tests choose when quiet hours matter.
    static let awake = QuietHours(start: "00:00", end: "00:00", weekends: false)

    struct Setup {
        let harness: TestHarness
        let courier: ScriptedCourier

        static func start(configuration: [String: String] = [:]) async throws -> Setup {
            let courier = ScriptedCourier()
            let harness = try await TestHarness(
                modules: [RegistryModule(), NotificationsModule(couriers: [.email: courier, .webhook: courier])]
            ) { options in
                options.moduleConfiguration["notifications"] = configuration
            }
            return Setup(harness: harness, courier: courier)
        }

        func recipient(
            _ id: String = "agnes", language: String = "en", zone: String = "Asia/Vientiane",
            quiet: QuietHours = PipelineTests.awake
        ) async throws {
            _ = try await harness.send(
                SetRecipient(
                    id: id,
                    fields: RecipientFields(
                        name: "Agnès Dupont", email: "\(id)@example.org", language: language, timeZone: zone,
                        quietHours: quiet)))
        }

        func subscribe(
            _ recipient: String = "agnes", topic: String = "registry.actor.", cadence: Cadence? = nil,
            filter: SubscriptionFilter? = nil
        ) async throws -> NotificationSubscription {
            try await harness.send(
                Subscribe(
                    fields: SubscriptionFields(
                        recipient: recipient, topic: topic, filter: filter, channel: .email, cadence: cadence)))
        }

        @discardableResult
        func register(_ name: String, country: String = "LA") async throws -> ActorRecord {
            try await harness.send(RegisterActor(actor: ActorFields(name: name, kind: .city, country: country)))
        }

        /// `accepted`, or the error's code and message.
        func refusal<C: Command>(_ command: C) async -> String {
            let result: Result<C.Reply, any Error>
            do {
                result = .success(try await harness.send(command))
            } catch {
                result = .failure(error)
            }
            switch result {
            case .success: return "accepted"
            case .failure(let error as ConcordError): return "\(error.code.rawValue): \(error.message)"
            case .failure(let error): return "\(error)"
            }
        }

        func deliveries(_ state: DeliveryState? = nil) async throws -> [Delivery] {
            try await harness.send(ListDeliveries(state: state)).deliveries
        }

        func waitFor(_ state: DeliveryState, count: Int = 1) async throws -> [Delivery] {
            var found: [Delivery] = []
            _ = try await eventually {
                found = try await deliveries(state)
                return found.count >= count
            }
            try #require(found.count >= count, "expected \(count) \(state) deliveries, found \(found.count)")
            return found
        }
    }

    @Test func anEventReachesEachMatchingSubscriptionOnceInTheRecipientsLanguage() async throws {
        let setup = try await Setup.start()
        defer { Task { await setup.harness.close() } }
        try await setup.recipient()
        try await setup.recipient("bao", language: "vi")
        _ = try await setup.subscribe()
        _ = try await setup.subscribe("bao", topic: "registry.actor.registered")
        _ = try await setup.subscribe("bao", topic: "scheduling.")
        try await setup.register("Pakse")
        let sent = try await setup.waitFor(.sent, count: 2)
        #expect(sent.count == 2)
        #expect(Set(sent.map(\.recipient)) == ["agnes", "bao"])
        #expect(sent.allSatisfy { $0.attempts.count == 1 && $0.attempts[0].outcome == "sent" })
        #expect(sent.allSatisfy { $0.timeZone == "Asia/Vientiane (recipient)" })
        let keys = setup.courier.messages.map(\.messageID)
        #expect(Set(keys).count == 2 && keys.allSatisfy { $0.contains("_sub-") })
        let events = try await setup.harness.journaled(prefixes: ["notifications.delivery."])
        #expect(events.filter { $0.topic.rawValue == "notifications.delivery.sent" }.count == 2)
    }

    /// More due than the slots of one host: every slot coming free takes the next, however fast they free.
    @Test func aBacklogLargerThanTheSlotsIsDrained() async throws {
        let setup = try await Setup.start(configuration: ["max_in_flight": "3", "max_in_flight_per_host": "2"])
        defer { Task { await setup.harness.close() } }
        try await setup.recipient()
        _ = try await setup.subscribe()
        for index in 0..<40 { try await setup.register("City \(index)") }
        #expect(try await setup.waitFor(.sent, count: 40).count == 40)
    }

    /// A recipient whose endpoint is down does not queue without bound: past the limit, new deliveries are dead
    /// letters, kept to retry, and the queue of others is untouched.
    @Test func oneRecipientsQueueIsBounded() async throws {
        let setup = try await Setup.start(configuration: ["max_queue_per_recipient": "3"])
        defer { Task { await setup.harness.close() } }
        try await setup.recipient(quiet: .standard)  // Sunday: everything waits
        try await setup.recipient("bao", quiet: .standard)
        _ = try await setup.subscribe()
        _ = try await setup.subscribe("bao")
        for index in 0..<5 { try await setup.register("City \(index)") }
        _ = try await setup.waitFor(.deadLettered, count: 4)
        let all = try await setup.deliveries()
        #expect(all.filter { $0.recipient == "agnes" && $0.state == .queued }.count == 3)
        #expect(all.filter { $0.recipient == "bao" && $0.state == .queued }.count == 3)
        let dead = all.filter { $0.state == .deadLettered }
        #expect(dead.count == 4)
        #expect(dead.allSatisfy { $0.attempts.first?.detail.contains("max_queue_per_recipient") == true })
    }

    /// The same bound when one event reaches many recipients, whose queues are counted in one pass.
    @Test func theBoundHoldsForAManyRecipientFanOut() async throws {
        let setup = try await Setup.start(configuration: ["max_queue_per_recipient": "1"])
        defer { Task { await setup.harness.close() } }
        for index in 0..<70 {
            try await setup.recipient("fp-\(index)", quiet: .standard)
            _ = try await setup.subscribe("fp-\(index)")
        }
        try await setup.register("Pakse")
        try await setup.register("Thakhek")
        _ = try await setup.waitFor(.deadLettered, count: 70)
        #expect(try await setup.deliveries(.queued).count == 70)
        #expect(Set(try await setup.deliveries(.deadLettered).map(\.recipient)).count == 70)
    }

    @Test func aFilterByActorNotifiesOnlyOfThatActor() async throws {
        let setup = try await Setup.start()
        defer { Task { await setup.harness.close() } }
        try await setup.recipient()
        let pakse = try await setup.register("Pakse")
        _ = try await setup.subscribe(topic: "registry.actor.", filter: SubscriptionFilter(actor: pakse.id))
        _ = try await setup.harness.send(
            UpdateActor(
                id: pakse.id, version: pakse.version, actor: ActorFields(name: "Pakse City", kind: .city, country: "LA")
            ))
        try await setup.register("Vientiane")
        let sent = try await setup.waitFor(.sent)
        #expect(sent.count == 1 && sent[0].topic == "registry.actor.updated")
    }

    @Test func aFailedAttemptIsRetriedOnTheBackoffScheduleThenSent() async throws {
        let setup = try await Setup.start()
        defer { Task { await setup.harness.close() } }
        try await setup.recipient()
        _ = try await setup.subscribe()
        setup.courier.answer([.retry("451 try later", after: nil), .retry("HTTP 429", after: 600)])
        try await setup.register("Pakse")
        _ = try await eventually { try await setup.deliveries(.queued).first?.attempts.count == 1 }
        var queued = try await setup.deliveries(.queued)
        #expect(queued.first?.held == "backoff after attempt 1")
        setup.harness.clock.advance(by: 6)
        _ = try await eventually { try await setup.deliveries(.queued).first?.attempts.count == 2 }
        queued = try await setup.deliveries(.queued)
        // Retry-After (600 s) is longer than the second backoff (300 s to 330 s): it wins.
        #expect(queued.first?.held == "Retry-After 600 s")
        setup.harness.clock.advance(by: 400)
        #expect(try await setup.deliveries(.sent).isEmpty)
        setup.harness.clock.advance(by: 201)
        let sent = try await setup.waitFor(.sent)
        #expect(sent[0].attempts.map(\.outcome) == ["failed", "failed", "sent"])
        let failed = try await setup.harness.journaled(prefixes: ["notifications.delivery.failed"])
        #expect(failed.count == 2)
    }

    @Test func theLastFailureDeadLettersAndOperatorsRetryOrPurge() async throws {
        let setup = try await Setup.start()
        defer { Task { await setup.harness.close() } }
        try await setup.recipient()
        _ = try await setup.subscribe()
        setup.courier.answer(Array(repeating: .retry("connection refused", after: nil), count: 8))
        try await setup.register("Pakse")
        for attempt in 1...7 {
            _ = try await eventually { try await setup.deliveries(.queued).first?.attempts.count == attempt }
            setup.harness.clock.advance(by: 100_000)
        }
        let dead = try await setup.waitFor(.deadLettered)
        #expect(dead[0].attempts.count == 8)
        #expect(dead[0].attempts.last?.detail == "connection refused; gave up after 8 attempts")
        #expect(try await setup.harness.send(GetNotificationsStatus()).deadLettered == 1)
        #expect(try await setup.harness.send(RetryDeadLetters()).count == 1)
        _ = try await setup.waitFor(.sent)
        setup.courier.answer([.permanent("550 no such user")])
        try await setup.register("Savannakhet")
        let again = try await setup.waitFor(.deadLettered)
        #expect(again[0].attempts.map(\.detail) == ["550 no such user"])
        #expect(try await setup.harness.send(PurgeDeadLetters(ids: [again[0].id])).count == 1)
        #expect(try await setup.deliveries(.deadLettered).isEmpty)
    }

    @Test func a410DisablesTheWebhook() async throws {
        let setup = try await Setup.start()
        defer { Task { await setup.harness.close() } }
        try await setup.recipient()
        _ = try await setup.subscribe()
        setup.courier.answer([.gone("HTTP 410")])
        try await setup.register("Pakse")
        _ = try await setup.waitFor(.deadLettered)
        #expect(try await setup.harness.send(GetRecipient(id: "agnes")).webhookDisabled)
    }

    @Test func aMessageInQuietHoursWaitsForTheWindowAndAnUrgentOneDoesNot() async throws {
        let setup = try await Setup.start(configuration: ["urgent_topics": "registry.actor.deactivated"])
        defer { Task { await setup.harness.close() } }
        // The test clock starts on Sunday 2026-11-22 10:00 UTC, 17:00 in Vientiane: a weekend, so quiet.
        try await setup.recipient(quiet: .standard)
        _ = try await setup.subscribe()
        let pakse = try await setup.register("Pakse")
        let queued = try await setup.waitFor(.queued)
        #expect(queued[0].held == "quiet hours until 2026-11-23 08:00 +07")
        #expect(queued[0].dueAt == "2026-11-23T01:00:00.000Z")
        _ = try await setup.harness.send(DeactivateActor(id: pakse.id, version: pakse.version, on: "2026-11-22"))
        let urgent = try await setup.waitFor(.sent)
        #expect(urgent[0].topic == "registry.actor.deactivated")
        setup.harness.clock.advance(to: Date(timeIntervalSince1970: 1_795_395_600))  // Monday 01:00 UTC
        #expect(try await setup.waitFor(.sent, count: 2).count == 2)
    }

    @Test func aDailyDigestGathersTheDaysEventsIntoOneMessage() async throws {
        let setup = try await Setup.start()
        defer { Task { await setup.harness.close() } }
        try await setup.recipient(language: "vi")
        _ = try await setup.subscribe(cadence: Cadence(every: .daily, at: "08:00"))
        try await setup.register("Pakse")
        try await setup.register("Huế", country: "VN")
        let entries = try await setup.waitFor(.digest, count: 2)
        #expect(entries.allSatisfy { $0.dueAt == "2026-11-23T01:00:00.000Z" })
        #expect(setup.courier.messages.isEmpty)
        setup.harness.clock.advance(to: Date(timeIntervalSince1970: 1_795_395_600))
        let sent = try await setup.waitFor(.sent)
        #expect(sent.count == 1 && sent[0].topic == "digest" && sent[0].seqs.count == 2)
        let message = try #require(setup.courier.messages.first)
        #expect(message.subject == "2 cập nhật từ Concord")
        // Each entry is a line with its local time (Vientiane, +07) and its subject (the default's: the topic).
        let entryLines = message.text.split(separator: "\n").filter { $0.hasPrefix("- 2026-11-22 17:00 +07:") }
        #expect(entryLines == Array(repeating: "- 2026-11-22 17:00 +07: registry.actor.registered", count: 2))
        #expect(message.subject == "2 cập nhật từ Concord" && message.text.hasPrefix("Kính gửi Agnès Dupont,"))
        #expect(try await setup.deliveries(.digested).count == 2)
    }

    @Test func anEventIsQueuedOncePerSubscriptionAcrossRestartsAndWhatWasMissedIsCaughtUp() async throws {
        let setup = try await Setup.start()
        defer { Task { await setup.harness.close() } }
        try await setup.recipient()
        _ = try await setup.subscribe()
        try await setup.register("Pakse")
        _ = try await setup.waitFor(.sent)
        // Stopped: events happen without the module.
        try await setup.harness.restart(modules: [RegistryModule()])
        try await setup.register("Vientiane")
        try await setup.register("Luang Prabang")
        // Back: the two missed events are queued once each, and the first is not queued again.
        try await setup.harness.restart(modules: [
            RegistryModule(), NotificationsModule(couriers: [.email: setup.courier]),
        ])
        let sent = try await setup.waitFor(.sent, count: 3)
        #expect(sent.count == 3)
        #expect(Set(sent.map(\.key)).count == 3)
        try await setup.harness.restart(modules: [
            RegistryModule(), NotificationsModule(couriers: [.email: setup.courier]),
        ])
        try await setup.register("Thakhek")
        _ = try await setup.waitFor(.sent, count: 4)
        #expect(try await setup.deliveries().count == 4)
    }

    @Test func badInputNamesTheField() async throws {
        let setup = try await Setup.start(configuration: ["webhook_hosts": "hooks.example.org"])
        defer { Task { await setup.harness.close() } }
        func refusal<C: Command>(_ command: C) async -> String { await setup.refusal(command) }
        func recipient(_ change: (inout RecipientFields) -> Void) -> SetRecipient {
            var fields = RecipientFields(name: "A", email: "a@example.org")
            change(&fields)
            return SetRecipient(id: "a", fields: fields)
        }
        #expect(await refusal(recipient { $0.email = "not an address" }).hasPrefix("bad_request: fields.email:"))
        #expect(await refusal(recipient { $0.timeZone = "Mars/Olympus" }).hasPrefix("bad_request: fields.time_zone:"))
        #expect(
            await refusal(
                recipient { $0.webhook = WebhookTarget(url: "ftp://hooks.example.org/x", secretFiles: ["s"]) }
            )
            .hasPrefix("bad_request: fields.webhook.url: expected an http or https URL"))
        #expect(
            await refusal(
                recipient { $0.webhook = WebhookTarget(url: "http://169.254.169.254/latest", secretFiles: ["s"]) }
            )
            .contains("the host 169.254.169.254 is not allowed"))
        #expect(
            await refusal(
                recipient { $0.webhook = WebhookTarget(url: "https://hooks.example.org/x", secretFiles: ["missing"]) }
            )
            .hasPrefix("bad_request: fields.webhook.secret_files[0]: cannot read the secret file"))
        #expect(
            await refusal(recipient { $0.email = nil }).hasPrefix(
                "bad_request: fields: a recipient needs an email or a webhook"))
        #expect(
            await refusal(recipient { $0.focalPoint = FocalPointReference(actor: "nowhere", name: "X") })
                .hasPrefix("not_found: fields.focal_point.actor:"))
        #expect(
            await refusal(recipient { $0.quietHours = QuietHours(start: "9pm") }).hasPrefix(
                "bad_request: fields.quiet_hours.start"))
        #expect(await refusal(recipient { _ in }) == "accepted")
        let subscribe = { (fields: SubscriptionFields) in Subscribe(fields: fields) }
        #expect(
            await refusal(subscribe(SubscriptionFields(recipient: "nobody", topic: "registry.", channel: .email)))
                .hasPrefix("not_found: fields.recipient:"))
        #expect(
            await refusal(subscribe(SubscriptionFields(recipient: "a", topic: "registry.", channel: .webhook)))
                .hasPrefix("bad_request: fields.channel: recipient a has no webhook"))
        #expect(
            await refusal(subscribe(SubscriptionFields(recipient: "a", topic: "Registry!", channel: .email)))
                .hasPrefix("bad_request: fields.topic:"))
        #expect(
            await refusal(
                subscribe(
                    SubscriptionFields(
                        recipient: "a", topic: "registry.", channel: .email,
                        cadence: Cadence(every: .weekly, weekday: "funday")))
            )
            .hasPrefix("bad_request: fields.cadence.weekday:"))
        #expect(await refusal(Unsubscribe(id: "sub-404")).hasPrefix("not_found: id:"))
    }

    @Test func aFocalPointTakesItsAddressAndLanguageFromTheRegistryAndItsZoneFromItsActor() async throws {
        let setup = try await Setup.start()
        defer { Task { await setup.harness.close() } }
        var fields = ActorFields(name: "Huế", kind: .city, country: "VN")
        fields.timeZone = "Asia/Ho_Chi_Minh"
        fields.focalPoints = [FocalPoint(name: "Nguyễn Văn A", email: "a@hue.gov.vn", language: "vi")]
        let hue = try await setup.harness.send(RegisterActor(actor: fields))
        let recipient = try await setup.harness.send(
            SetRecipient(
                id: "hue-fp",
                fields: RecipientFields(focalPoint: FocalPointReference(actor: hue.id, name: "Nguyễn Văn A"))))
        #expect(recipient.email == "a@hue.gov.vn" && recipient.language == "vi" && recipient.name == "Nguyễn Văn A")
        #expect(recipient.timeZone == "Asia/Ho_Chi_Minh" && recipient.timeZoneSource == "focal_point_actor")
        #expect(recipient.quietHours == .standard)
        // The registry changes: the recipient follows.
        var moved = hue.fields
        moved.focalPoints = [FocalPoint(name: "Nguyễn Văn A", email: "a.nguyen@hue.gov.vn", language: "vi")]
        _ = try await setup.harness.send(UpdateActor(id: hue.id, version: hue.version, actor: moved))
        #expect(
            try await eventually {
                try await setup.harness.send(GetRecipient(id: "hue-fp")).email == "a.nguyen@hue.gov.vn"
            })
        do {
            _ = try await setup.harness.send(
                SetRecipient(
                    id: "x", fields: RecipientFields(focalPoint: FocalPointReference(actor: hue.id, name: "Nobody"))))
            Issue.record("an unknown focal point was accepted")
        } catch let error as ConcordError {
            #expect(error.message.contains("has no focal point \"Nobody\"; it has \"Nguyễn Văn A\""))
        }
    }
}
