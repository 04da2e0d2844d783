import Bus
import ConcordKit
import ConcordTesting
import Foundation
import Gateway
import Logging
import Synchronization
import Testing
import ZeroMQ

/// The command endpoint over real `ipc://` sockets, with handlers that fail, suspend and run long.
@Suite struct GatewayCommandTests {
    struct Explode: Command {
        static let topic: Topic = "test.explode"
        typealias Reply = Empty
        static var isMutating: Bool { false }
    }

    struct Find: Command {
        static let topic: Topic = "test.find"
        typealias Reply = Empty
        static var isMutating: Bool { false }
        var id: String
    }

    struct Held: Command {
        static let topic: Topic = "test.held"
        typealias Reply = Empty
        static var isMutating: Bool { false }
    }

    struct Empty: Codable, Sendable {}

    /// Holds `test.held` handlers suspended until the test releases them (from another task).
    final class Latch: Sendable {
        private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

        func wait() async {
            await withCheckedContinuation { continuation in
                let open = state.withLock { state in
                    if !state.open { state.waiters.append(continuation) }
                    return state.open
                }
                if open { continuation.resume() }
            }
        }

        func open() {
            let waiters = state.withLock { state in
                state.open = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }

        var waiting: Int { state.withLock { $0.waiters.count } }
    }

    struct Failure: Error {
        let secret = "stack-frame-0xdeadbeef"
    }

    final class Fixture {
        let directory: URL
        let bus = LocalMessageBus()
        let latch = Latch()
        let logs = LogCapture()
        let gateway: Gateway
        let context: ZMQContext

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("gw-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try bus.register(Explode.self, module: "test", execution: .inline) { _, _ in throw Failure() }
            try bus.register(Find.self, module: "test", execution: .inline) { find, _ in
                throw ConcordError.notFound("no actor with id \"\(find.id)\"")
            }
            try bus.register(Held.self, module: "test", execution: .inline) { [latch] _, _ in
                // Suspends and is resumed from another thread, as a journal commit resumes a write.
                await latch.wait()
                return Empty()
            }
            gateway = try Gateway(
                options: GatewayOptions(
                    eventsEndpoint: "ipc://\(directory.path)/events",
                    commandsEndpoint: "ipc://\(directory.path)/commands"
                ),
                bus: bus,
                headSeq: { 0 },
                logger: logs.logger()
            )
            try gateway.start()
            context = try ZMQContext()
        }

        func dealer() throws -> ZMQSocket {
            let socket = try context.socket(.dealer)
            try socket.set(ZMQOption.receiveTimeout, Int32(5000))
            try socket.set(ZMQOption.linger, Int32(0))
            try socket.connect(gateway.endpoints!.commands)
            return socket
        }

        /// Waits (without a deadline that could make the test flaky) until `count` handlers are held.
        func held(_ count: Int) async throws {
            while latch.waiting < count { try await Task.sleep(for: .milliseconds(5)) }
        }

        func call(_ socket: ZMQSocket, _ request: String) throws -> JSONValue {
            try socket.send([Array(request.utf8)])
            let reply = try #require(try socket.receive(), "no reply within 5 s to \(request)")
            return try #require(JSONValue.parse(reply.frames.last!))
        }

        deinit {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    @Test func aHandlerThatThrowsAnUnexpectedErrorIsAnsweredInternalWithTheRequestID() async throws {
        let fixture = try Fixture()
        let reply = try fixture.call(try fixture.dealer(), #"{"id": "c-9", "command": "test.explode"}"#)
        #expect(reply["ok"] == .bool(false))
        #expect(reply["error"]?["code"] == "internal")
        let message = try #require(reply["error"]?["message"]?.stringValue)
        #expect(message.contains("c-9"))
        #expect(!message.contains("deadbeef"), "the reply must not leak the error's contents")
        #expect(fixture.logs.all.contains { $0.level == .error && $0.metadata["request_id"] == "c-9" })
        await fixture.gateway.stop()
    }

    @Test func aHandlersConcordErrorReachesTheClientUnchanged() async throws {
        let fixture = try Fixture()
        let reply = try fixture.call(
            try fixture.dealer(), #"{"id": 4, "command": "test.find", "args": {"id": "vientiane"}}"#)
        #expect(reply["id"] == .int(4))
        #expect(reply["error"]?["code"] == "not_found")
        #expect(reply["error"]?["message"] == #"no actor with id "vientiane""#)
        await fixture.gateway.stop()
    }

    @Test func aSuspendedCommandDoesNotHoldUpOtherClients() async throws {
        let fixture = try Fixture()
        let held = try fixture.dealer()
        try held.send([Array(#"{"id": "h", "command": "test.held"}"#.utf8)])
        try await fixture.held(1)
        let other = try fixture.call(try fixture.dealer(), #"{"id": "f", "command": "test.find", "args": {"id": "x"}}"#)
        #expect(other["id"] == "f")
        fixture.latch.open()
        let reply = try #require(try held.receive())
        let value = try #require(JSONValue.parse(reply.frames.last!))
        #expect(value["id"] == "h")
        #expect(value["ok"] == .bool(true))
        await fixture.gateway.stop()
    }

    @Test func stoppingWithACommandInFlightStillAnswersIt() async throws {
        let fixture = try Fixture()
        let client = try fixture.dealer()
        try client.send([Array(#"{"id": "h", "command": "test.held"}"#.utf8)])
        try await fixture.held(1)
        async let stopped: Void = fixture.gateway.stop()
        try await Task.sleep(for: .milliseconds(20))
        fixture.latch.open()
        await stopped
        let reply = try #require(try client.receive(), "the in-flight command was not answered before the stop")
        #expect(JSONValue.parse(reply.frames.last!)?["ok"] == .bool(true))
    }
}
