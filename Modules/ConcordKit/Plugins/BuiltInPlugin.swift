public import Foundation
public import GRDB

/// Runs a ``PluginModule`` inside the daemon as a built-in ``Module``: what a plugin's tests run with
/// `ConcordTesting`'s `TestHarness`, and the baseline a `.so` plugin is measured against.
///
/// Its store runs the plugin's SQL through the module store it is given, as the daemon does across the boundary.
public struct BuiltInPlugin<Plugin: PluginModule>: Module {
    public let plugin: Plugin

    public init(_ plugin: Plugin = Plugin()) { self.plugin = plugin }

    public var descriptor: ModuleDescriptor {
        let descriptor = Plugin.descriptor
        return ModuleDescriptor(
            name: descriptor.name, version: descriptor.version, publishes: descriptor.publishes,
            namespaces: descriptor.namespaces)
    }

    public var migrations: [Migration] {
        Plugin.migrations.map { migration in Migration(migration.name) { db in try db.execute(sql: migration.sql) } }
    }

    public func start(context: ModuleContext) async throws {
        try await plugin.start(context: Self.pluginContext(context))
    }

    public func stop(context: ModuleContext) async {
        let pluginContext = Self.pluginContext(context)
        await plugin.stop(context: pluginContext)
    }

    /// The context the plugin sees; its tasks and status report are the module's own.
    private static func pluginContext(_ context: ModuleContext) -> PluginContext {
        PluginContext(
            name: context.name, clock: context.clock, logger: context.logger, configuration: context.configuration,
            store: ModulePluginStore(store: context.store), namespaces: context.namespaces,
            backend: ModuleContextBackend(context: context), tasks: context.tasks, statusReport: context.statusReport)
    }
}

private struct ModuleContextBackend: PluginBackend {
    let context: ModuleContext

    func register<C: Command>(_ type: C.Type, execution: CommandExecution, handler: @escaping CommandHandler<C>) throws
    {
        try context.handle(type, runsOn: execution, handler)
    }

    func send<C: Command>(_ command: C) async throws -> C.Reply {
        try await context.send(command)
    }

    func subscribe(
        prefix: String, tasks: ModuleTasks, _ handler: @escaping @Sendable (Envelope<JSONValue>) async -> Void
    ) {
        context.on(prefix: prefix) { envelope in
            await handler(try envelope.map { try JSONValue(encoding: $0) })
        }
    }
}

/// A plugin's SQL run on a module store: the plugin's statements in the module's write transaction.
struct ModulePluginStore: PluginStore {
    let store: any ModuleStore

    func write<T: Sendable>(_ body: @escaping @Sendable (any PluginTransaction) throws -> T) async throws -> T {
        try await store.write { transaction in try body(DatabaseTransaction(transaction: transaction)) }
    }

    func read(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
        try await store.read { db in try DatabaseTransaction.rows(db, sql, arguments) }
    }
}

/// A ``PluginTransaction`` over a module's `WriteTransaction`: the daemon's side of the plugin's store.
public struct DatabaseTransaction: PluginTransaction {
    public let transaction: WriteTransaction

    public init(transaction: WriteTransaction) { self.transaction = transaction }

    public var now: Date { transaction.now }

    public func execute(_ sql: String, _ arguments: [SQLValue]) throws -> SQLChanges {
        let db = transaction.db
        try db.execute(sql: sql, arguments: Self.arguments(arguments))
        return SQLChanges(changes: db.changesCount, lastInsertRowID: db.lastInsertedRowID)
    }

    public func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        try Self.rows(transaction.db, sql, arguments)
    }

    public func emit<E: Event>(_ event: E) throws { transaction.emit(event) }

    public func schedule<E: Event>(_ event: E, at due: Date, key: String) throws {
        try transaction.schedule(event, at: due, key: key)
    }

    public func cancelTimer(key: String) throws { transaction.cancelTimer(key: key) }

    /// Runs a query on `db` and reads its rows as ``SQLValue``s; a blob column reads as null.
    public static func rows(_ db: Database, _ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        try Row.fetchAll(db, sql: sql, arguments: Self.arguments(arguments)).map { row in
            var columns: [String: SQLValue] = [:]
            for (column, value) in row {
                switch value.storage {
                case .null, .blob: columns[column] = .null
                case .int64(let integer): columns[column] = .integer(integer)
                case .double(let real): columns[column] = .real(real)
                case .string(let text): columns[column] = .text(text)
                }
            }
            return SQLRow(columns: columns)
        }
    }

    static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(
            values.map { value -> (any DatabaseValueConvertible)? in
                switch value {
                case .null: nil
                case .integer(let integer): integer
                case .real(let real): real
                case .text(let text): text
                }
            })
    }
}
