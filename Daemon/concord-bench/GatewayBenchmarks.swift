import Bus
import ConcordKit
import Contracts
import Foundation
import Gateway
import Logging
import Synchronization
import ZeroMQ

/// CWP/1 over tcp loopback, each measured against raw libzmq with the same message sizes in the same run.
enum GatewayBenchmarks {
    static let silent = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }

    struct Curve {
        let server: ZMQCurveKeyPair
        let client: ZMQCurveKeyPair
        let allowlist: String

        static func make() throws -> Curve {
            let server = try ZMQCurveKeyPair.generate()
            let client = try ZMQCurveKeyPair.generate()
            let path = FileManager.default.temporaryDirectory.appendingPathComponent(
                "bench-allowlist-\(UUID().uuidString)"
            ).path
            try "\(client.publicKey) admin bench\n".write(toFile: path, atomically: true, encoding: .utf8)
            return Curve(server: server, client: client, allowlist: path)
        }

        var security: GatewaySecurity { .curve(serverSecretKey: server.secretKey, allowlistPath: allowlist) }

        func secureClient(_ socket: ZMQSocket) throws {
            try socket.setCurveKey(ZMQOption.curveServerKey, z85: server.publicKey)
            try socket.setCurveKey(ZMQOption.curvePublicKey, z85: client.publicKey)
            try socket.setCurveKey(ZMQOption.curveSecretKey, z85: client.secretKey)
        }

        func secureServer(_ socket: ZMQSocket) throws {
            try socket.set(ZMQOption.curveServer, Int32(1))
            try socket.setCurveKey(ZMQOption.curveSecretKey, z85: server.secretKey)
        }
    }

    // MARK: Events

    /// A payload that makes the envelope about 300 bytes.
    static let payload = Data(
        #"{"actor_id":"c1a7e0f2-5b1d-4c53-9a6e-2f1b7c9d8e01","network":"UMCI","role":"member","since":"2024-02-27"}"#
            .utf8
    )

    static let topic: Topic = "registry.membership.created"

    /// An event as the journal hands it over: the topic is the event type's, already validated.
    static func committed(_ seq: UInt64) -> CommittedEvent {
        CommittedEvent(
            envelope: Envelope<any Event>(
                seq: seq,
                topic: topic,
                time: Date(),
                source: "registry",
                correlationID: "c-\(seq)",
                payload: NoteRecorded(text: "", by: "")
            ),
            payloadJSON: payload
        )
    }

    /// Counts messages on a SUB socket on its own thread until `count` arrived or nothing came for a second.
    final class Counter: @unchecked Sendable {
        // @unchecked Sendable: `received` and `finished` are written by the counting thread before `done` is
        // signalled and read only after waiting on it.
        let done = DispatchSemaphore(value: 0)
        let ready = DispatchSemaphore(value: 0)
        var received = 0
        var finished = ContinuousClock.now

        init(context: ZMQContext, endpoint: String, count: Int, curve: Curve?) {
            Thread { [self] in
                do {
                    let socket = try context.socket(.sub)
                    try socket.set(ZMQOption.receiveHighWaterMark, Int32(0))
                    try curve?.secureClient(socket)
                    try socket.connect(endpoint)
                    try socket.set(ZMQOption.subscribe, bytes: Array("registry.".utf8))
                    try socket.set(ZMQOption.receiveTimeout, Int32(1000))
                    ready.signal()
                    while received < count {
                        guard try socket.receive() != nil else { break }
                        received += 1
                        finished = ContinuousClock.now
                    }
                    socket.close()
                } catch {
                    ready.signal()
                }
                done.signal()
            }.start()
            ready.wait()
        }
    }

    /// Events per second delivered, and the share of the events sent that arrived (PUB drops past its HWM).
    static func eventsThroughGateway(count: Int, curve: Curve?) async throws -> (rate: Double, delivered: Double) {
        let gateway = try Gateway(
            options: GatewayOptions(
                eventsEndpoint: "tcp://127.0.0.1:*",
                commandsEndpoint: "tcp://127.0.0.1:*",
                security: curve?.security ?? .none,
                heartbeatInterval: .seconds(60),
                // No high-water mark on either side, so both deliver every event and the rates compare.
                eventsHighWaterMark: 0
            ),
            bus: LocalMessageBus(),
            headSeq: { 0 },
            logger: silent
        )
        try gateway.start()
        let context = try ZMQContext()
        let counter = Counter(context: context, endpoint: gateway.endpoints!.events, count: count, curve: curve)
        try await Task.sleep(for: .milliseconds(300))
        let start = ContinuousClock.now
        var seq: UInt64 = 0
        while seq < UInt64(count) {
            let batch = (0..<512).map { committed(seq + UInt64($0) + 1) }
            seq += 512
            // Back-pressure from the gateway's queue, as the journal's dispatcher would feel it.
            while gateway.pendingEvents > 50_000 { await Task.yield() }
            gateway.publish(batch)
        }
        counter.done.wait()
        let rate = Double(counter.received) / (counter.finished - start).seconds
        await gateway.stop()
        return (rate, Double(counter.received) / Double(count))
    }

    static func eventsRaw(count: Int, curve: Curve?) throws -> (rate: Double, delivered: Double) {
        let context = try ZMQContext()
        let publisher = try context.socket(.pub)
        try publisher.set(ZMQOption.sendHighWaterMark, Int32(0))
        try curve?.secureServer(publisher)
        try publisher.bind("tcp://127.0.0.1:*")
        let counter = Counter(context: context, endpoint: publisher.lastEndpoint, count: count, curve: curve)
        Thread.sleep(forTimeInterval: 0.3)
        let topic = Array("registry.membership.created".utf8)
        let envelope = WireWriter.envelope(
            seq: 1, id: UUID(), topic: "registry.membership.created", time: Date(), source: "registry",
            correlationID: "c-1", payloadJSON: payload
        )
        let start = ContinuousClock.now
        for _ in 0..<count {
            try topic.withUnsafeBytes { first in try envelope.withUnsafeBytes { try publisher.send(first, $0) } }
        }
        counter.done.wait()
        publisher.close()
        return (Double(counter.received) / (counter.finished - start).seconds, Double(counter.received) / Double(count))
    }

    static func envelopeSize() -> Int {
        WireWriter.envelope(
            seq: 1, id: UUID(), topic: "registry.membership.created", time: Date(), source: "registry",
            correlationID: "c-1", payloadJSON: payload
        ).count
    }

    /// Through the gateway against raw libzmq PUB/SUB with the same frames, in the same run.
    static func events() async throws -> Report {
        let count = 1_000_000
        let baseline = try eventsRaw(count: count, curve: nil)
        let rate = try await eventsThroughGateway(count: count, curve: nil)
        return Report(
            name: "gateway.events_tcp",
            value: rate.rate,
            unit: "events/s delivered to a SUB socket",
            baseline: baseline.rate,
            ratio: rate.rate / baseline.rate,
            target: "ratio >= 0.5 (baseline: raw libzmq PUB/SUB, same frames)",
            extra: [
                "envelope_bytes": Double(envelopeSize()), "events": Double(count),
                "delivered_share": rate.delivered, "baseline_delivered_share": baseline.delivered,
            ]
        )
    }

    /// Through the gateway with CURVE against the gateway without it, in the same run; raw libzmq with CURVE
    /// is reported beside them.
    static func eventsCurve() async throws -> Report {
        let keys = try Curve.make()
        let count = 300_000
        let plain = try await eventsThroughGateway(count: count, curve: nil)
        let rate = try await eventsThroughGateway(count: count, curve: keys)
        let raw = try eventsRaw(count: count, curve: keys)
        return Report(
            name: "gateway.events_tcp_curve",
            value: rate.rate,
            unit: "events/s delivered to a SUB socket with CURVE",
            baseline: plain.rate,
            ratio: rate.rate / plain.rate,
            target: "ratio to the gateway without CURVE (baseline), measured in the same run",
            extra: [
                "envelope_bytes": Double(envelopeSize()), "events": Double(count),
                "delivered_share": rate.delivered, "raw_libzmq_curve": raw.rate,
            ]
        )
    }

    // MARK: Commands

    static func withDaemonParts<T>(curve: Curve?, _ body: (String) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-gw-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let runtime = try Runtime(modules: [], options: RuntimeOptions(dataDirectory: directory.path), logger: silent)
        await runtime.start()
        let gateway = try Gateway(
            options: GatewayOptions(
                eventsEndpoint: "tcp://127.0.0.1:*",
                commandsEndpoint: "tcp://127.0.0.1:*",
                security: curve?.security ?? .none,
                heartbeatInterval: .seconds(60)
            ),
            bus: runtime.bus,
            headSeq: { runtime.journal.headSeq },
            logger: silent
        )
        try gateway.start()
        let result = try await body(gateway.endpoints!.commands)
        await runtime.shutdown()
        await gateway.stop()
        return result
    }

    static let ping = Array(#"{"id":"c-1","command":"system.ping"}"#.utf8)

    static func roundTrips(endpoint: String, count: Int, curve: Curve?) throws -> Double {
        let context = try ZMQContext()
        let socket = try context.socket(.req)
        try curve?.secureClient(socket)
        try socket.connect(endpoint)
        for _ in 0..<200 {
            try socket.send([ping])
            _ = try socket.receive()
        }
        let start = ContinuousClock.now
        for _ in 0..<count {
            try socket.send([ping])
            _ = try socket.receive()
        }
        let rate = Double(count) / (ContinuousClock.now - start).seconds
        socket.close()
        return rate
    }

    /// Raw REQ/REP with the same request and a reply of the same size as `system.ping`'s.
    static func rawRoundTrips(count: Int, curve: Curve?) throws -> Double {
        let context = try ZMQContext()
        let reply = Array(#"{"id":"c-1","ok":true,"result":{"pong":true,"version":"0.1.0"}}"#.utf8)
        let bound = DispatchSemaphore(value: 0)
        let endpoint = Mutex("")
        Thread {
            guard let server = try? context.socket(.rep) else { return }
            try? curve?.secureServer(server)
            try? server.bind("tcp://127.0.0.1:*")
            endpoint.withLock { $0 = server.lastEndpoint }
            bound.signal()
            for _ in 0..<(count + 200) {
                guard (try? server.receive()) != nil else { break }
                try? server.send([reply])
            }
            server.close()
        }.start()
        bound.wait()
        return try roundTrips(endpoint: endpoint.withLock { $0 }, count: count, curve: curve)
    }

    /// One REQ client through the gateway against raw libzmq REQ/REP with the same frames, in the same run.
    static func requests() async throws -> Report {
        let count = 20_000
        let baseline = try rawRoundTrips(count: count, curve: nil)
        let rate = try await withDaemonParts(curve: nil) { try roundTrips(endpoint: $0, count: count, curve: nil) }
        return Report(
            name: "gateway.req_roundtrips",
            value: rate,
            unit: "system.ping round trips/s, one REQ client",
            baseline: baseline,
            ratio: rate / baseline,
            target: "ratio >= 0.6 (baseline: raw libzmq REQ/REP, same frames)",
            extra: ["round_trips": Double(count)]
        )
    }

    /// The same with CURVE, against the gateway without it; raw libzmq REQ/REP with CURVE beside them.
    static func requestsCurve() async throws -> Report {
        let keys = try Curve.make()
        let count = 20_000
        let plain = try await withDaemonParts(curve: nil) { try roundTrips(endpoint: $0, count: count, curve: nil) }
        let rate = try await withDaemonParts(curve: keys) { try roundTrips(endpoint: $0, count: count, curve: keys) }
        let raw = try rawRoundTrips(count: count, curve: keys)
        return Report(
            name: "gateway.req_roundtrips_curve",
            value: rate,
            unit: "system.ping round trips/s, one REQ client with CURVE",
            baseline: plain,
            ratio: rate / plain,
            target: "ratio to the gateway without CURVE (baseline), measured in the same run",
            extra: ["round_trips": Double(count), "raw_libzmq_curve": raw]
        )
    }

    static func pipelined() async throws -> Report {
        let total = 200_000
        let window = 64
        let rate = try await withDaemonParts(curve: nil) { endpoint in
            let context = try ZMQContext()
            let socket = try context.socket(.dealer)
            try socket.set(ZMQOption.sendHighWaterMark, Int32(0))
            try socket.set(ZMQOption.receiveHighWaterMark, Int32(0))
            try socket.connect(endpoint)
            var sent = 0
            var received = 0
            let start = ContinuousClock.now
            while received < total {
                while sent < total && sent - received < window {
                    try socket.send([ping])
                    sent += 1
                }
                _ = try socket.receive()
                received += 1
            }
            let rate = Double(total) / (ContinuousClock.now - start).seconds
            socket.close()
            return rate
        }
        return Report(
            name: "gateway.dealer_pipelined",
            value: rate,
            unit: "system.ping commands/s, one DEALER with 64 in flight",
            target: ">= 100000",
            extra: ["commands": Double(total), "in_flight": Double(window)]
        )
    }
}
