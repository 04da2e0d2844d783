import Foundation
public import Logging

/// Everything a running plugin is given: its command handlers, the bus, its store, a clock, a logger and its
/// configuration section, as a built-in module's ``ModuleContext`` has them.
public struct PluginContext: Sendable {
    public let name: String
    public let clock: any WallClock
    public let logger: Logger
    public let configuration: ModuleConfiguration
    public let store: any PluginStore
    /// The tasks the plugin started; they are ended when it stops.
    public let tasks: ModuleTasks
    /// What the plugin adds to its entry in `system.status`.
    public let statusReport: ModuleStatusReport
    let namespaces: [String]
    let backend: any PluginBackend

    init(
        name: String, clock: any WallClock, logger: Logger, configuration: ModuleConfiguration, store: any PluginStore,
        namespaces: [String], backend: any PluginBackend, tasks: ModuleTasks = ModuleTasks(),
        statusReport: ModuleStatusReport = ModuleStatusReport()
    ) {
        self.name = name
        self.clock = clock
        self.logger = logger
        self.configuration = configuration
        self.store = store
        self.namespaces = namespaces
        self.backend = backend
        self.tasks = tasks
        self.statusReport = statusReport
    }

    /// Registers this plugin as the one handler of `type`, as ``ModuleContext/handle(_:runsOn:_:)`` does.
    ///
    /// Throws when `type`'s topic is outside the plugin's namespaces or another module handles it already.
    public func handle<C: Command>(
        _ type: C.Type, runsOn execution: CommandExecution = .pool, _ handler: @escaping CommandHandler<C>
    ) throws {
        try ModuleDescriptor.checkHandles(C.topic, by: name, kind: "plugin", namespaces: namespaces)
        try backend.register(type, execution: execution, handler: handler)
    }

    /// Sends a command to whichever module handles it: a built-in one, or another plugin.
    public func send<C: Command>(_ command: C) async throws -> C.Reply {
        try await backend.send(command)
    }

    /// Journals `event` and delivers it after commit; returns once it is durable.
    public func publish<E: Event>(_ event: E) async throws {
        try await store.write { transaction in try transaction.emit(event) }
    }

    /// Runs `handler` for every event whose topic starts with `prefix`, in publication order, with its payload as
    /// JSON (decode it with `JSONValueDecoder` into the event's type from `Contracts`).
    ///
    /// A handler that throws is logged with the event's `seq` and topic; the next event is handled as usual.
    public func on(prefix: String, _ handler: @escaping @Sendable (Envelope<JSONValue>) async throws -> Void) {
        let logger = self.logger
        backend.subscribe(prefix: prefix, tasks: tasks) { envelope in
            do {
                try await handler(envelope)
            } catch {
                logger.error(
                    "handler failed; the plugin goes on with the next event",
                    metadata: [
                        "topic": "\(envelope.topic)", "seq": "\(envelope.seq.map(String.init) ?? "-")",
                        "error": "\(error)",
                    ])
            }
        }
    }
}

/// Where a plugin's context sends what it registers and asks: the daemon's bus directly (``BuiltInPlugin``) or
/// across the C boundary (``PluginExport``).
protocol PluginBackend: Sendable {
    func register<C: Command>(_ type: C.Type, execution: CommandExecution, handler: @escaping CommandHandler<C>) throws
    func send<C: Command>(_ command: C) async throws -> C.Reply
    func subscribe(
        prefix: String, tasks: ModuleTasks, _ handler: @escaping @Sendable (Envelope<JSONValue>) async -> Void)
}
