public import Bus
import ConcordKit
public import Contracts
import Foundation
public import Logging
import Synchronization
import ZeroMQ

#if canImport(Glibc)
    import Glibc
#endif

/// Exposes the bus as PROTOCOL.md's endpoints: an XPUB event stream and a ROUTER command socket.
///
/// One dedicated thread owns both sockets and polls them with an eventfd that other threads signal when
/// they queue an event or a reply; no socket is ever touched from another thread.
public final class Gateway: Sendable {
    private struct Reply {
        var identity: [UInt8]
        var delimited: Bool
        var body: [UInt8]
        /// False for a message the daemon sends an attached module of its own accord (a command, a heartbeat):
        /// it answers no request, so it does not count against the connection's commands in flight.
        var answersRequest = true
    }

    private struct Outbox {
        var events: [(topic: String, envelope: [UInt8])] = []
        var replies: [Reply] = []
    }

    private struct Counters {
        var eventSubscriptions = 0
        var eventsPublished: UInt64 = 0
        var eventsDropped: UInt64 = 0
        var commandsReceived: UInt64 = 0
        var commandsRejected: UInt64 = 0
        var repliesDropped: UInt64 = 0
        var peersDisconnected: UInt64 = 0
        var clientsRefused: UInt64 = 0
    }

    public let options: GatewayOptions
    private let bus: LocalMessageBus
    private let externals: ExternalModules?
    private let headSeq: @Sendable () -> UInt64
    private let logger: Logger
    private let access: AccessControl
    private let wakeup: ZMQWakeup
    private let executor: GatewayExecutor
    private let ioThread = Atomic<UInt>(0)
    private let outbox = Mutex(Outbox())
    private let counters = Mutex(Counters())
    private let running = Atomic<Bool>(false)
    private let boundEndpoints = Mutex<(events: String, commands: String)?>(nil)
    private let finished = Completion()

    /// - Parameter externals: the hub that external modules attach to over the command endpoint; without one,
    ///   `system.module.attach` is refused.
    public init(
        options: GatewayOptions,
        bus: LocalMessageBus,
        externals: ExternalModules? = nil,
        headSeq: @escaping @Sendable () -> UInt64,
        logger: Logger
    ) throws {
        self.options = options
        self.bus = bus
        self.externals = externals
        self.headSeq = headSeq
        self.logger = logger
        self.access = try AccessControl(security: options.security, logger: logger)
        self.wakeup = try ZMQWakeup()
        self.executor = GatewayExecutor(wakeup: wakeup)
    }

    /// The endpoints as bound (a `tcp://host:*` wildcard resolved to its port).
    public var endpoints: (events: String, commands: String)? { boundEndpoints.withLock { $0 } }

    // MARK: Starting and stopping

