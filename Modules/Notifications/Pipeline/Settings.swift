import ConcordKit
import Foundation

/// The module's settings, `modules.notifications.*`; lists are comma-separated.
struct Settings: Sendable {
    /// Hosts webhooks may be sent to (`webhook_hosts`): an operator allowlist against SSRF. Empty: none.
    var webhookHosts: Set<String>
    /// Topic prefixes that go through quiet hours (`urgent_topics`).
    var urgentTopics: [String]
    /// Files overriding the shipped templates (`templates_directory`).
    var templatesDirectory: String?
    /// Where relative secret file names are found when `$CREDENTIALS_DIRECTORY` is not set (`secrets_directory`).
    var secretsDirectory: String?
    /// The `mailto:` every email's `List-Unsubscribe` names (`list_unsubscribe`).
    var listUnsubscribe: String?
    /// Attempts running at once (`max_in_flight`), and at once to one host (`max_in_flight_per_host`).
    var maxInFlight: Int
    var maxInFlightPerHost: Int
    /// Deliveries that may wait for one recipient (`max_queue_per_recipient`); past it, new ones are dead letters.
    var maxQueuePerRecipient: Int
    var smtp: SMTPSettings?

    init(_ configuration: ModuleConfiguration) throws {
        func list(_ key: String) -> [String] {
            configuration.string(key, default: "").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty }
        }
        webhookHosts = Set(list("webhook_hosts").map { $0.lowercased() })
        urgentTopics = list("urgent_topics")
        templatesDirectory = configuration.values["templates_directory"]
        secretsDirectory = configuration.values["secrets_directory"]
        listUnsubscribe = configuration.values["list_unsubscribe"]
        if let unsubscribe = listUnsubscribe, !unsubscribe.hasPrefix("mailto:") {
            throw ConcordError.badRequest(
                "modules.notifications.list_unsubscribe: expected a mailto: URI, got \"\(unsubscribe)\"")
        }
        maxInFlight = try configuration.int("max_in_flight", default: 128)
        maxInFlightPerHost = try configuration.int("max_in_flight_per_host", default: 32)
        maxQueuePerRecipient = try configuration.int("max_queue_per_recipient", default: 10_000)
        guard maxInFlight >= 1, maxInFlightPerHost >= 1, maxQueuePerRecipient >= 1 else {
            throw ConcordError.badRequest(
                "modules.notifications.max_in_flight, max_in_flight_per_host and max_queue_per_recipient: expected at least 1"
            )
        }
        smtp = try SMTPSettings(configuration)
    }
}

/// `modules.notifications.smtp.*`: where and how email is sent. Absent `smtp.host`: no email.
struct SMTPSettings: Sendable {
    var host: String
    var port: Int
    /// STARTTLS is required unless `smtp.starttls` is `off`, which only a loopback host may use.
    var startTLS: Bool
    /// A PEM file of certificates to trust besides the system's (`smtp.ca_file`), for a private server.
    var caFile: String?
    var username: String?
    /// The file holding the password (`smtp.password_file`), read as a secret.
    var passwordFile: String?
    /// The envelope and `From:` address.
    var from: String
    /// The name the client gives in EHLO (`smtp.helo`).
    var helo: String

    init?(_ configuration: ModuleConfiguration) throws {
        guard let host = configuration.values["smtp.host"] else { return nil }
        self.host = host
        port = try configuration.int("smtp.port", default: 587)
        let mode = configuration.string("smtp.starttls", default: "required")
        switch mode {
        case "required": startTLS = true
        case "off":
            guard ["127.0.0.1", "localhost", "::1"].contains(host) else {
                throw ConcordError.badRequest(
                    "modules.notifications.smtp.starttls: off is allowed for a loopback host only, not \"\(host)\"")
            }
            startTLS = false
        default:
            throw ConcordError.badRequest(
                "modules.notifications.smtp.starttls: expected required or off, got \"\(mode)\"")
        }
        caFile = configuration.values["smtp.ca_file"]
        username = configuration.values["smtp.username"]
        passwordFile = configuration.values["smtp.password_file"]
        guard let from = configuration.values["smtp.from"], Addresses.isEmail(from) else {
            throw ConcordError.badRequest(
                "modules.notifications.smtp.from: expected the sender's email address, such as secretariat@example.org")
        }
        self.from = from
        helo = configuration.string("smtp.helo", default: "localhost")
    }
}

/// Address checks shared by commands and settings.
enum Addresses {
    /// A plain `local@domain` address (RFC 5321's dot-atom forms; no quoted local parts, no comments).
    static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64, text.utf8.count <= 254 else {
            return false
        }
        let atom = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-")
        let local = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard local.allSatisfy({ !$0.isEmpty && $0.allSatisfy(atom.contains) }) else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2
            && labels.allSatisfy { label in
                !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                    && label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
            }
    }
}
