import ConcordKit
import Contracts
import Foundation
import Testing

@testable import Notifications

@Suite struct MessageTemplatesTests {
    static func directory(_ files: [String: String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("templates-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(toFile: (path as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return path
    }

    static var reminder: [String: Any] {
        [
            "topic": "scheduling.meeting.reminder_due", "seq": Int64(7), "time": "2026-12-05T01:00:00.000Z",
            "local_time": "2026-12-05 08:00 +07", "source": "scheduling",
            "recipient": ["name": "Agnès <Dupont>", "language": "vi", "time_zone": "Asia/Vientiane"],
            "event": [
                "title": "Plenary <Hanoi> & Huế", "start": "2026-12-12T09:00:00", "start_utc": "2026-12-12T02:00:00Z",
                "time_zone": "Asia/Ho_Chi_Minh", "offset": "P7D",
            ],
        ]
    }

    @Test func everyShippedTemplateLoadsAndNamesOnlyWhatItsEventHas() throws {
        let templates = try MessageTemplates.load(directory: nil)
        #expect(templates.compiled.keys.contains("scheduling.meeting.reminder_due"))
        #expect(templates.compiled["default"]?["en"] != nil)
        #expect(templates.compiled["digest"]?["en"] != nil)
    }

    @Test func htmlIsEscapedAndTextIsNot() throws {
        let templates = try MessageTemplates.load(directory: nil)
        let message = templates.render(topic: "scheduling.meeting.reminder_due", language: "en", data: Self.reminder)
        #expect(message.html.contains("Plenary &lt;Hanoi&gt; &amp; Huế"))
        #expect(!message.html.contains("<Hanoi>"))
        #expect(message.text.contains("Plenary <Hanoi> & Huế starts 2026-12-12T09:00:00 (Asia/Ho_Chi_Minh)"))
        #expect(message.subject == "Reminder: Plenary <Hanoi> & Huế starts 2026-12-12T09:00:00")
        #expect(message.language == "en")
    }

    /// A list in a text template is one line per item.
    @Test func listsInTextAreOneLineEach() throws {
        let templates = try MessageTemplates.load(directory: nil)
        let data: [String: Any] = [
            "recipient": ["name": "Bảo"],
            "event": ["need": "n-1", "entries": [["id": "o-1", "score": 71.5], ["id": "o-2", "score": 64.0]]],
        ]
        let message = templates.render(topic: "matching.shortlist.changed", language: "en", data: data)
        #expect(message.subject == "New matches for need n-1")
        #expect(message.text.contains("The shortlist changed:\n- o-1 (71.5 points)\n- o-2 (64.0 points)\n"))
    }

    @Test func aLanguageFallsBackToEnglishThenToTheDefault() throws {
        let templates = try MessageTemplates.load(directory: nil)
        #expect(
            templates.render(topic: "scheduling.meeting.reminder_due", language: "vi", data: Self.reminder).subject
                .hasPrefix("Nhắc lịch"))
        #expect(
            templates.render(topic: "scheduling.meeting.reminder_due", language: "vi-VN", data: Self.reminder)
                .language == "vi")
        let lao = templates.render(topic: "scheduling.meeting.reminder_due", language: "lo", data: Self.reminder)
        #expect(lao.language == "en" && lao.subject.hasPrefix("Reminder"))
        var data = Self.reminder
        data["topic"] = "registry.actor.registered"
        let other = templates.render(topic: "registry.actor.registered", language: "vi", data: data)
        #expect(other.subject == "registry.actor.registered" && other.language == "en")
    }

    @Test func aFileOverridesOnePartAndKeepsTheOthers() throws {
        let directory = try Self.directory([
            "scheduling.meeting.reminder_due.en.subject.mustache": "Soon: {{event.title}}"
        ])
        let templates = try MessageTemplates.load(directory: directory)
        let message = templates.render(topic: "scheduling.meeting.reminder_due", language: "en", data: Self.reminder)
        #expect(message.subject == "Soon: Plenary <Hanoi> & Huế")
        #expect(message.text.contains("starts 2026-12-12T09:00:00"))
    }

    @Test func anUnknownVariableIsReportedWithFileAndLineAtLoad() throws {
        let directory = try Self.directory([
            "scheduling.meeting.reminder_due.vi.text.mustache": "Kính gửi {{recipient.name}},\n\n{{event.titel}}\n"
        ])
        let error = try #require(throws: TemplateError.self) { try MessageTemplates.load(directory: directory) }
        #expect(error.file.hasSuffix("scheduling.meeting.reminder_due.vi.text.mustache"))
        #expect(error.line == 3)
        #expect(error.message.contains("event.titel"))
    }

