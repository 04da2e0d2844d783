/// What a command handler is given besides the command.
public struct CommandContext: Sendable {
    /// The `id` the caller gave its request; events the command causes carry it as `correlation_id`.
    public var requestID: String?
    /// A client-chosen key that makes a retry return the first reply and change nothing (24 h).
    public var idempotencyKey: String?
    /// Who sent the command: a module name, or the name an allowlist gives a client key.
    public var caller: String
    /// The caller's role under CURVE (`reader`, `operator`, ...), as the gateway checked it; `nil` for a module, or
    /// a client when CURVE is off.
    public var role: String?
    /// The topic of the command being handled; set by the bus.
    public var command: String?

    public init(
        requestID: String? = nil, idempotencyKey: String? = nil, caller: String = "internal", role: String? = nil
    ) {
        self.requestID = requestID
        self.idempotencyKey = idempotencyKey
        self.caller = caller
        self.role = role
    }

    /// The context of the command the current task is handling, if any.
    @TaskLocal public static var current: CommandContext?
}

/// Handles one command type.
public typealias CommandHandler<C: Command> = @Sendable (C, CommandContext) async throws -> C.Reply

/// The typed message bus a module talks through.
///
/// Modules never call each other: they send commands to the single handler of a command type,
/// publish events, and subscribe to event types or topic prefixes.
public protocol MessageBus: Sendable {
    /// Registers the one handler of `type`, run where `execution` says; a second registration for the same
    /// type throws.
    func register<C: Command>(
        _ type: C.Type, module: String, execution: CommandExecution, handler: @escaping CommandHandler<C>
    ) throws

    /// Sends a command to its handler and returns the reply.
    func send<C: Command>(_ command: C, context: CommandContext) async throws -> C.Reply

    /// Subscribes to one event type.
    func subscribe<E: Event>(to type: E.Type, subscriber: String, options: MailboxOptions) -> Subscription<E>

    /// Subscribes to every event whose topic starts with `prefix` (the empty prefix gets everything).
    func subscribe(prefix: String, subscriber: String, options: MailboxOptions) -> Subscription<any Event>
}

extension MessageBus {
    /// Sends a command from inside the current one: the reply's events keep the caller's correlation,
    /// but not its idempotency key, which belongs to the outer command alone.
    public func send<C: Command>(_ command: C) async throws -> C.Reply {
        let outer = CommandContext.current
        let context = CommandContext(requestID: outer?.requestID, caller: outer?.caller ?? "internal")
        return try await send(command, context: context)
    }
}
