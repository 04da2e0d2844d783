/// A unit of Concord's behaviour: it handles commands, publishes and subscribes to events, and owns its tables.
///
/// A module imports `ConcordKit` and `Contracts` only, and never another module: whatever it needs from
/// another module it asks with a query or learns from events.
///
/// Each fact is said once. The commands a module handles are the handlers it registers in
/// ``start(context:)`` with ``ModuleContext/handle(_:runsOn:_:)``; the events it emits are its descriptor's
/// ``ModuleDescriptor/publishes``. The runtime checks both: a command outside the module's topic namespace
/// or registered twice fails its start, and a write that emits an event not in `publishes` fails, naming the
/// module and the event.
public protocol Module: Sendable {
    /// What the module is and which events it publishes.
    var descriptor: ModuleDescriptor { get }

    /// The module's schema changes, in order; applied before ``start(context:)``.
    var migrations: [Migration] { get }

    /// Registers handlers and subscriptions and starts whatever the module runs.
    ///
    /// A module that throws here is reported as failed by `system.status`; the others still run.
    func start(context: ModuleContext) async throws

    /// Stops the module; its subscriptions are closed and its tasks awaited after this returns.
    func stop(context: ModuleContext) async
}

extension Module {
    public var migrations: [Migration] { [] }
    public func stop(context: ModuleContext) async {}
}

/// A module's name, version and the events it emits; the catalog is built from these and its handlers.
public struct ModuleDescriptor: Sendable {
    /// Lowercase, and the first word of every topic the module owns.
    public var name: String
    public var version: String
    /// The events this module emits; emitting any other fails the write that tries.
    public var publishes: [any Event.Type]
    /// The events this module emits that have no Swift type in the daemon (a plugin's), with their schemas.
    public var publishesUntyped: [UntypedEventDeclaration]
    /// The first words of the topics the module owns: its name, unless it says otherwise.
    public var namespaces: [String]

    public init(
        name: String,
        version: String,
        publishes: [any Event.Type] = [],
        publishesUntyped: [UntypedEventDeclaration] = [],
        namespaces: [String]? = nil
    ) {
        self.name = name
        self.version = version
        self.publishes = publishes
        self.publishesUntyped = publishesUntyped
        self.namespaces = namespaces ?? [name]
    }

    /// The topics of every event the module emits, typed or not.
    public var publishedTopics: [Topic] { publishes.map { $0.topic } + publishesUntyped.map(\.topic) }

    /// Whether `topic` lies in one of the module's namespaces (`registry.actor.register` in `registry`).
    public func owns(_ topic: Topic) -> Bool {
        namespaces.contains { $0 == topic.namespace }
    }

    /// Throws unless the command `topic` lies in `namespaces`: what a module (or a plugin, `kind`) may handle.
    public static func checkHandles(
        _ topic: Topic, by module: String, kind: String = "module", namespaces: [String]
    ) throws(ConcordError) {
        guard !namespaces.contains(where: { $0 == topic.namespace }) else { return }
        throw ConcordError(
            .internal,
            "\(kind) \"\(module)\" cannot handle \(topic): its commands are named \(namespaces.map { "\($0).*" }.joined(separator: " or "))"
        )
    }
}

/// Where the bus runs a command's handler; declared with the handler, decided by the bus.
public enum CommandExecution: Sendable {
    /// On the thread that received the command (the gateway's I/O thread for clients): for handlers that do
    /// little besides awaiting the store, so a reply needs no thread hop.
    case inline
    /// On the shared concurrent pool: for handlers that compute (parse, check, encode a large reply), so they
    /// never hold up the I/O of other clients.
    case pool
}
