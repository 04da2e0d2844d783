public import ConcordKit
public import Contracts
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// What the runtime needs besides its modules.
public struct RuntimeOptions: Sendable {
    /// The directory holding `concord.sqlite`.
    public var dataDirectory: String
    public var version: String
    /// How often `system.heartbeat` is delivered.
    public var heartbeatInterval: Duration
    /// Each module's configuration section, by module name.
    public var moduleConfiguration: [String: [String: String]]
    /// The most writes grouped into one transaction (1 disables grouping).
    public var maxWritesPerTransaction: Int
    /// The most idempotency keys looked up in memory; past it they are indexed and looked up on disk.
    public var idempotencyKeysInMemory: Int
    /// The most committed events waiting for the dispatcher; the writer waits for room past it.
    public var eventsAwaitingDelivery: Int

    public init(
        dataDirectory: String,
        version: String = ConcordVersion.current,
        heartbeatInterval: Duration = .seconds(1),
        moduleConfiguration: [String: [String: String]] = [:],
        maxWritesPerTransaction: Int = 1024,
        idempotencyKeysInMemory: Int = 1_000_000,
        eventsAwaitingDelivery: Int = 65_536
    ) {
        self.dataDirectory = dataDirectory
        self.version = version
        self.heartbeatInterval = heartbeatInterval
        self.moduleConfiguration = moduleConfiguration
        self.maxWritesPerTransaction = maxWritesPerTransaction
        self.idempotencyKeysInMemory = idempotencyKeysInMemory
        self.eventsAwaitingDelivery = eventsAwaitingDelivery
    }
}

/// Runs the bus, the journal, timers and the modules as one swift-service-lifecycle `Service`.
///
/// On graceful shutdown it stops taking commands, lets the admitted ones finish, stops the modules,
/// commits what is queued and closes the database.
public final class Runtime: Service, Sendable {
    private struct Tasks {
        var dispatcher: Task<Void, Never>?
        var timers: Task<Void, Never>?
        var heartbeat: Task<Void, Never>?
        var housekeeping: Task<Void, Never>?
    }

    private struct Loaded: Sendable {
        let module: any Module
        let context: ModuleContext
    }

    public let bus: LocalMessageBus
    public let journal: Journal
    /// The modules attached from outside the process over the command endpoint.
    public let externals: ExternalModules
    public let options: RuntimeOptions
    private let clock: any WallClock
    private let logger: Logger
    private let modules: [any Module]
    private let refused: [ModuleState]
    private let timers: TimerService
    private let ledger: IdempotencyLedger
    private let startedAt: Date
    private let states = Mutex<[ModuleState]>([])
    private let loaded = Mutex<[Loaded]>([])
    private let tasks = Mutex(Tasks())
    private let catalogCache = Mutex<Catalog?>(nil)
    private let sinks = Mutex<[@Sendable ([CommittedEvent]) -> Void]>([])
    private let gatewayState = Mutex<(@Sendable () -> GatewayState)?>(nil)
    private let hooks: Hooks

    /// Called when the daemon is ready and when it starts stopping (systemd notification).
    public struct Hooks: Sendable {
        public var ready: @Sendable () -> Void
        public var stopping: @Sendable () -> Void

        public init(ready: @escaping @Sendable () -> Void = {}, stopping: @escaping @Sendable () -> Void = {}) {
            self.ready = ready
            self.stopping = stopping
        }
    }

    /// Opens the store in `options.dataDirectory`; throws ``StoreError`` when it cannot be used.
    ///
    /// `refused` are the plugins that were not loaded, each with why: `system.status` lists them after the modules.
    public init(
        modules: [any Module],
        refused: [ModuleState] = [],
        options: RuntimeOptions,
        clock: any WallClock = SystemWallClock(),
        logger: Logger,
        hooks: Hooks = Hooks()
    ) throws {
        try Self.prepare(directory: options.dataDirectory)
        self.options = options
        self.clock = clock
        self.logger = logger
        self.modules = modules
        self.refused = refused
        self.hooks = hooks
        self.bus = LocalMessageBus(acceptingCommands: false)
        self.journal = try Journal(
            path: (options.dataDirectory as NSString).appendingPathComponent("concord.sqlite"),
            clock: clock,
            logger: logger,
            maxBatch: options.maxWritesPerTransaction,
            eventsAwaitingDelivery: options.eventsAwaitingDelivery
        )
        self.timers = TimerService(journal: journal, clock: clock, logger: logger)
        self.externals = ExternalModules(bus: bus, journal: journal, logger: logger)
        self.ledger = IdempotencyLedger(
            journal: journal, clock: clock, knownLimit: options.idempotencyKeysInMemory)
        self.startedAt = clock.now()
        externals.connect(
            ExternalModules.Hooks(
                builtIn: { [weak self] in
                    self?.loaded.withLock { $0.map { ($0.context.name, $0.module.descriptor.namespaces) } } ?? []
                },
                changed: { [weak self] in self?.catalogCache.withLock { $0 = nil } }))
    }

