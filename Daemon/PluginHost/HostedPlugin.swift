import Bus
import CConcordPlugin
public import ConcordKit
import Foundation
import GRDB
import Logging
import Synchronization

/// A plugin that passed its load checks, run as a module: its commands registered on the bus as untyped ones,
/// each handled across the C boundary, and its SQL run in the module's own write transactions.
public final class HostedPlugin: Module {
    public let path: String
    let table: PluginTable
    let description: PluginDescription
    let compiler: String
    let concordRange: String
    private let running = Mutex<RunningPlugin?>(nil)

    init(path: String, table: PluginTable, description: PluginDescription, compiler: String, concordRange: String) {
        self.path = path
        self.table = table
        self.description = description
        self.compiler = compiler
        self.concordRange = concordRange
    }

    public var name: String { description.name }
    public var version: String { description.version }

    public var descriptor: ModuleDescriptor {
        ModuleDescriptor(
            name: description.name, version: description.version, publishesUntyped: description.events,
            namespaces: description.namespaces)
    }

    public var migrations: [Migration] {
        description.migrations.map { migration in Migration(migration.name) { db in try db.execute(sql: migration.sql) }
        }
    }

    public func start(context: ModuleContext) async throws {
        guard let bus = context.bus as? LocalMessageBus else {
            throw ConcordError(.internal, "plugin \"\(name)\" needs the daemon's bus")
        }
        let bridge = HostBridge(context: context, table: table)
        let configuration = try JSONStreamEncoder.encode(
            JSONValue.object(
                JSONObject(
                    uniqueKeysWithValues: context.configuration.values.sorted { $0.key < $1.key }
                        .map { ($0.key, JSONValue.string($0.value)) })))
        let started = try await bridge.start(configuration: configuration)
        let plugin = RunningPlugin(bridge: bridge)
        running.withLock { $0 = plugin }
        let loaded: JSONValue = [
            "path": .string(path), "abi": .int(Int64(CONCORD_PLUGIN_ABI_VERSION)), "swift": .string(compiler),
            "concord": .string(concordRange),
        ]
        context.statusReport.provide {
            var details: JSONObject = ["plugin": loaded]
            let report = await bridge.status()
            if report != .null { details["report"] = report }
            return .object(details)
        }
        for command in try Self.commands(in: started, namespaces: context.namespaces, plugin: name) {
            try bus.register(untyped: command, module: name) { args, scope in
                try await bridge.handle(command.topic.rawValue, args: args, scope: scope)
            }
        }
    }

    public func stop(context: ModuleContext) async {
        guard let plugin = running.withLock({ $0 }) else { return }
        await plugin.bridge.stop()
    }

    /// The commands the plugin registered as it started, each checked to lie in its namespaces.
    static func commands(in started: Data, namespaces: [String], plugin: String) throws -> [UntypedCommand] {
        guard case .object(let fields)? = JSONValue.parse(started), case .array(let commands)? = fields["commands"]
        else { throw ConcordError(.internal, "plugin \"\(plugin)\" started without listing its commands") }
        return try commands.enumerated().map { index, value in
            guard case .object(let command) = value, case .string(let name)? = command["command"] else {
                throw ConcordError(.internal, "plugin \"\(plugin)\": commands[\(index)] has no command")
            }
            let topic = try Topic(validating: name)
            try ModuleDescriptor.checkHandles(topic, by: plugin, kind: "plugin", namespaces: namespaces)
            var mutating = true
            if case .bool(let value)? = command["mutating"] { mutating = value }
            var execution = CommandExecution.pool
            if case .string("inline")? = command["execution"] { execution = .inline }
            return UntypedCommand(
                topic: topic, isMutating: mutating, execution: execution,
                argsSchema: command["args_schema"] ?? .object([:]), replySchema: command["reply_schema"] ?? .object([:])
            )
        }
    }
}

/// A started plugin's bridge, kept until it stops.
private struct RunningPlugin: Sendable {
    let bridge: HostBridge
}
