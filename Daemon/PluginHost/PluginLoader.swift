import CConcordPlugin
public import ConcordKit
public import Contracts
import Foundation
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Finds the plugins in a directory and checks each before any of its code runs: the table's ABI version, the
/// Concord versions it was built for and the Swift compiler it was built with.
public enum PluginLoader {
    /// What loading a directory gave: the plugins to start, in file-name order, and those refused, with why.
    public struct Outcome: Sendable {
        public var modules: [any Module]
        public var refused: [ModuleState]
    }

    /// Loads every `*.so` in `directory`, in the byte order of their file names; a directory that does not exist
    /// holds no plugins.
    public static func load(directory: String, logger: Logger) async -> Outcome {
        var outcome = Outcome(modules: [], refused: [])
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".so") }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        } catch {
            logger.debug(
                "no plugins loaded: the plugins directory cannot be read", metadata: ["directory": "\(directory)"])
            return outcome
        }
        for file in files {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(file).path
            switch await load(path: path) {
            case .success(let plugin):
                logger.info(
                    "plugin loaded",
                    metadata: ["plugin": "\(plugin.name)", "version": "\(plugin.version)", "path": "\(path)"])
                outcome.modules.append(plugin)
            case .failure(let refusal):
                logger.error(
                    "plugin refused: \(refusal.reason)",
                    metadata: ["plugin": "\(refusal.name)", "path": "\(path)"])
                outcome.refused.append(
                    ModuleState(name: refusal.name, version: refusal.version, state: .refused, error: refusal.reason))
            }
        }
        return outcome
    }

    /// Why a plugin was not loaded, and the name and version it gives (its file's name when it gives none).
    public struct Refusal: Error, Sendable {
        public var name: String
        public var version: String
        public var reason: String
    }

    /// Opens one plugin and checks it; describes it once the checks passed.
    public static func load(path: String) async -> Result<HostedPlugin, Refusal> {
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let fileName = stem.hasPrefix("lib") ? String(stem.dropFirst(3)) : stem
        func refuse(_ reason: String, name: String = fileName, version: String = "") -> Result<HostedPlugin, Refusal> {
            .failure(Refusal(name: name, version: version, reason: reason))
        }
        guard let library = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            return refuse("it cannot be loaded: \(dlerror().map { String(cString: $0) } ?? "dlopen failed")")
        }
        guard let symbol = dlsym(library, CONCORD_PLUGIN_ENTRY) else {
            return refuse("it is not a Concord plugin: it exports no \(CONCORD_PLUGIN_ENTRY) function")
        }
        let entry = unsafeBitCast(symbol, to: concord_plugin_v1_entry.self)
        guard let raw = entry() else { return refuse("its \(CONCORD_PLUGIN_ENTRY) returned no table") }
        // The ABI version is the table's first field in every version: read it before trusting the layout.
        let abi = UnsafeRawPointer(raw).load(as: UInt32.self)
        guard abi == CONCORD_PLUGIN_ABI_VERSION else {
            return refuse(
                "it was built for plugin ABI \(abi); this concordd loads plugin ABI \(CONCORD_PLUGIN_ABI_VERSION)")
        }
        let table = raw.pointee
        let needed = MemoryLayout<concord_plugin_v1_table>.size
        guard Int(table.size) >= needed else {
            return refuse("its table has \(table.size) bytes; plugin ABI \(abi) needs \(needed)")
        }
        let name = table.name.map { String(cString: $0) } ?? fileName
        let version = table.version.map { String(cString: $0) } ?? ""
        let from = table.concord_from.map { String(cString: $0) } ?? "?"
        let below = table.concord_below.map { String(cString: $0) } ?? "?"
        guard ConcordVersion.version(ConcordVersion.current, isFrom: from, below: below) else {
            return refuse(
                "it was built for Concord \(from) up to, not including, \(below); this is Concord \(ConcordVersion.current)",
                name: name, version: version)
        }
        let compiler = table.swift_compiler.map { String(cString: $0) } ?? "?"
        guard compiler == ConcordVersion.swiftCompiler || compiler == "none" else {
            return refuse(
                "it was built with Swift \(compiler); this concordd was built with Swift \(ConcordVersion.swiftCompiler), and Swift has no stable ABI on Linux: rebuild the plugin with it",
                name: name, version: version)
        }
        guard table.describe != nil, table.start != nil, table.handle != nil, table.deliver != nil,
            table.status != nil, table.stop != nil
        else { return refuse("its table lacks a function that plugin ABI 1 requires", name: name, version: version) }
        let described = await CallBridge.awaitResult { token, result in table.describe?(token, result) }
        let description: PluginDescription
        do {
            description = try PluginDescription(try described.get())
        } catch {
            return refuse("its description cannot be read: \(error)", name: name, version: version)
        }
        guard description.name == name else {
            return refuse(
                "its table is named \"\(name)\" but it describes a module named \"\(description.name)\"", name: name,
                version: version)
        }
        return .success(
            HostedPlugin(
                path: path, table: PluginTable(raw), description: description, compiler: compiler,
                concordRange: "\(from) up to \(below)"))
    }
}

/// A plugin's table, read-only after the entry returned it and valid for the life of the process.
struct PluginTable: @unchecked Sendable {
    let pointer: UnsafePointer<concord_plugin_v1_table>

    init(_ pointer: UnsafePointer<concord_plugin_v1_table>) { self.pointer = pointer }

    var table: concord_plugin_v1_table { pointer.pointee }
}

/// What a plugin's `describe` answered.
struct PluginDescription: Sendable {
    var name: String
    var version: String
    var namespaces: [String]
    var events: [UntypedEventDeclaration]
    var migrations: [(name: String, sql: String)]

    init(_ json: Data) throws {
        guard case .object(let fields)? = JSONValue.parse(json) else {
            throw ConcordError.badRequest("expected a JSON object")
        }
        guard case .string(let name)? = fields["name"] else { throw ConcordError.badRequest("name: missing") }
        self.name = name
        if case .string(let version)? = fields["version"] { self.version = version } else { self.version = "" }
        namespaces = [name]
        if case .array(let values)? = fields["namespaces"] {
            namespaces = values.compactMap { if case .string(let text) = $0 { text } else { nil } }
        }
        events = []
        if case .array(let values)? = fields["events"] {
            for (index, value) in values.enumerated() {
                guard case .object(let event) = value, case .string(let topic)? = event["topic"] else {
                    throw ConcordError.badRequest("events[\(index)]: expected {\"topic\", \"payload_schema\"}")
                }
                events.append(
                    UntypedEventDeclaration(
                        topic: try Topic(validating: topic), payloadSchema: event["payload_schema"] ?? .object([:])))
            }
        }
        migrations = []
        if case .array(let values)? = fields["migrations"] {
            for (index, value) in values.enumerated() {
                guard case .object(let migration) = value, case .string(let name)? = migration["name"],
                    case .string(let sql)? = migration["sql"]
                else { throw ConcordError.badRequest("migrations[\(index)]: expected {\"name\", \"sql\"}") }
                migrations.append((name, sql))
            }
        }
    }
}
