public import Bus
public import ConcordKit
public import Foundation
import Logging
import Synchronization

/// A real ``Runtime`` on a temporary store with a ``TestClock``: what module tests run against.
///
/// The store survives ``restart(modules:)``, so tests can check what is durable.
public final class TestHarness: Sendable {
    public let directory: URL
    public let clock: TestClock
    public let logs: LogCapture
    private let box: RuntimeBox

    /// Creates a temporary data directory and starts a runtime with `modules` on it.
    public init(
        modules: [any Module],
        clock: TestClock = TestClock(),
        options: (inout RuntimeOptions) -> Void = { _ in }
    ) async throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("concord-test-\(UUID().uuidString)", isDirectory: true)
        self.clock = clock
        self.logs = LogCapture()
        var runtimeOptions = RuntimeOptions(dataDirectory: directory.path)
        options(&runtimeOptions)
        box = RuntimeBox(try Self.makeRuntime(modules: modules, options: runtimeOptions, clock: clock, logs: logs))
        await runtime.start()
    }

    private static func makeRuntime(
        modules: [any Module],
        options: RuntimeOptions,
        clock: TestClock,
        logs: LogCapture
    ) throws -> Runtime {
        try Runtime(modules: modules, options: options, clock: clock, logger: logs.logger(label: "concordd"))
    }

    public var runtime: Runtime { box.runtime }
    public var bus: LocalMessageBus { runtime.bus }
    public var journal: Journal { runtime.journal }

    /// Sends a command as an external client would, optionally with an idempotency key.
    public func send<C: Command>(_ command: C, idempotencyKey: String? = nil, requestID: String? = nil) async throws
        -> C.Reply
    {
        try await bus.send(command, context: CommandContext(requestID: requestID, idempotencyKey: idempotencyKey))
    }

    /// Every journaled event after `seq`.
    public func journaled(after seq: UInt64 = 0, prefixes: [String]? = nil) async throws -> [Envelope<JSONValue>] {
        try await journal.replay(after: seq, prefixes: prefixes, limit: 1_000_000)
    }

    /// Stops the runtime gracefully and starts a new one with `modules` on the same store.
    public func restart(modules: [any Module]) async throws {
        await runtime.shutdown()
        let next = try Self.makeRuntime(modules: modules, options: runtime.options, clock: clock, logs: logs)
        box.replace(with: next)
        await next.start()
    }

    /// Stops the runtime and deletes the temporary directory.
    public func close() async {
        await runtime.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}

private final class RuntimeBox: Sendable {
    private let current: Mutex<Runtime>

    init(_ runtime: Runtime) { current = Mutex(runtime) }

    var runtime: Runtime { current.withLock { $0 } }

    func replace(with runtime: Runtime) { current.withLock { $0 = runtime } }
}
