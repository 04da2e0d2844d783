import Bus
import ConcordKit
import Contracts
import Foundation
import Gateway
import Logging
import Synchronization
import ZeroMQ

/// An external module's round trip: a client's command through the gateway to the module's DEALER and back.
enum ExternalBenchmarks {
    /// `echo.ping` from one DEALER client with 64 in flight, routed by the daemon's gateway and hub to an external
    /// module (a DEALER on its own thread, parsing each command and answering it), over tcp loopback. `with_event`
    /// is the same load as a mutating command whose reply carries one event, journaled before the caller is
    /// answered.
    static func roundTrips() async throws -> Report {
        let total = 100_000
        let (query, withEvent) = try await withDaemon { endpoint in
            let module = try EchoModule(endpoint: endpoint)
            defer { module.stop() }
            let query = try pipelined(endpoint: endpoint, command: "echo.ping", total: total)
            let withEvent = try pipelined(endpoint: endpoint, command: "echo.record", total: total / 4)
            return (query, withEvent)
        }
        return Report(
            name: "plugins.external_roundtrips", value: query, unit: "commands/s through an external module",
            target: ">= 20000 with 64 in flight",
            extra: ["commands": Double(total), "in_flight": 64, "with_event": withEvent])
    }

    private static func withDaemon<T>(_ body: (String) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-ext-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let silent = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        let runtime = try Runtime(modules: [], options: RuntimeOptions(dataDirectory: directory.path), logger: silent)
        await runtime.start()
        let gateway = try Gateway(
            options: GatewayOptions(
                eventsEndpoint: "tcp://127.0.0.1:*", commandsEndpoint: "tcp://127.0.0.1:*",
                heartbeatInterval: .seconds(60), maxInFlightPerClient: 128),
            bus: runtime.bus, externals: runtime.externals, headSeq: { runtime.journal.headSeq }, logger: silent)
        try gateway.start()
        try gateway.registerCommands()
        let result = try await body(gateway.endpoints!.commands)
        await runtime.shutdown()
        await gateway.stop()
        return result
    }

    /// Commands per second from one DEALER keeping 64 in flight; every reply must be `ok`.
    private static func pipelined(endpoint: String, command: String, total: Int) throws -> Double {
        let context = try ZMQContext()
        let socket = try context.socket(.dealer)
        try socket.set(ZMQOption.sendHighWaterMark, Int32(0))
        try socket.set(ZMQOption.receiveHighWaterMark, Int32(0))
        try socket.connect(endpoint)
        let request = Array(#"{"id":"c","command":"\#(command)","args":{"n":1}}"#.utf8)
        let ok = Array(#""ok":true"#.utf8)
        func run(_ count: Int) throws -> Double {
            var sent = 0
            var received = 0
            let start = ContinuousClock.now
            while received < count {
                while sent < count && sent - received < 64 {
                    try socket.send([request])
                    sent += 1
                }
                guard let reply = try socket.receive()?.frames.last,
                    reply.firstRange(of: ok) != nil
                else { throw Failure(description: "\(command) was not answered ok") }
                received += 1
            }
            return Double(count) / (ContinuousClock.now - start).seconds
        }
        _ = try run(2_000)
        let rate = try run(total)
        socket.close()
        return rate
    }

    /// An external module answering every command at once, on its own thread.
    private final class EchoModule: Sendable {
        private final class Flag: Sendable {
            let running = Atomic<Bool>(true)
        }

        private let flag = Flag()
        private let finished = DispatchSemaphore(value: 0)

        init(endpoint: String) throws {
            let attached = DispatchSemaphore(value: 0)
            let outcome = Mutex<String?>(nil)
            let flag = self.flag
            let finished = self.finished
            Thread {
                defer { finished.signal() }
                do {
                    let context = try ZMQContext()
                    let socket = try context.socket(.dealer)
                    try socket.set(ZMQOption.sendHighWaterMark, Int32(0))
                    try socket.set(ZMQOption.receiveHighWaterMark, Int32(0))
                    try socket.set(ZMQOption.receiveTimeout, Int32(100))
                    try socket.connect(endpoint)
                    try socket.send([Array(Self.attach.utf8)])
                    guard let reply = try socket.receive()?.frames.last,
                        reply.firstRange(of: Array(#""ok":true"#.utf8)) != nil
                    else {
                        outcome.withLock { $0 = "the echo module could not attach" }
                        attached.signal()
                        return
                    }
                    attached.signal()
                    while flag.running.load(ordering: .relaxed) {
                        guard let message = try? socket.receive()?.frames.last,
                            case .object(let fields)? = JSONValue.parse(message), fields["type"] == "command",
                            case .string(let call)? = fields["call"]
                        else { continue }
                        let events =
                            fields["command"] == "echo.record"
                            ? #","events":[{"topic":"echo.recorded","payload":{"n":1}}]"# : ""
                        try socket.send([
                            Array(#"{"type":"reply","call":"\#(call)","ok":true,"result":{"n":1}\#(events)}"#.utf8)
                        ])
                    }
                    socket.close()
                } catch {
                    outcome.withLock { $0 = "\(error)" }
                    attached.signal()
                }
            }.start()
            attached.wait()
            if let failure = outcome.withLock({ $0 }) { throw Failure(description: failure) }
        }

        func stop() {
            flag.running.store(false, ordering: .relaxed)
            finished.wait()
        }

        static let attach = """
            {"id":"attach","command":"system.module.attach","args":{"name":"echo","version":"1.0.0","heartbeat_ms":60000,\
            "commands":[{"command":"echo.ping","mutating":false},{"command":"echo.record"}],\
            "events":[{"topic":"echo.recorded"}]}}
            """
    }

    private struct Failure: Error, CustomStringConvertible {
        let description: String
    }
}
