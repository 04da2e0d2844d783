public import Logging
import Synchronization

/// Everything a running module is given: the bus, its store, timers through its store, a clock,
/// a logger and its configuration section.
public struct ModuleContext: Sendable {
    public let name: String
    public let bus: any MessageBus
    public let store: any ModuleStore
    public let clock: any WallClock
    public let logger: Logger
    public let configuration: ModuleConfiguration
    /// The first words of the topics the module owns (its descriptor's ``ModuleDescriptor/namespaces``).
    public let namespaces: [String]
    /// The tasks the context started for the module; the runtime ends them when the module stops.
    public let tasks: ModuleTasks
    /// What the module adds to its entry in `system.status` (its queues, say).
    public let statusReport: ModuleStatusReport

    public init(
        name: String,
        bus: any MessageBus,
        store: any ModuleStore,
        clock: any WallClock,
        logger: Logger,
        configuration: ModuleConfiguration,
        namespaces: [String]? = nil,
        tasks: ModuleTasks = ModuleTasks(),
        statusReport: ModuleStatusReport = ModuleStatusReport()
    ) {
        self.namespaces = namespaces ?? [name]
        self.name = name
        self.bus = bus
        self.store = store
        self.clock = clock
        self.logger = logger
        self.configuration = configuration
        self.tasks = tasks
        self.statusReport = statusReport
    }

    /// Registers this module as the one handler of `type`: this call is the module's declaration of the
    /// command, for the catalog and for `system.status`.
    ///
    /// Throws when `type`'s topic is outside the module's namespaces or another module handles it already.
    ///
    /// - Parameter execution: where the bus runs the handler; ``CommandExecution/pool`` unless the handler
    ///   only awaits the store and replies.
    public func handle<C: Command>(
        _ type: C.Type, runsOn execution: CommandExecution = .pool, _ handler: @escaping CommandHandler<C>
    ) throws {
        try ModuleDescriptor.checkHandles(C.topic, by: name, namespaces: namespaces)
        try bus.register(type, module: name, execution: execution, handler: handler)
    }

    /// Sends a command to whichever module handles it.
    public func send<C: Command>(_ command: C) async throws -> C.Reply {
        try await bus.send(command)
    }

    /// Journals `event` and delivers it after commit; returns once it is durable.
    public func publish<E: Event>(_ event: E) async throws {
        try await store.write { transaction in transaction.emit(event) }
    }

    /// Runs `handler` for every event of `type`, batch by batch, in publication order.
    ///
    /// A handler that throws is logged with the message's id and topic; the next message is handled as usual.
    public func on<E: Event>(
        _ type: E.Type,
        options: MailboxOptions = MailboxOptions(),
        _ handler: @escaping @Sendable (Envelope<E>) async throws -> Void
    ) {
        let subscription = bus.subscribe(to: type, subscriber: name, options: options)
        consume(subscription, handler)
    }

    /// Runs `handler` for every event whose topic starts with `prefix`.
    public func on(
        prefix: String,
        options: MailboxOptions = MailboxOptions(),
        _ handler: @escaping @Sendable (Envelope<any Event>) async throws -> Void
    ) {
        let subscription = bus.subscribe(prefix: prefix, subscriber: name, options: options)
        consume(subscription, handler)
    }

    /// Runs `handler` for every batch of events whose topic starts with `prefix`, as the mailbox hands them over:
    /// for a module that writes what a whole batch causes in one transaction.
    ///
    /// A handler that throws is logged with the batch's first and last `seq`; the next batch is handled as usual.
    public func onBatches(
        prefix: String,
        options: MailboxOptions = MailboxOptions(),
        _ handler: @escaping @Sendable ([Envelope<any Event>]) async throws -> Void
    ) {
        let subscription = bus.subscribe(prefix: prefix, subscriber: name, options: options)
        let logger = self.logger
        tasks.add(subscription: { subscription.cancel() }) {
            for await batch in subscription {
                do {
                    try await handler(Array(batch))
                } catch {
                    logger.error(
                        "handler failed on a batch; the module goes on with the next",
                        metadata: [
                            "first_seq": "\(batch.first?.seq.map(String.init) ?? "-")",
                            "last_seq": "\(batch.last?.seq.map(String.init) ?? "-")",
                            "error": "\(error)",
                        ]
                    )
                }
            }
        }
    }

    private func consume<P>(
        _ subscription: Subscription<P>,
        _ handler: @escaping @Sendable (Envelope<P>) async throws -> Void
    ) {
        let logger = self.logger
        tasks.add(subscription: { subscription.cancel() }) {
            for await batch in subscription {
                for envelope in batch {
                    do {
                        try await handler(envelope)
                    } catch {
                        logger.error(
                            "handler failed; the module goes on with the next message",
                            metadata: [
                                "message_id": "\(envelope.id.uuidString.lowercased())",
                                "topic": "\(envelope.topic)",
                                "seq": "\(envelope.seq.map(String.init) ?? "-")",
                                "error": "\(error)",
                            ]
                        )
                    }
                }
            }
        }
    }
}

/// The subscriptions and tasks a module's context started, so they can be ended together.
public final class ModuleTasks: Sendable {
    private struct State {
        var cancellers: [@Sendable () -> Void] = []
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Starts `body` as a task of the module; `cancel` ends whatever it waits on.
    public func add(subscription cancel: @escaping @Sendable () -> Void, _ body: @escaping @Sendable () async -> Void) {
        let task = Task { await body() }
        state.withLock {
            $0.cancellers.append(cancel)
            $0.tasks.append(task)
        }
    }

    /// Closes every subscription, lets the handlers finish what was queued, and waits for them.
    public func shutdown() async {
        let (cancellers, tasks) = state.withLock { state in
            defer { state = State() }
            return (state.cancellers, state.tasks)
        }
        for cancel in cancellers { cancel() }
        for task in tasks { await task.value }
    }
}

/// What a module shows of itself in `system.status`, under its entry's `details`: asked each time the status is,
/// so it should answer quickly (a count from the module's tables, a depth it keeps).
public final class ModuleStatusReport: Sendable {
    private let provider = Mutex<(@Sendable () async -> JSONValue)?>(nil)

    public init() {}

    /// Sets what the module reports; the last call wins.
    public func provide(_ body: @escaping @Sendable () async -> JSONValue) {
        provider.withLock { $0 = body }
    }

    /// The module's report now, or nil when it gives none.
    public func current() async -> JSONValue? {
        guard let body = provider.withLock({ $0 }) else { return nil }
        return await body()
    }
}
