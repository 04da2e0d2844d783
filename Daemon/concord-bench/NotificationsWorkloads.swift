import Bus
import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Notifications
import Registry
import Synchronization

/// The notifications module through the bus, delivering to HTTP receivers on loopback run by the benchmark.
enum NotificationsWorkloads {
    /// A runtime with the registry and notifications on a temporary store.
    final class Setup {
        let runtime: Runtime
        let directory: URL

        init(configuration: [String: String] = [:], clock: (any WallClock)? = nil) async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "concord-bench-\(UUID().uuidString)")
            let secrets = directory.appendingPathComponent("secrets")
            try FileManager.default.createDirectory(at: secrets, withIntermediateDirectories: true)
            try "whsec_\(Data("concord-bench-webhook-secret".utf8).base64EncodedString())".write(
                to: secrets.appendingPathComponent("hook.secret"), atomically: true, encoding: .utf8)
            var values = ["webhook_hosts": "127.0.0.1", "secrets_directory": secrets.path]
            values.merge(configuration) { _, new in new }
            let options = RuntimeOptions(
                dataDirectory: directory.appendingPathComponent("data").path,
                moduleConfiguration: ["notifications": values])
            let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
            if let clock {
                runtime = try Runtime(
                    modules: [RegistryModule(), NotificationsModule()], options: options, clock: clock, logger: logger)
            } else {
                runtime = try Runtime(
                    modules: [RegistryModule(), NotificationsModule()], options: options, logger: logger)
            }
            await runtime.start()
        }

        func send<C: Command>(_ command: C) async throws -> C.Reply {
            try await runtime.bus.send(command, context: CommandContext())
        }

        func sendAll<C: Command>(_ commands: [C]) async throws {
            try await concord_bench.sendAll(commands, on: runtime.bus)
        }

        func webhookRecipient(_ id: String, url: String) async throws {
            _ = try await send(
                SetRecipient(
                    id: id,
                    fields: RecipientFields(
                        name: id, webhook: WebhookTarget(url: url, secretFiles: ["hook.secret"]),
                        quietHours: QuietHours(start: "00:00", end: "00:00", weekends: false))))
            _ = try await send(
                Subscribe(
                    fields: SubscriptionFields(recipient: id, topic: "registry.actor.registered", channel: .webhook)))
        }

        func status() async throws -> NotificationsStatus { try await send(GetNotificationsStatus()) }

        /// Polls until `done` holds, every millisecond.
        func wait(until done: (NotificationsStatus) -> Bool) async throws {
            while !(try done(await status())) { try await Task.sleep(for: .milliseconds(1)) }
        }

        func close() async {
            await runtime.shutdown()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// `count` actors registered, 64 commands in flight: one `registry.actor.registered` event each.
    static func register(_ setup: Setup, count: Int, prefix: String) async throws {
        try await setup.sendAll(
            (0..<count).map { RegisterActor(actor: ActorFields(name: "\(prefix) \($0)", kind: .city, country: "LA")) })
    }

    /// `notifications.webhooks`: 5 000 events to one subscribed webhook on a local receiver: each signed, sent,
    /// answered 204 and its outcome journaled; deliveries per second from the first event to the last outcome.
    static func webhooks() async throws -> Report {
        let receiver = try await HTTPReceiver.start(answering: true)
        let setup = try await Setup()
        try await setup.webhookRecipient("dashboard", url: "http://127.0.0.1:\(receiver.port)/hook")
        try await register(setup, count: 200, prefix: "Warm-up")
        try await setup.wait { $0.sent == 200 }
        let count = 5_000
        let began = ContinuousClock.now
        try await register(setup, count: count, prefix: "City")
        try await setup.wait { $0.sent == 200 + count }
        let elapsed = seconds(since: began)
        let journaled = try await setup.runtime.journal.replay(
            after: 0, prefixes: ["notifications.delivery.sent"], limit: 1_000_000
        ).count
        await setup.close()
        try await receiver.close()
        return Report(
            name: "notifications.webhooks", value: Double(count) / elapsed,
            unit: "deliveries/s (events queued, signed, POSTed to a local receiver answering 204, outcome journaled)",
            target: ">= 2000/s",
            extra: ["received": Double(receiver.requests), "journaled_sent": Double(journaled)])
    }

    /// `notifications.fanout_digest`: one event to 10 000 subscribed recipients queued durably, then their daily
    /// digests cut and rendered, on a test clock moved to the cut.
    static func fanoutDigest() async throws -> Report {
        let clock = TestClock(now: Date(timeIntervalSince1970: 1_796_342_400))  // Friday 2026-12-04 00:00 UTC
        let setup = try await Setup(clock: clock)
        let recipients = 10_000
        let zones = ["Asia/Vientiane", "Asia/Tokyo", "Asia/Almaty", "Europe/Moscow", "America/Montevideo"]
        try await setup.sendAll(
            (0..<recipients).map { index in
                SetRecipient(
                    id: "fp-\(index)",
                    fields: RecipientFields(
                        name: "Focal point \(index)", email: "fp\(index)@umci.example.org",
                        language: index % 3 == 0 ? "vi" : "en", timeZone: zones[index % zones.count],
                        quietHours: QuietHours(start: "00:00", end: "00:00", weekends: false)))
            })
        try await setup.sendAll(
            (0..<recipients).map { index in
                Subscribe(
                    fields: SubscriptionFields(
                        recipient: "fp-\(index)", topic: "registry.actor.", channel: .email,
                        cadence: Cadence(every: .daily, at: "08:00")))
            })
        let began = ContinuousClock.now
        _ = try await setup.send(RegisterActor(actor: ActorFields(name: "Huế", kind: .city, country: "VN")))
        try await setup.wait { $0.digest == recipients }
        let fanout = seconds(since: began)
        // Every zone's next 08:00 is within a day.
        let cut = ContinuousClock.now
        clock.advance(to: Date(timeIntervalSince1970: 1_796_342_400 + 24 * 3_600))
        try await setup.wait { $0.digest == 0 }
        let digest = seconds(since: cut)
        await setup.close()
        return Report(
            name: "notifications.fanout_digest", value: fanout * 1000,
            unit: "ms (one event queued durably for 10 000 subscribed recipients)",
            target: "< 1000 ms; daily digests for 10 000 recipients rendered < 2000 ms",
            extra: ["digest_ms": digest * 1000])
    }

    /// `notifications.dead_endpoint`: deliveries per second to eight healthy webhooks, alone and then with a
    /// ninth endpoint that accepts connections and never answers (each attempt to it times out after 15 s), in
    /// the same run, three rounds each, alternating; `ratio` is the median rate with it over the median without.
    static func deadEndpoint() async throws -> Report {
        let healthy = try await HTTPReceiver.start(answering: true)
        let dead = try await HTTPReceiver.start(answering: false)
        func run(withDead: Bool) async throws -> Double {
            let setup = try await Setup()
            for index in 0..<8 {
                try await setup.webhookRecipient("ok-\(index)", url: "http://127.0.0.1:\(healthy.port)/\(index)")
            }
            if withDead { try await setup.webhookRecipient("dead", url: "http://127.0.0.1:\(dead.port)/dead") }
            try await register(setup, count: 50, prefix: "Warm-up")
            try await setup.wait { $0.sent == 400 }
            let events = 600
            let began = ContinuousClock.now
            try await register(setup, count: events, prefix: "City")
            try await setup.wait { $0.sent == 400 + 8 * events }
            let rate = Double(8 * events) / seconds(since: began)
            await setup.close()
            return rate
        }
        // Three rounds each, alternating, so the machine's drift weighs on both sides; medians compared.
        var alone: [Double] = []
        var with: [Double] = []
        for _ in 0..<3 {
            alone.append(try await run(withDead: false))
            with.append(try await run(withDead: true))
        }
        let (baseline, withDead) = (alone.sorted()[1], with.sorted()[1])
        let stalled = dead.connections
        try await healthy.close()
        try await dead.close()
        return Report(
            name: "notifications.dead_endpoint", value: withDead,
            unit:
                "deliveries/s to 8 healthy webhooks while a 9th endpoint never answers (median of 3 alternating rounds)",
            baseline: baseline, ratio: withDead / baseline, target: "ratio >= 0.9",
            extra: [
                "dead_connections": Double(stalled), "ratio_min": with.min()! / alone.max()!,
                "ratio_max": with.max()! / alone.min()!,
            ])
    }
}

/// An HTTP/1.1 server on loopback that answers 204 to every request, or reads and never answers.
final class HTTPReceiver: Sendable {
    let channel: any Channel
    let port: Int
    private let counters: Counters

    var requests: Int { counters.requests.withLock { $0 } }
    var connections: Int { counters.connections.withLock { $0 } }

    final class Counters: Sendable {
        let requests = Mutex(0)
        let connections = Mutex(0)
    }

    private init(channel: any Channel, counters: Counters) {
        self.channel = channel
        self.counters = counters
        port = channel.localAddress?.port ?? 0
    }

    static func start(answering: Bool) async throws -> HTTPReceiver {
        let counters = Counters()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                counters.connections.withLock { $0 += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(answering: answering, counters: counters))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return HTTPReceiver(channel: channel, counters: counters)
    }

    func close() async throws { try await channel.close() }

    final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let answering: Bool
        let counters: Counters

        init(answering: Bool, counters: Counters) {
            self.answering = answering
            self.counters = counters
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data), answering else { return }
            counters.requests.withLock { $0 += 1 }
            var headers = HTTPHeaders()
            headers.add(name: "content-length", value: "0")
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .noContent, headers: headers))),
                promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