    private static func prepare(directory: String) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw StoreError.unusableDirectory(directory, reason: "it is not a directory")
            }
        } else {
            do {
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw StoreError.unusableDirectory(
                    directory, reason: "it cannot be created (\(error.localizedDescription))")
            }
        }
        guard manager.isWritableFile(atPath: directory) else {
            throw StoreError.unusableDirectory(directory, reason: "it is not writable by this user")
        }
    }

    // MARK: Service

    public func run() async throws {
        await start()
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Starts the dispatcher, the modules (the `system` module first), timers and heartbeats, then takes commands.
    public func start() async {
        let dispatcher = Task { [unowned self, journal, bus] in
            var batch: [CommittedEvent] = []
            while await journal.committed.receive(into: &batch) {
                for sink in self.sinks.withLock({ $0 }) { sink(batch) }
                await bus.deliver(committed: batch)
            }
        }
        tasks.withLock { $0.dispatcher = dispatcher }
        bus.commands.useLedger(ledger)

        let system = SystemModule(
            version: options.version,
            journal: journal,
            status: { [unowned self] in await self.status() },
            catalog: { [unowned self] in self.catalog() }
        )
        let all: [any Module] = [system] + modules
        states.withLock { states in
            states =
                all.map { ModuleState(name: $0.descriptor.name, version: $0.descriptor.version, state: .starting) }
                + refused
        }
        for module in all {
            journal.declare(
                module: module.descriptor.name, publishes: module.descriptor.publishes,
                untyped: module.descriptor.publishesUntyped.map(\.topic))
        }
        for module in all {
            await start(module)
        }
        do {
            try await ledger.purge()
        } catch {
            logger.warning("expired idempotency keys could not be purged", metadata: ["error": "\(error)"])
        }
        let timerTask = Task { [timers] in await timers.run() }
        let heartbeat = Task { [unowned self] in await self.beat() }
        let housekeeping = Task { [unowned self] in await self.purgeHourly() }
        tasks.withLock {
            $0.timers = timerTask
            $0.heartbeat = heartbeat
            $0.housekeeping = housekeeping
        }
        bus.commands.open()
        logger.info(
            "concordd ready",
            metadata: [
                "version": "\(options.version)", "data_dir": "\(options.dataDirectory)",
                "head_seq": "\(journal.headSeq)",
                "modules": "\(states.withLock { $0.map { "\($0.name):\($0.state.rawValue)" }.joined(separator: ",") })",
            ]
        )
        hooks.ready()
    }

    private func start(_ module: any Module) async {
        let descriptor = module.descriptor
        let name = descriptor.name
        var moduleLogger = logger
        moduleLogger[metadataKey: "module"] = "\(name)"
        let context = ModuleContext(
            name: name,
            bus: bus,
            store: JournalStore(journal: journal, module: name),
            clock: clock,
            logger: moduleLogger,
            configuration: ModuleConfiguration(module: name, values: options.moduleConfiguration[name] ?? [:]),
            namespaces: descriptor.namespaces
        )
        do {
            guard states.withLock({ $0.filter { $0.name == name && $0.state != .refused }.count }) == 1 else {
                throw ConcordError.conflict("another module is already named \"\(name)\"")
            }
            try Self.check(descriptor, among: loaded.withLock { $0.map(\.module.descriptor) })
            try journal.migrate(module: name, migrations: module.migrations)
            try await module.start(context: context)
            loaded.withLock { $0.append(Loaded(module: module, context: context)) }
            setState(name, .running)
            logger.debug("module started", metadata: ["module": "\(name)"])
        } catch {
            bus.commands.unregister(module: name)
            await context.tasks.shutdown()
            setState(name, .failed, error: "\(error)")
            logger.error(
                "module failed to start; the other modules keep running",
                metadata: ["module": "\(name)", "error": "\(error)"]
            )
        }
    }

    /// Checks what a module declares before it starts: its events lie in its namespaces, none is declared twice,
    /// and no module already running owns one of its namespaces.
    static func check(_ descriptor: ModuleDescriptor, among running: [ModuleDescriptor]) throws {
        let name = descriptor.name
        let topics = descriptor.publishedTopics
        if let foreign = topics.first(where: { !descriptor.owns($0) }) {
            throw ConcordError(
                .internal,
                "module \"\(name)\" publishes \(foreign), outside its namespaces "
                    + "(\(descriptor.namespaces.joined(separator: ", ")))")
        }
        var seen: Set<String> = []
        for topic in topics where !seen.insert(topic.rawValue).inserted {
            throw ConcordError(.internal, "module \"\(name)\" lists \(topic) twice in publishes")
        }
        for other in running {
            if let shared = descriptor.namespaces.first(where: other.namespaces.contains) {
                throw ConcordError(
                    .conflict,
                    "module \"\(name)\" claims the namespace \"\(shared)\", which module \"\(other.name)\" owns")
            }
        }
    }

    /// Stops taking commands, waits for the admitted ones, stops the modules and closes the store.
    public func shutdown() async {
        hooks.stopping()
        logger.info(
            "concordd stopping: finishing admitted commands", metadata: ["in_flight": "\(bus.commands.inFlight)"])
        await bus.commands.closeAndDrain()
        externals.stop()
        let (heartbeat, housekeeping, timerTask) = tasks.withLock { ($0.heartbeat, $0.housekeeping, $0.timers) }
        heartbeat?.cancel()
        housekeeping?.cancel()
        timers.stop()
        await timerTask?.value
        for entry in loaded.withLock({ $0 }).reversed() {
            let name = entry.context.name
            setState(name, .stopping)
            await entry.module.stop(context: entry.context)
            await entry.context.tasks.shutdown()
            setState(name, .stopped)
        }
        await journal.close()
        await tasks.withLock({ $0.dispatcher })?.value
        logger.info("concordd stopped", metadata: ["head_seq": "\(journal.headSeq)"])
    }

    /// Hands every batch of committed events, in `seq` order, to `sink` (the gateway's event stream).
    ///
    /// The sink runs on the dispatcher and must not block: it queues or drops, and says so in its state.
    public func addCommittedSink(_ sink: @escaping @Sendable ([CommittedEvent]) -> Void) {
        sinks.withLock { $0.append(sink) }
    }

    /// Lets the gateway report its endpoints and counters in `system.status`.
    public func reportGatewayState(_ provider: @escaping @Sendable () -> GatewayState) {
        gatewayState.withLock { $0 = provider }
    }

    // MARK: Status and catalog

    private func setState(_ name: String, _ state: ModuleState.State, error: String? = nil) {
        states.withLock { states in
            if let index = states.firstIndex(where: { $0.name == name && $0.state != .refused }) {
                states[index].state = state
                states[index].error = error
            }
        }
    }

    /// The module states, in start order.
    public var moduleStates: [ModuleState] { states.withLock { $0 } }

    func status() async -> SystemStatus {
        var modules = moduleStates + externals.states
        let contexts = loaded.withLock { $0.map(\.context) }
        for context in contexts {
            guard let index = modules.firstIndex(where: { $0.name == context.name }) else { continue }
            modules[index].details = await context.statusReport.current()
        }
        let gateway = gatewayState.withLock { $0 }?()
        let subscribers = bus.subscriberStates.map {
            SubscriberState(
                subscriber: $0.subscriber,
                topic: $0.pattern,
                depth: $0.depth,
                capacity: $0.options.capacity,
                overflow: $0.options.overflow,
                received: $0.received,
                dropped: $0.dropped
            )
        }
        return SystemStatus(
            version: options.version,
            uptimeSeconds: clock.now().timeIntervalSince(startedAt),
            headSeq: journal.headSeq,
            modules: modules,
            subscribers: subscribers,
            drops: subscribers.reduce(0) { $0 + $1.dropped } + (gateway?.eventsDropped ?? 0),
            accepting: bus.commands.isAccepting,
            gateway: gateway
        )
    }

    func catalog() -> Catalog {
        if let cached = catalogCache.withLock({ $0 }) { return cached }
        let commands = bus.commands.all.map { entry in
            Catalog.CommandEntry(
                command: entry.topic,
                module: entry.module,
                mutating: entry.isMutating,
                argsSchema: entry.argsSchema(),
                replySchema: entry.replySchema()
            )
        }
        let descriptors = loaded.withLock { $0.map { ($0.context.name, $0.module.descriptor) } }
        let published = descriptors.flatMap { module, descriptor in
            descriptor.publishes.map {
                Catalog.EventEntry(topic: $0.topic.rawValue, module: module, payloadSchema: JSONSchema.of($0))
            }
                + descriptor.publishesUntyped.map {
                    Catalog.EventEntry(topic: $0.topic.rawValue, module: module, payloadSchema: $0.payloadSchema)
                }
        }
        let external = externals.events.flatMap { module, events in
            events.map { Catalog.EventEntry(topic: $0.topic.rawValue, module: module, payloadSchema: $0.payloadSchema) }
        }
        let events = (published + external).sorted { $0.topic < $1.topic }
        let catalog = Catalog(commands: commands, events: events)
        catalogCache.withLock { $0 = catalog }
        return catalog
    }

    // MARK: Periodic work

    private func beat() async {
        while !Task.isCancelled {
            do {
                try await clock.sleep(until: clock.now().addingTimeInterval(options.heartbeatInterval.seconds))
            } catch {
                return
            }
            await bus.deliver(
                Envelope(
                    topic: Heartbeat.topic,
                    time: clock.now(),
                    source: "system",
                    payload: Heartbeat(headSeq: journal.headSeq)
                )
            )
        }
    }

    private func purgeHourly() async {
        while !Task.isCancelled {
            do {
                try await clock.sleep(until: clock.now().addingTimeInterval(3600))
                try await ledger.purge()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("expired idempotency keys could not be purged", metadata: ["error": "\(error)"])
            }
        }
    }
}
