import ConcordKit
import Foundation
import Synchronization

/// One handler per command type, the gate that admits commands while the daemon takes them, and idempotency.
final class CommandRegistry: Sendable {
    struct Entry: Sendable {
        let topic: String
        let module: String
        let isMutating: Bool
        let execution: CommandExecution
        /// The command's Swift type, for a typed handler; `nil` for an untyped one (a plugin's).
        let typeID: ObjectIdentifier?
        let handler: (any AnyObject & Sendable)?
        let replyCodec: ReplyCodec
        let argsSchema: @Sendable () -> JSONValue
        let replySchema: @Sendable () -> JSONValue
        let invokeJSON: @Sendable (JSONValue, CommandContext) async throws -> Data
    }

    private final class HandlerBox<C: Command>: Sendable {
        let handler: CommandHandler<C>
        init(_ handler: @escaping CommandHandler<C>) { self.handler = handler }
    }

    private struct Gate {
        var accepting = false
        var inFlight = 0
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Commands answered while the daemon is starting or stopping: `system.status` says which it is. Everything
    /// else, `system.ping` included, is `unavailable` then, so a ping that answers ok means every module that
    /// started serves its commands.
    static let alwaysAdmitted: Set<String> = ["system.status"]

    let entries = Mutex<[String: Entry]>([:])
    private let gate = Mutex(Gate())
    private let ledger = Mutex<IdempotencyLedger?>(nil)

    func register<C: Command>(
        _ type: C.Type, module: String, execution: CommandExecution, handler: @escaping CommandHandler<C>
    ) throws {
        let knownFields = CommandArguments.knownFields(of: C.self)
        try add(
            Entry(
                topic: C.topic.rawValue,
                module: module,
                isMutating: C.isMutating,
                execution: execution,
                typeID: ObjectIdentifier(type),
                handler: HandlerBox(handler),
                replyCodec: ReplyCodec(C.Reply.self),
                argsSchema: { JSONSchema.of(C.self) },
                replySchema: { JSONSchema.of(C.Reply.self) },
                invokeJSON: { [unowned self] args, context in
                    let command = try CommandArguments.decode(C.self, from: args, knownFields: knownFields)
                    return try JSONStreamEncoder.encode(try await self.send(command, context: context))
                }
            ))
    }

    /// Registers a command that has no Swift type here (a plugin's): `handler` takes its args as JSON and answers
    /// the reply as JSON text. It is admitted, scoped and kept for idempotency as a typed one is.
    func register(untyped command: UntypedCommand, module: String, handler: @escaping UntypedCommandHandler) throws {
        let topic = command.topic.rawValue
        let execution = command.execution
        let isMutating = command.isMutating
        try add(
            Entry(
                topic: topic,
                module: module,
                isMutating: isMutating,
                execution: execution,
                typeID: nil,
                handler: nil,
                replyCodec: Self.untypedReplies,
                argsSchema: { command.argsSchema },
                replySchema: { command.replySchema },
                invokeJSON: { [unowned self] args, context in
                    try self.admit(topic)
                    defer { self.release() }
                    var scoped = context
                    scoped.command = topic
                    let context = scoped
                    if isMutating, let key = context.idempotencyKey, let ledger = self.ledger.withLock({ $0 }) {
                        let reply = try await ledger.perform(
                            key: key, command: topic, codec: Self.untypedReplies
                        ) { capture -> JSONValue in
                            let data = try await Self.run(execution, CommandScope(context: context, capture: capture)) {
                                try await handler(args, $0)
                            }
                            guard let value = JSONValue.parse(data) else {
                                throw ConcordError(.internal, "the handler of \(topic) answered text that is not JSON")
                            }
                            return value
                        }
                        return try JSONStreamEncoder.encode(reply)
                    }
                    return try await Self.run(execution, CommandScope(context: context, capture: nil)) {
                        try await handler(args, $0)
                    }
                }
            ))
    }

    private static let untypedReplies = ReplyCodec(JSONValue.self)

