import Contracts
import Foundation
import NIOSSL

/// Email over SMTP: the rendered message as MIME, sent with ``SMTPClient``. A 4xx or a failed connection is
/// retried; a 5xx is permanent and dead-letters the delivery.
struct EmailCourier: Courier {
    let settings: SMTPSettings
    let secrets: SecretFiles
    let unsubscribe: String?
    let client: SMTPClient

    init(settings: SMTPSettings, secrets: SecretFiles, unsubscribe: String?) throws {
        self.settings = settings
        self.secrets = secrets
        self.unsubscribe = unsubscribe
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = settings.caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw SecretError("modules.notifications.smtp.ca_file: cannot read \(caFile)")
            }
            tls.additionalTrustRoots = [.file(caFile)]
        }
        client = SMTPClient(
            host: settings.host, port: settings.port, startTLS: settings.startTLS, tls: tls, helo: settings.helo)
    }

    /// The `List-Unsubscribe` URI: the operator's `mailto:` (the sender's address by default), with a subject
    /// naming the subscription unless the URI has its own.
    static func unsubscribe(_ mailto: String, _ subscription: String) -> String {
        guard !mailto.contains("?") else { return mailto }
        let name =
            subscription.addingPercentEncoding(
                withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? subscription
        return mailto + "?subject=unsubscribe%20" + name
    }

    func lane(of recipient: Recipient) -> String { "smtp:\(settings.host)" }

    func shutdown() async {}

    func deliver(_ message: OutgoingMessage) async -> DeliveryOutcome {
        guard let address = message.recipient.email else {
            return .permanent("recipient \(message.recipient.id) has no email")
        }
        let mime = MIMEMessage(
            from: settings.from, toName: message.recipient.name, toAddress: address, subject: message.subject,
            text: message.text, html: message.html, messageID: message.messageID, date: message.queuedAt,
            listUnsubscribe: Self.unsubscribe(unsubscribe ?? "mailto:\(settings.from)", message.subscription))
        let secrets = self.secrets
        let passwordFile = settings.passwordFile
        do {
            let reply = try await client.send(
                SMTPClient.Envelope(from: settings.from, to: address, message: mime.rendered()),
                username: settings.username,
                password: { try passwordFile.map { try secrets.read($0) } })
            return .sent(reply.description)
        } catch let error as SMTPError {
            return error.kind == .permanent ? .permanent(error.description) : .retry(error.description, after: nil)
        } catch {
            return .retry("\(error)", after: nil)
        }
    }
}