    @Test func sectionsResolveInsideWhatTheyName() throws {
        let schema = MessageTemplates.schema(of: "matching.shortlist.changed")
        #expect(
            TemplateVariables.unknown(in: "{{#event.entries}}{{id}} {{score}}{{/event.entries}}", data: schema).isEmpty)
        #expect(
            TemplateVariables.unknown(in: "{{#event.entries}}{{title}}{{/event.entries}}", data: schema)
                == [.init(name: "title", line: 1)])
        // Names resolve up the stack: the recipient inside a section.
        #expect(
            TemplateVariables.unknown(in: "{{#event.entries}}{{recipient.name}}{{/event.entries}}", data: schema)
                .isEmpty)
        #expect(TemplateVariables.unknown(in: "{{! a comment {{nothing}} }}{{{topic}}}", data: schema).isEmpty)
        #expect(
            TemplateVariables.unknown(in: "{{^event.need}}\n{{event.nope}}{{/event.need}}", data: schema)
                == [.init(name: "event.nope", line: 2)])
    }

    @Test func aSyntaxErrorIsReportedWithItsLine() throws {
        let directory = try Self.directory(["default.en.html.mustache": "<p>\n{{#topic}}\nunclosed\n"])
        let error = try #require(throws: TemplateError.self) { try MessageTemplates.load(directory: directory) }
        #expect(error.file.hasSuffix("default.en.html.mustache"))
        #expect(error.line >= 2)
    }

    @Test func aFileForATopicWithoutTemplatesIsRefused() throws {
        let directory = try Self.directory(["registry.nothing.en.subject.mustache": "x"])
        let error = try #require(throws: TemplateError.self) { try MessageTemplates.load(directory: directory) }
        #expect(error.message.contains("no templates are made for registry.nothing"))
    }
}

@Suite struct WebhookSignatureTests {
    /// The Standard Webhooks specification's example: the same id, timestamp, body and secret give its signature.
    @Test func theSpecificationsExampleSignsTheSame() throws {
        let key = try WebhookCourier.key(fromSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let signature = WebhookCourier.signatures(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: "{\"test\": 2432232314}",
            keys: [key])
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func everySecretSignsSoAnEndpointCanRotate() throws {
        let keys = try ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_dGVzdC1zZWNyZXQtMg=="].map(
            WebhookCourier.key(fromSecret:))
        let signatures = WebhookCourier.signatures(id: "a", timestamp: 1, body: "{}", keys: keys).split(separator: " ")
        #expect(signatures.count == 2 && signatures.allSatisfy { $0.hasPrefix("v1,") })
        #expect(throws: SecretError.self) { try WebhookCourier.key(fromSecret: "not-a-secret") }
    }

    @Test func retryAfterIsSecondsOrADate() {
        #expect(WebhookCourier.retryAfter("120") == 120)
        #expect(WebhookCourier.retryAfter("nonsense") == nil)
        #expect((WebhookCourier.retryAfter("Wed, 21 Oct 2099 07:28:00 GMT") ?? 0) > 1_000_000)
    }
}

@Suite struct WebhookBodyTests {
    /// The body written by hand equals, byte for byte, the encoding of the same object, with a payload that
    /// needs escaping and names in three scripts.
    @Test func theHandWrittenBodyIsTheEncodedObject() throws {
        let composer = Composer(
            templates: try MessageTemplates.load(directory: nil),
            settings: try Settings(ModuleConfiguration(module: "notifications")))
        let payload: JSONValue = .object([
            "actor": .object(["name": .string("Huế \"cố đô\"\n"), "other": .string("Душанбе ນະຄອນຫຼວງວຽງຈັນ")]),
            "n": .int(3), "ok": .bool(true), "none": .null,
        ])
        let event = IncomingEvent(
            seq: 42, topic: "registry.actor.registered", time: Date(timeIntervalSince1970: 1_796_342_400),
            source: "registry", payload: payload)
        let subscription = NotificationSubscription(
            id: "sub-7", fields: SubscriptionFields(recipient: "r", topic: "registry.", channel: .webhook), sinceSeq: 0)
        let recipient = Recipient(
            id: "r", fields: RecipientFields(), name: "R", email: nil, language: "en", timeZone: "UTC",
            timeZoneSource: "default", quietHours: PipelineTests.awake, version: 1)
        let row = composer.compose(event, for: subscription, recipient: recipient, now: event.time) {
            try? JSONStreamEncoder.encode(payload)
        }
        let expected: JSONValue = .object([
            "type": "registry.actor.registered", "timestamp": .string(EnvelopeTime.format(event.time)),
            "data": .object([
                "seq": 42, "source": "registry", "subscription": "sub-7", "subject": .string(row.delivery.subject),
                "payload": payload,
            ]),
        ])
        #expect(row.body == String(decoding: try JSONStreamEncoder.encode(expected), as: UTF8.self))
        #expect(JSONValue.parse(Data(row.body.utf8)) == expected)
    }
}