    /// Runs `body` where `execution` says, inside `scope`.
    private static func run<T: Sendable>(
        _ execution: CommandExecution, _ scope: CommandScope,
        _ body: @escaping @Sendable (CommandScope) async throws -> T
    ) async throws -> T {
        try await scope.enter {
            switch execution {
            case .inline: try await body(scope)
            case .pool: try await withTaskExecutorPreference(globalConcurrentExecutor) { try await body(scope) }
            }
        }
    }

    private func add(_ entry: Entry) throws {
        try entries.withLock { entries in
            if let existing = entries[entry.topic] {
                throw ConcordError(
                    .conflict,
                    "command \"\(entry.topic)\" already has a handler in module \"\(existing.module)\"; "
                        + "module \"\(entry.module)\" cannot register a second one"
                )
            }
            entries[entry.topic] = entry
        }
    }

    /// The registered commands, for the catalog and start-up checks.
    var all: [Entry] { entries.withLock { Array($0.values) }.sorted { $0.topic < $1.topic } }

    func useLedger(_ ledger: IdempotencyLedger) {
        self.ledger.withLock { $0 = ledger }
    }

    func send<C: Command>(_ command: C, context: CommandContext) async throws -> C.Reply {
        let topic = C.topic.rawValue
        guard let entry = entries.withLock({ $0[topic] }), entry.typeID == ObjectIdentifier(C.self),
            let box = entry.handler
        else {
            throw ConcordError.unknownCommand(topic)
        }
        let handler = unsafeDowncast(box, to: HandlerBox<C>.self).handler
        try admit(topic)
        defer { release() }
        var commandContext = context
        commandContext.command = topic
        let context = commandContext
        let execution = entry.execution
        let run: @Sendable (ReplyCapture?) async throws -> C.Reply = { capture in
            try await Self.run(execution, CommandScope(context: context, capture: capture)) { _ in
                try await handler(command, context)
            }
        }
        if C.isMutating, let key = context.idempotencyKey, let ledger = ledger.withLock({ $0 }) {
            return try await ledger.perform(key: key, command: topic, codec: entry.replyCodec, run)
        }
        return try await run(nil)
    }

    func dispatch(command name: String, args: JSONValue, context: CommandContext) async throws -> Data {
        guard let entry = entries.withLock({ $0[name] }) else {
            // While modules start (or stop), a command may not be registered yet (or any more): it is not unknown.
            guard isAccepting else { throw Self.notAccepting }
            throw ConcordError.unknownCommand(name)
        }
        return try await entry.invokeJSON(args, context)
    }

    // MARK: Gate

    func open() {
        gate.withLock { $0.accepting = true }
    }

    /// Stops admitting commands and waits until every admitted one has finished.
    func closeAndDrain() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let drained = gate.withLock { gate in
                gate.accepting = false
                if gate.inFlight == 0 { return true }
                gate.drainWaiters.append(continuation)
                return false
            }
            if drained { continuation.resume() }
        }
    }

    var isAccepting: Bool { gate.withLock { $0.accepting } }
    var inFlight: Int { gate.withLock { $0.inFlight } }

    static let notAccepting = ConcordError(
        .unavailable,
        "the daemon is starting or stopping and takes no commands; retry shortly (system.status says which)",
        details: ["retry_after_ms": 100]
    )

    private func admit(_ topic: String) throws {
        try gate.withLock { gate in
            guard gate.accepting || Self.alwaysAdmitted.contains(topic) else { throw Self.notAccepting }
            gate.inFlight += 1
        }
    }

    private func release() {
        let waiters = gate.withLock { gate -> [CheckedContinuation<Void, Never>] in
            gate.inFlight -= 1
            guard gate.inFlight == 0, !gate.accepting else { return [] }
            defer { gate.drainWaiters.removeAll() }
            return gate.drainWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

extension CommandRegistry {
    /// Forgets every handler of `module`, when it failed to start.
    func unregister(module: String) {
        entries.withLock { entries in entries = entries.filter { $0.value.module != module } }
    }
}
