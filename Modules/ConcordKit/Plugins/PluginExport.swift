import CConcordPlugin
import Foundation
import Logging
import Synchronization

/// Exports a ``PluginModule`` through Concord's C plugin ABI (`concord_plugin.h`).
///
/// A plugin exports it with one function:
///
/// ```swift
/// @_cdecl("concord_plugin_v1")
/// public func concordPluginV1() -> UnsafeRawPointer { PluginExport.table(for: MembershipDues.self) }
/// ```
public enum PluginExport {
    /// The plugin's constant table: the ABI version, the Concord versions and the Swift compiler it was built
    /// with (read by the daemon before anything else), and the functions the daemon calls once they matched.
    ///
    /// It runs none of the module's code; the module is made when the daemon starts it.
    public static func table<Plugin: PluginModule>(for type: Plugin.Type) -> UnsafeRawPointer {
        exported.withLock { exported in
            if let exported { return UnsafeRawPointer(exported.table.pointer!) }
            let descriptor = Plugin.descriptor
            let table = UnsafeMutablePointer<concord_plugin_v1_table>.allocate(capacity: 1)
            table.initialize(
                to: concord_plugin_v1_table(
                    abi_version: CONCORD_PLUGIN_ABI_VERSION,
                    size: UInt32(MemoryLayout<concord_plugin_v1_table>.size),
                    name: strdup(descriptor.name),
                    version: strdup(descriptor.version),
                    concord_from: strdup(ConcordVersion.current),
                    concord_below: strdup(Self.nextMinor(of: ConcordVersion.current)),
                    swift_compiler: strdup(ConcordVersion.swiftCompiler),
                    describe: describe,
                    start: start,
                    handle: handle,
                    deliver: deliver,
                    status: status,
                    stop: stop
                ))
            exported = Exported(type: Plugin.self, table: OpaqueHandle(UnsafeMutableRawPointer(table)))
            return UnsafeRawPointer(table)
        }
    }

    /// A plugin runs on the Concord it was built against up to, not including, the next minor version: until
    /// 1.0, a minor version may change the ABI's JSON.
    static func nextMinor(of version: String) -> String {
        let numbers = ConcordVersion.numbers(version) ?? [0]
        let major = numbers[0]
        let minor = numbers.count > 1 ? numbers[1] : 0
        return "\(major).\(minor + 1).0"
    }

    private struct Exported: Sendable {
        let type: any PluginModule.Type
        let table: OpaqueHandle
    }

    private static let exported = Mutex<Exported?>(nil)

    private static var pluginType: (any PluginModule.Type)? { exported.withLock { $0?.type } }

    // MARK: The functions in the table

    private static let describe: @convention(c) (UnsafeMutableRawPointer?, concord_result_fn?) -> Void = {
        token, result in
        CallBridge.answer(Result { try PluginExport.description() }, token: token, result)
    }

    private static let start:
        @convention(c) (
            UnsafePointer<concord_host_v1>?, UnsafePointer<UInt8>?, Int, UnsafeMutableRawPointer?, concord_result_fn?
        ) -> UnsafeMutableRawPointer? = { host, configuration, length, token, result in
            guard let host, let type = PluginExport.pluginType else {
                CallBridge.answer(
                    .failure(ConcordError(.internal, "the plugin was started without a host")), token: token, result)
                return nil
            }
            let instance = PluginInstance(host: host.pointee, configuration: copyBytes(configuration, length))
            let answer = OpaqueHandle(token)
            Task {
                let outcome = await instance.start(type)
                CallBridge.answer(outcome, token: answer.pointer, result)
            }
            return Unmanaged.passRetained(instance).toOpaque()
        }

    private static let handle:
        @convention(c) (
            UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafePointer<UInt8>?, Int, UnsafePointer<UInt8>?, Int,
            UnsafePointer<UInt8>?, Int, UnsafeMutableRawPointer?, concord_result_fn?
        ) -> Void = { instance, scope, topic, topicLength, args, argsLength, context, contextLength, token, reply in
            guard let instance else { return }
            let plugin = Unmanaged<PluginInstance>.fromOpaque(instance).takeUnretainedValue()
            let command = copyText(topic, topicLength)
            let arguments = copyBytes(args, argsLength)
            let meta = copyBytes(context, contextLength)
            let scope = OpaqueHandle(scope)
            let answer = OpaqueHandle(token)
            Task {
                let outcome = await plugin.handle(command, args: arguments, context: meta, scope: scope)
                CallBridge.answer(outcome, token: answer.pointer, reply)
            }
        }

    private static let deliver:
        @convention(c) (
            UnsafeMutableRawPointer?, UnsafePointer<UInt8>?, Int, UnsafeMutableRawPointer?, concord_result_fn?
        ) -> Void = { instance, events, length, token, result in
            guard let instance else { return }
            let plugin = Unmanaged<PluginInstance>.fromOpaque(instance).takeUnretainedValue()
            let batch = copyBytes(events, length)
            let answer = OpaqueHandle(token)
            Task {
                await plugin.deliver(batch)
                CallBridge.answer(.success(Data("null".utf8)), token: answer.pointer, result)
            }
        }

    private static let status:
        @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, concord_result_fn?) -> Void = {
            instance, token, result in
            guard let instance else { return }
            let plugin = Unmanaged<PluginInstance>.fromOpaque(instance).takeUnretainedValue()
            let answer = OpaqueHandle(token)
            Task {
                let report = await plugin.context?.statusReport.current() ?? .null
                CallBridge.answer(Result { try JSONStreamEncoder.encode(report) }, token: answer.pointer, result)
            }
        }

    private static let stop:
        @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, concord_result_fn?) -> Void = {
            instance, token, result in
            guard let instance else { return }
            let plugin = Unmanaged<PluginInstance>.fromOpaque(instance).takeRetainedValue()
            let answer = OpaqueHandle(token)
            Task {
                await plugin.stop()
                CallBridge.answer(.success(Data("null".utf8)), token: answer.pointer, result)
            }
        }

    /// The module as `describe` answers it: what the daemon checks and applies before it starts the module.
    static func description() throws -> Data {
        guard let type = pluginType else { throw ConcordError(.internal, "no plugin module is exported") }
        let descriptor = type.descriptor
        let events = descriptor.publishes.map { event -> JSONValue in
            .object(["topic": .string(event.topic.rawValue), "payload_schema": JSONSchema.of(event)])
        }
        let migrations = type.migrations.map { migration -> JSONValue in
            .object(["name": .string(migration.name), "sql": .string(migration.sql)])
        }
        return try JSONStreamEncoder.encode(
            JSONValue.object([
                "name": .string(descriptor.name), "version": .string(descriptor.version),
                "namespaces": .array(descriptor.namespaces.map(JSONValue.string)), "events": .array(events),
                "migrations": .array(migrations),
            ]))
    }
}
