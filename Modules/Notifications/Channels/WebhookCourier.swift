import AsyncHTTPClient
import Contracts
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Webhooks as the Standard Webhooks specification signs them: `webhook-id` (the delivery's key, the same on
/// every retry), `webhook-timestamp` (seconds), and `webhook-signature`, `v1,<base64 HMAC-SHA256>` of
/// `id.timestamp.body` under each of the recipient's `whsec_` secrets, space-separated, so an endpoint rotating
/// its secret accepts either. Only a 2xx is success; redirects are not followed; 410 Gone disables the
/// endpoint; 429 and 503 with `Retry-After` wait at least that long; every attempt gives up after 15 s.
struct WebhookCourier: Courier {
    let client: WebhookClient
    let secrets: SecretFiles
    let clock: @Sendable () -> Date
    static let timeout: Int64 = 15

    init(secrets: SecretFiles, clock: @escaping @Sendable () -> Date) {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(Self.timeout), read: .seconds(Self.timeout)))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 32
        client = WebhookClient(configuration: configuration)
        self.secrets = secrets
        self.clock = clock
    }

    func lane(of recipient: Recipient) -> String {
        guard let url = recipient.fields.webhook.flatMap({ URL(string: $0.url) }) else { return "webhook" }
        return "webhook:\(url.host ?? ""):\(url.port ?? 0)"
    }

    func shutdown() async { await client.shutdown() }

    func deliver(_ message: OutgoingMessage) async -> DeliveryOutcome {
        guard let target = message.recipient.fields.webhook else {
            return .permanent("recipient \(message.recipient.id) has no webhook")
        }
        if message.recipient.webhookDisabled {
            return .permanent("the webhook answered 410 Gone before; set the recipient again to enable it")
        }
        let keys: [[UInt8]]
        do {
            keys = try target.secretFiles.map { try Self.key(fromSecret: secrets.read($0)) }
        } catch {
            return .retry("\(error)", after: nil)
        }
        let timestamp = Int64(clock().timeIntervalSince1970)
        var request = HTTPClientRequest(url: target.url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "concordd")
        request.headers.add(name: "webhook-id", value: message.messageID)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(
            name: "webhook-signature",
            value: Self.signatures(id: message.messageID, timestamp: timestamp, body: message.body, keys: keys))
        request.body = .bytes(ByteBuffer(string: message.body))
        do {
            let response = try await client.made().execute(request, timeout: .seconds(Self.timeout))
            // Read (at most 64 KiB of) the body so the connection can be reused.
            _ = try? await response.body.collect(upTo: 65_536)
            let status = response.status.code
            let detail = "HTTP \(status)"
            switch status {
            case 200..<300: return .sent(detail)
            case 410: return .gone(detail)
            case 429, 503:
                let after = response.headers.first(name: "retry-after").flatMap(Self.retryAfter)
                return .retry(detail, after: after)
            default: return .retry(detail, after: nil)
            }
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return .retry("timed out after \(Self.timeout) s", after: nil)
        } catch {
            return .retry("\(error)", after: nil)
        }
    }

    /// The key of a `whsec_` secret: the base64 after the prefix.
    static func key(fromSecret secret: String) throws -> [UInt8] {
        let trimmed = secret.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("whsec_"), let key = Data(base64Encoded: String(trimmed.dropFirst(6))), !key.isEmpty
        else {
            throw SecretError("expected a secret of the form whsec_<base64>")
        }
        return Array(key)
    }

    /// `v1,<signature>` under each key, space-separated.
    static func signatures(id: String, timestamp: Int64, body: String, keys: [[UInt8]]) -> String {
        let signed = Data("\(id).\(timestamp).\(body)".utf8)
        return keys.map { key in
            let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key))
            return "v1," + Data(code).base64EncodedString()
        }.joined(separator: " ")
    }

    /// `Retry-After` as seconds: delta-seconds or an HTTP date.
    static func retryAfter(_ value: String) -> Double? {
        if let seconds = Double(value.trimmingCharacters(in: .whitespaces)) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }
}

/// The HTTP client, made when the first webhook goes: a daemon that sends none starts no event loop for it and
/// keeps its code out of memory.
final class WebhookClient: Sendable {
    private let configuration: HTTPClient.Configuration
    private let client = Mutex<HTTPClient?>(nil)

    init(configuration: HTTPClient.Configuration) { self.configuration = configuration }

    func made() -> HTTPClient {
        client.withLock { client in
            if let client { return client }
            let made = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            client = made
            return made
        }
    }

    func shutdown() async {
        guard let client = client.withLock({ $0 }) else { return }
        try? await client.shutdown()
    }
}