    /// Binds both endpoints on the gateway's thread; throws when either cannot be bound.
    public func start() throws {
        let ready = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<Void, any Error>?>(nil)
        running.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            self.run { result in
                outcome.withLock { $0 = result }
                ready.signal()
            }
            self.finished.fulfill()
        }
        thread.name = "concord-gateway"
        thread.start()
        ready.wait()
        if case .failure(let error) = outcome.withLock({ $0 }) ?? .success(()) {
            running.store(false, ordering: .releasing)
            throw error
        }
        let endpoints = self.endpoints
        logger.info(
            "gateway bound",
            metadata: [
                "events": "\(endpoints?.events ?? "-")", "commands": "\(endpoints?.commands ?? "-")",
                "security": "\(options.security.mode)",
            ]
        )
    }

    /// Sends what is queued, closes the sockets and ends the thread.
    public func stop() async {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        wakeup.signal()
        await finished.wait()
        access.stop()
    }

    /// Re-reads the allowlist (SIGHUP); keys removed from it lose access at their next command or connection.
    @discardableResult
    public func reloadAllowlist() -> Int {
        access.reload()
    }

    /// Registers the gateway's own commands: `system.allowlist.reload` (admin role), and `system.module.attach`
    /// and `system.module.detach`, which the command endpoint answers itself (they name the connection that sent
    /// them); registered so the catalog lists them, they refuse a sender inside the process.
    public func registerCommands() throws {
        try bus.register(ReloadAllowlist.self, module: "gateway", execution: .inline) { [weak self] _, _ in
            AllowlistReloaded(keys: self?.reloadAllowlist() ?? 0)
        }
        try bus.register(AttachModule.self, module: "gateway", execution: .inline) { _, _ in
            throw ConcordError.badRequest(Self.attachOverTheEndpoint)
        }
        try bus.register(DetachModule.self, module: "gateway", execution: .inline) { _, _ in
            throw ConcordError.badRequest(Self.attachOverTheEndpoint)
        }
    }

    private static let attachOverTheEndpoint =
        "system.module.attach and system.module.detach are sent over the command endpoint, from the DEALER socket "
        + "the module is to be sent its commands on"

    // MARK: Events

    /// Queues committed events for the event stream; drops and counts them when the queue is full.
    public func publish(_ events: [CommittedEvent]) {
        let frames = events.map { committed in
            let envelope = committed.envelope
            return (
                envelope.topic.rawValue,
                WireWriter.envelope(
                    seq: envelope.seq,
                    id: envelope.id,
                    topic: envelope.topic.rawValue,
                    time: envelope.time,
                    source: envelope.source,
                    correlationID: envelope.correlationID,
                    payloadJSON: committed.payloadJSON
                )
            )
        }
        publish(frames: frames)
    }

    /// Queues ready-made event messages (topic, envelope JSON).
    public func publish(frames: [(topic: String, envelope: [UInt8])]) {
        let capacity = options.eventQueueCapacity
        let (wasEmpty, dropped) = outbox.withLock { outbox -> (Bool, Int) in
            let wasEmpty = outbox.events.isEmpty && outbox.replies.isEmpty
            let room = max(0, capacity - outbox.events.count)
            let taken = min(room, frames.count)
            outbox.events.append(contentsOf: frames.prefix(taken))
            return (wasEmpty, frames.count - taken)
        }
        if dropped > 0 { counters.withLock { $0.eventsDropped += UInt64(dropped) } }
        if wasEmpty { wakeup.signal() }
    }

    /// Events queued for the I/O thread and not yet sent.
    public var pendingEvents: Int { outbox.withLock { $0.events.count } }

    /// The gateway's part of `system.status`.
    public var state: GatewayState {
        let counters = self.counters.withLock { $0 }
        let endpoints = self.endpoints
        return GatewayState(
            eventsEndpoint: endpoints?.events ?? options.eventsEndpoint,
            commandsEndpoint: endpoints?.commands ?? options.commandsEndpoint,
            securityMode: options.security.mode,
            eventSubscriptions: counters.eventSubscriptions,
            eventsPublished: counters.eventsPublished,
            eventsDropped: counters.eventsDropped,
            commandsReceived: counters.commandsReceived,
            commandsRejected: counters.commandsRejected,
            repliesDropped: counters.repliesDropped,
            replyHighWaterMark: options.commandsHighWaterMark,
            peersDisconnected: counters.peersDisconnected,
            clientsRefused: counters.clientsRefused + access.refusedConnections
        )
    }

    // MARK: The I/O thread

    private func run(ready: (Result<Void, any Error>) -> Void) {
        let context: ZMQContext
        let events: ZMQSocket
        let commands: ZMQSocket
        let monitor: ZMQSocket
        do {
            context = try ZMQContext()
            try access.startZAP(context: context)
            events = try context.socket(.xpub)
            commands = try context.socket(.router)
            for socket in [events, commands] {
                try socket.set(ZMQOption.linger, Int32(0))
                try socket.set(ZMQOption.maxMessageSize, options.maxMessageSize)
                try access.configureServer(socket)
            }
            try events.set(ZMQOption.sendHighWaterMark, options.eventsHighWaterMark)
            try commands.set(ZMQOption.routerMandatory, Int32(1))
            try commands.set(ZMQOption.sendHighWaterMark, options.commandsHighWaterMark)
            try commands.set(ZMQOption.heartbeatInterval, Int32(options.commandHeartbeatInterval.milliseconds))
            try commands.set(ZMQOption.heartbeatTimeout, Int32(options.commandHeartbeatTimeout.milliseconds))
            let monitorEndpoint = "inproc://concord-gateway-monitor-\(UUID().uuidString)"
            try commands.monitor(monitorEndpoint, events: ZMQMonitorEvent.disconnected)
            monitor = try context.socket(.pair)
            try monitor.connect(monitorEndpoint)
            try events.bind(options.eventsEndpoint)
            try commands.bind(options.commandsEndpoint)
            boundEndpoints.withLock { $0 = (events.lastEndpoint, commands.lastEndpoint) }
        } catch {
            access.stop()
            ready(.failure(error))
            return
        }
        ioThread.store(UInt(pthread_self()), ordering: .releasing)
        ready(.success(()))

        var poller = ZMQPoller()
        poller.add(events)
        poller.add(commands)
        poller.add(monitor)
        poller.add(fileDescriptor: wakeup.fileDescriptor)
        var inFlight: [[UInt8]: Int] = [:]
        let heartbeat = options.heartbeatInterval
        var nextHeartbeat = ContinuousClock.now + heartbeat
        // While replies are due, poll without blocking for a short while: a reply is usually ready within
        // microseconds, and waking a blocked thread through the eventfd costs more than the command itself.
        var spinUntil = ContinuousClock.now
        while running.load(ordering: .acquiring) {
            let now = ContinuousClock.now
            let spinning = !inFlight.isEmpty && now < spinUntil
            let wait = spinning || executor.hasJobs ? 0 : max(0, (nextHeartbeat - now).milliseconds)
            let readable: [Bool]
            do {
                readable = try poller.poll(timeoutMilliseconds: wait)
            } catch {
                logger.error("gateway poll failed; stopping the endpoints", metadata: ["error": "\(error)"])
                break
            }
            var received = false
            if readable[0] { drainSubscriptions(events) }
            if readable[1] { received = receiveCommands(commands, inFlight: &inFlight) }
            if readable[2] { drainMonitor(monitor) }
            if readable[3] { wakeup.clear() }
            executor.runJobs()
            let replied = flush(events: events, commands: commands, inFlight: &inFlight)
            if received || replied {
                spinUntil = ContinuousClock.now + options.replySpin
            } else if spinning {
                sched_yield()
            }
            if ContinuousClock.now >= nextHeartbeat {
                sendHeartbeat(events)
                nextHeartbeat = ContinuousClock.now + heartbeat
            }
        }
        finishCommands(events: events, commands: commands, inFlight: &inFlight)
        monitor.close()
        events.close()
        commands.close()
        access.stopZAP()
        context.shutdown()
    }

    /// Runs the tasks of commands still in flight until they have replied (the runtime has already
    /// finished them when the daemon shuts down), then hands anything left to the global executor.
    private func finishCommands(events: ZMQSocket, commands: ZMQSocket, inFlight: inout [[UInt8]: Int]) {
        var waiter = ZMQPoller()
        waiter.add(fileDescriptor: wakeup.fileDescriptor)
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            executor.runJobs()
            flush(events: events, commands: commands, inFlight: &inFlight)
            if inFlight.isEmpty || ContinuousClock.now >= deadline { break }
            if !executor.hasJobs, (try? waiter.poll(timeoutMilliseconds: 10))?.first == true { wakeup.clear() }
        }
        executor.close()
        ioThread.store(0, ordering: .releasing)
        flush(events: events, commands: commands, inFlight: &inFlight)
    }

    private var onIOThread: Bool { ioThread.load(ordering: .acquiring) == UInt(pthread_self()) }

    private func drainSubscriptions(_ socket: ZMQSocket) {
        while let message = try? socket.receive(wait: false) {
            guard let first = message.frames.first?.first else { continue }
            counters.withLock { $0.eventSubscriptions += first == 1 ? 1 : (first == 0 ? -1 : 0) }
        }
    }

    private func drainMonitor(_ socket: ZMQSocket) {
        while let message = try? socket.receive(wait: false) {
            guard let first = message.frames.first, first.count >= 2 else { continue }
            let event = UInt16(first[0]) | UInt16(first[1]) << 8
            if Int32(event) == ZMQMonitorEvent.disconnected { counters.withLock { $0.peersDisconnected += 1 } }
        }
    }

    private func sendHeartbeat(_ socket: ZMQSocket) {
        var payload = WireWriter(capacity: 32)
        payload.raw("{\"head_seq\":")
        payload.number(headSeq())
        payload.raw("}")
        let envelope = WireWriter.envelope(
            seq: nil,
            id: MessageID.next(),
            topic: Heartbeat.topic.rawValue,
            time: Date(),
            source: "system",
            correlationID: nil,
            payloadJSON: payload.bytes
        )
        try? socket.send([Array(Heartbeat.topic.rawValue.utf8), envelope], wait: false)
    }

    /// Sends the queued events and replies; returns whether any reply went out.
    @discardableResult
    private func flush(events: ZMQSocket, commands: ZMQSocket, inFlight: inout [[UInt8]: Int]) -> Bool {
        let pending = outbox.withLock { outbox in
            defer { outbox = Outbox() }
            return outbox
        }
        var published: UInt64 = 0
        for var event in pending.events {
            let sent = event.topic.withUTF8 { topic in
                event.envelope.withUnsafeBytes { envelope in
                    (try? events.send(UnsafeRawBufferPointer(topic), envelope, wait: false)) != nil
                }
            }
            if sent { published += 1 }
        }
        if published > 0 { counters.withLock { $0.eventsPublished += published } }
        for reply in pending.replies {
            if reply.answersRequest, let count = inFlight[reply.identity] {
                inFlight[reply.identity] = count > 1 ? count - 1 : nil
            }
            sendReply(reply, on: commands)
        }
        return !pending.replies.isEmpty
    }

    /// Sends a reply without blocking the I/O thread; a reply that cannot go (the client went away, or has
    /// `commandsHighWaterMark` replies unread) is dropped and counted in `gateway.replies_dropped`.
    private func sendReply(_ reply: Reply, on socket: ZMQSocket) {
        var frames = [reply.identity]
        if reply.delimited { frames.append([]) }
        frames.append(reply.body)
        do {
            try socket.send(frames, wait: false)
        } catch {
            let dropped = counters.withLock { counters in
                counters.repliesDropped += 1
                return counters.repliesDropped
            }
            // The first drop, then one line per thousand, so a client that never reads cannot flood the log.
            if dropped == 1 || dropped % 1000 == 0 {
                logger.warning(
                    "a reply could not be delivered: the client went away or is not reading its replies",
                    metadata: ["error": "\(error)", "replies_dropped": "\(dropped)"])
            }
        }
    }

    // MARK: Commands

    /// Takes up to 1024 commands off the socket; returns whether there was any.
    private func receiveCommands(_ socket: ZMQSocket, inFlight: inout [[UInt8]: Int]) -> Bool {
        var any = false
        for _ in 0..<1024 {
            let message: ZMQSocket.Message?
            do {
                message = try socket.receive(wait: false)
            } catch {
                logger.warning("receiving a command failed", metadata: ["error": "\(error)"])
                return any
            }
            guard let message, let identity = message.frames.first else { return any }
            any = true
            counters.withLock { $0.commandsReceived += 1 }
            let rest = message.frames.dropFirst()
            let delimited = rest.first?.isEmpty == true && rest.count >= 1
            let body: [UInt8]
            if delimited && rest.count == 2 {
                body = rest.last!
            } else if !delimited && rest.count == 1 {
                body = rest.first!
            } else {
                let frames = delimited ? rest.count - 1 : rest.count
                reject(
                    identity,
                    delimited,
                    id: .null,
                    .badRequest(
                        "expected one frame holding a JSON object (after an empty delimiter frame for REQ clients); "
                            + "got \(frames) frames"
                    ),
                    on: socket
                )
                continue
            }
            handle(body, identity: identity, delimited: delimited, userID: message.userID, socket, &inFlight)
        }
        return any
    }

    private func handle(
        _ body: [UInt8],
        identity: [UInt8],
        delimited: Bool,
        userID: String?,
        _ socket: ZMQSocket,
        _ inFlight: inout [[UInt8]: Int]
    ) {
        let request: WireRequest
        do {
            switch try WireRequest.parseMessage(body) {
            case .request(let parsed): request = parsed
            case .module(let message):
                received(message, identity: identity, delimited: delimited, on: socket)
                return
            }
        } catch {
            reject(identity, delimited, id: error.id, error.error, on: socket)
            return
        }
        if let denial = access.check(
            command: request.command, mutating: bus.isMutating(command: request.command), userID: userID)
        {
            reject(identity, delimited, id: request.id, denial, on: socket)
            return
        }
        if request.command == AttachModule.topic.rawValue || request.command == DetachModule.topic.rawValue {
            attach(request, identity: identity, delimited: delimited, userID: userID, on: socket)
            return
        }
        let count = inFlight[identity] ?? 0
        guard count < options.maxInFlightPerClient else {
            reject(
                identity,
                delimited,
                id: request.id,
                ConcordError(
                    .unavailable,
                    "this client has \(count) commands in flight, the most allowed; retry after a reply arrives",
                    details: ["retry_after_ms": 50, "max_in_flight": .int(Int64(options.maxInFlightPerClient))]
                ),
                on: socket
            )
            return
        }
        inFlight[identity] = count + 1
        let context = CommandContext(
            requestID: request.id.stringValue ?? request.id.intValue.map { String($0) },
            idempotencyKey: request.idempotencyKey,
            caller: access.callerName(userID),
            role: access.roleName(userID)
        )
        Task(executorPreference: executor) { [bus, logger] in
            let reply: [UInt8]
            do {
                let result = try await bus.dispatch(command: request.command, args: request.args, context: context)
                reply = WireWriter.success(id: request.id, resultJSON: result)
            } catch let error as ConcordError {
                reply = WireWriter.failure(id: request.id, error: error)
            } catch {
                logger.error(
                    "command failed with an unexpected error",
                    metadata: [
                        "command": "\(request.command)", "request_id": "\(context.requestID ?? "-")",
                        "error": "\(error)",
                    ]
                )
                reply = WireWriter.failure(
                    id: request.id,
                    error: ConcordError(
                        .internal, "internal error; it is logged under request id \(context.requestID ?? "null")")
                )
            }
            self.queue(Reply(identity: identity, delimited: delimited, body: reply))
        }
    }

    // MARK: External modules

    /// Attaches (or detaches) the sending connection as an external module; answered at once, so the reply goes
    /// out before any command routed to the module.
    private func attach(
        _ request: WireRequest, identity: [UInt8], delimited: Bool, userID: String?, on socket: ZMQSocket
    ) {
        guard let externals else {
            reject(
                identity, delimited, id: request.id, .unavailable("this daemon attaches no external modules"),
                on: socket)
            return
        }
        let result: Result<Data, any Error>
        if request.command == DetachModule.topic.rawValue {
            let detached = externals.detach(linkID: identity, reason: "it detached")
            result =
                detached
                ? Result { try JSONStreamEncoder.encode(Acknowledged()) }
                : .failure(ConcordError.notFound("this connection has no module attached"))
        } else {
            result = Result {
                let declaration = try CommandArguments.decode(
                    AttachModule.self, from: request.args, knownFields: Self.attachFields)
                let link = ModuleConnection(gateway: self, identity: identity, delimited: delimited)
                return try JSONStreamEncoder.encode(
                    try externals.attach(declaration, link: link, linkID: identity, peer: access.callerName(userID)))
            }
        }
        let body: [UInt8]
        switch result {
        case .success(let json): body = WireWriter.success(id: request.id, resultJSON: json)
        case .failure(let error as ConcordError): body = WireWriter.failure(id: request.id, error: error)
        case .failure(let error): body = WireWriter.failure(id: request.id, error: ConcordError(.internal, "\(error)"))
        }
        sendReply(Reply(identity: identity, delimited: delimited, body: body), on: socket)
    }

    private static let attachFields = CommandArguments.knownFields(of: AttachModule.self)

    /// A reply or heartbeat of an attached module; what cannot be taken is answered `{"type": "error", ...}`.
    private func received(_ message: JSONObject, identity: [UInt8], delimited: Bool, on socket: ZMQSocket) {
        guard let externals else { return }
        do {
            try externals.received(message, from: identity)
        } catch {
            let concord = (error as? ConcordError) ?? ConcordError(.internal, "\(error)")
            var body = WireWriter(capacity: 256)
            body.raw(#"{"type":"error","error":"#)
            body.value(concord.wireObject)
            body.raw("}")
            sendReply(
                Reply(identity: identity, delimited: delimited, body: body.bytes, answersRequest: false), on: socket)
        }
    }

    /// An attached module's connection: the daemon's messages to it are queued like replies.
    private struct ModuleConnection: ModuleLink {
        let gateway: Gateway
        let identity: [UInt8]
        let delimited: Bool

        func send(_ message: [UInt8]) -> Bool {
            guard gateway.running.load(ordering: .acquiring) else { return false }
            gateway.queue(Reply(identity: identity, delimited: delimited, body: message, answersRequest: false))
            return true
        }
    }

    private func reject(
        _ identity: [UInt8], _ delimited: Bool, id: JSONValue, _ error: ConcordError, on socket: ZMQSocket
    ) {
        counters.withLock { $0.commandsRejected += 1 }
        sendReply(
            Reply(identity: identity, delimited: delimited, body: WireWriter.failure(id: id, error: error)), on: socket)
    }

    private func queue(_ reply: Reply) {
        let wasEmpty = outbox.withLock { outbox in
            defer { outbox.replies.append(reply) }
            return outbox.events.isEmpty && outbox.replies.isEmpty
        }
        // The I/O thread flushes after running its jobs; only another thread needs to wake it.
        if wasEmpty && !onIOThread { wakeup.signal() }
    }
}
