import ConcordKit
import Contracts
import Foundation
import Mustache

/// A message rendered for one recipient.
struct RenderedMessage: Sendable, Equatable {
    var subject: String
    var text: String
    var html: String
    /// The language of the templates used (the recipient's, or English when it has none).
    var language: String
}

/// A template that did not load: the file, the line and what is wrong, as the operator must fix it.
struct TemplateError: Error, CustomStringConvertible {
    var file: String
    var line: Int
    var message: String
    var description: String { "\(file):\(line): \(message)" }
}

/// The templates by topic and language, shipped ones overridden part by part by the files of a directory, each
/// parsed and checked against what it will be given when loaded, so that a mistake shows at start-up and not at
/// 3 a.m. Subjects and text bodies are plain text; HTML bodies escape every variable (`{{name}}`).
struct MessageTemplates: Sendable {
    struct Compiled: Sendable {
        var subject: MustacheTemplate
        var text: MustacheTemplate
        var html: MustacheTemplate
    }

    /// The events that have templates of their own, and so a schema to check them against.
    static let events: [String: any Event.Type] = [
        MeetingReminderDue.topic.rawValue: MeetingReminderDue.self,
        MeetingScheduled.topic.rawValue: MeetingScheduled.self,
        MeetingUpdated.topic.rawValue: MeetingUpdated.self,
        AccessionApplied.topic.rawValue: AccessionApplied.self,
        AccessionAccepted.topic.rawValue: AccessionAccepted.self,
        AccessionRejected.topic.rawValue: AccessionRejected.self,
        ShortlistChanged.topic.rawValue: ShortlistChanged.self,
        MatchDecided.topic.rawValue: MatchDecided.self,
    ]

    private(set) var compiled: [String: [String: Compiled]] = [:]

    /// The shipped templates with the files of `directory` over them.
    static func load(directory: String?) throws -> MessageTemplates {
        var sources: [String: [String: [String: (text: String, file: String)]]] = [:]
        for (topic, languages) in ShippedTemplates.all {
            for (language, parts) in languages {
                let origin = "shipped \(topic).\(language)"
                sources[topic, default: [:]][language] = [
                    "subject": (parts.subject, origin + ".subject"), "text": (parts.text, origin + ".text"),
                    "html": (parts.html, origin + ".html"),
                ]
            }
        }
        if let directory, FileManager.default.fileExists(atPath: directory) {
            for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            where name.hasSuffix(".mustache") {
                let path = (directory as NSString).appendingPathComponent(name)
                let parts = name.dropLast(".mustache".count).split(separator: ".").map(String.init)
                guard parts.count >= 3, ["subject", "text", "html"].contains(parts[parts.count - 1]) else {
                    throw TemplateError(
                        file: path, line: 1,
                        message: "expected a name <topic>.<language>.<subject|text|html>.mustache")
                }
                let topic = parts[0..<(parts.count - 2)].joined(separator: ".")
                guard topic == "default" || topic == "digest" || events[topic] != nil else {
                    throw TemplateError(
                        file: path, line: 1,
                        message:
                            "no templates are made for \(topic); expected default, digest or one of \(events.keys.sorted().joined(separator: ", "))"
                    )
                }
                let text = try String(contentsOfFile: path, encoding: .utf8)
                sources[topic, default: [:]][parts[parts.count - 2], default: [:]][parts[parts.count - 1]] = (
                    text, path
                )
            }
        }
        var templates = MessageTemplates()
        for (topic, languages) in sources {
            let data = schema(of: topic)
            for (language, parts) in languages {
                // A language given only in part takes the rest from English.
                let english = sources[topic]?["en"] ?? sources["default"]!["en"]!
                func part(_ name: String) throws -> MustacheTemplate {
                    let (text, file) = parts[name] ?? english[name]!
                    return try compile(text, file: file, html: name == "html", data: data)
                }
                templates.compiled[topic, default: [:]][language] = Compiled(
                    subject: try part("subject"), text: try part("text"), html: try part("html"))
            }
        }
        return templates
    }

    static func compile(_ text: String, file: String, html: Bool, data: JSONValue) throws -> MustacheTemplate {
        let template: MustacheTemplate
        do {
            template = try MustacheTemplate(string: html ? text : "{{%CONTENT_TYPE:TEXT}}" + text)
        } catch let error as MustacheTemplate.ParserError {
            throw TemplateError(
                file: file, line: error.context.lineNumber,
                message: "\(error.error) near \"\(error.context.line.trimmingCharacters(in: .whitespaces))\"")
        }
        if let unknown = TemplateVariables.unknown(in: text, data: data).first {
            throw TemplateError(
                file: file, line: unknown.line,
                message: "unknown variable \"\(unknown.name)\"; the event's fields are in system.catalog")
        }
        return template
    }

    /// What a template of `topic` is given, as a JSON Schema.
    static func schema(of topic: String) -> JSONValue {
        func object(_ properties: JSONObject) -> JSONValue {
            .object(["type": "object", "properties": .object(properties), "additionalProperties": false])
        }
        let string: JSONValue = .object(["type": "string"])
        let recipient = object(["name": string, "language": string, "time_zone": string])
        if topic == "digest" {
            let entry = object([
                "topic": string, "seq": .object(["type": "integer"]), "time": string, "local_time": string,
                "subject": string, "text": string,
            ])
            return object([
                "recipient": recipient, "count": .object(["type": "integer"]), "local_time": string,
                "unsubscribe": string, "entries": .object(["type": "array", "items": entry]),
            ])
        }
        return object([
            "topic": string, "seq": .object(["type": "integer"]), "time": string, "local_time": string,
            "source": string, "recipient": recipient, "unsubscribe": string,
            "event": events[topic].map { eventSchema($0) } ?? TemplateVariables.anything,
        ])
    }

    private static func eventSchema<E: Event>(_ type: E.Type) -> JSONValue { JSONSchema.of(type) }

    /// Renders `topic` in `language`, falling back to English, then to the `default` templates.
    func render(topic: String, language: String, data: [String: Any]) -> RenderedMessage {
        let (set, used) = templates(topic: topic, language: language)
        let subject = set.subject.render(data).split(whereSeparator: \.isNewline).joined(separator: " ")
        return RenderedMessage(
            subject: subject.trimmingCharacters(in: .whitespaces), text: set.text.render(data),
            html: set.html.render(data), language: used)
    }

    func templates(topic: String, language: String) -> (Compiled, String) {
        let primary = language.split(separator: "-").first.map(String.init) ?? language
        for key in [topic, "default"] {
            guard let languages = compiled[key] else { continue }
            if let set = languages[language] { return (set, language) }
            if let set = languages[primary] { return (set, primary) }
            if let set = languages["en"] { return (set, "en") }
        }
        return (compiled["default"]!["en"]!, "en")
    }
}

extension JSONValue {
    /// The value as Mustache reads it: dictionaries, arrays, strings, numbers and booleans; null as absent.
    var mustache: Any? {
        switch self {
        case .null: return nil
        case .bool(let value): return value
        case .int(let value): return value
        case .double(let value): return value
        case .string(let value): return value
        case .array(let values): return values.compactMap(\.mustache)
        case .object(let members):
            return Dictionary(
                uniqueKeysWithValues: members.compactMap { key, value in value.mustache.map { (key, $0) } })
        }
    }
}
