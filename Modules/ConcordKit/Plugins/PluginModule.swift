import Foundation

/// A module built as a plugin: loaded by `concordd` from its plugins directory, without rebuilding the daemon.
///
/// It is written as a ``Module`` is (typed commands and events, handlers registered in ``start(context:)``), with
/// two differences that come from the C boundary between the daemon and the plugin, where no Swift type crosses:
/// its store is SQL text and values (``PluginStore``), not GRDB, and the facts the daemon checks before starting it
/// (``descriptor``, ``migrations``) are static. Export it with ``PluginExport/table(for:)``; run it in-process, for
/// tests and benchmarks, with ``BuiltInPlugin``.
public protocol PluginModule: Sendable {
    /// What the module is, the events it publishes and the namespaces it owns.
    static var descriptor: PluginDescriptor { get }

    /// The module's schema changes, in order, as SQL; applied by the daemon before ``start(context:)``, each once.
    static var migrations: [SQLMigration] { get }

    init()

    /// Registers handlers and subscriptions and starts whatever the module runs.
    ///
    /// A module that throws here is reported as failed by `system.status`; the other modules still run.
    func start(context: PluginContext) async throws

    /// Stops the module; its subscriptions are closed and its tasks awaited after this returns.
    func stop(context: PluginContext) async
}

extension PluginModule {
    public static var migrations: [SQLMigration] { [] }
    public func stop(context: PluginContext) async {}
}

/// A plugin's name, version, the events it emits and the namespaces it owns, as ``ModuleDescriptor`` has them.
public struct PluginDescriptor: Sendable {
    public var name: String
    public var version: String
    public var publishes: [any Event.Type]
    public var namespaces: [String]

    public init(name: String, version: String, publishes: [any Event.Type] = [], namespaces: [String]? = nil) {
        self.name = name
        self.version = version
        self.publishes = publishes
        self.namespaces = namespaces ?? [name]
    }
}

/// A named schema change of a plugin's tables, as SQL (one or more statements).
///
/// Names are prefixed with the module's name when applied; a plugin's tables are named after it, as every
/// module's are.
public struct SQLMigration: Sendable {
    public var name: String
    public var sql: String

    public init(_ name: String, sql: String) {
        self.name = name
        self.sql = sql
    }
}
