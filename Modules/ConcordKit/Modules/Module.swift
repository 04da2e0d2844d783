/// A unit of Concord's behaviour: it handles commands, publishes and subscribes to events, and owns its tables.
///
/// A module imports `ConcordKit` and `Contracts` only, and never another module: whatever it needs from
/// another module it asks with a query or learns from events.
public protocol Module: Sendable {
    /// What the module is and which messages it handles, publishes and listens to.
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

/// A module's name, version and the messages it deals in; the catalog is built from these.
public struct ModuleDescriptor: Sendable {
    /// Lowercase, and the first word of every topic the module owns.
    public var name: String
    public var version: String
    /// The commands this module handles; each must get a handler during start.
    public var commands: [any Command.Type]
    /// The events this module publishes.
    public var publishes: [any Event.Type]
    /// The topics or topic prefixes this module listens to.
    public var subscribes: [String]

    public init(
        name: String,
        version: String,
        commands: [any Command.Type] = [],
        publishes: [any Event.Type] = [],
        subscribes: [String] = []
    ) {
        self.name = name
        self.version = version
        self.commands = commands
        self.publishes = publishes
        self.subscribes = subscribes
    }
}
