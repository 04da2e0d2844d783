import Configuration
public import Foundation
public import Logging
import Yams

/// The daemon's settings: defaults, overridden by a YAML file, by `CONCORD_*` variables, then by flags.
public struct DaemonConfiguration: Sendable, Equatable {
    public var dataDirectory: String
    /// Where the plugins are: `plugins.directory`, or `plugins/` beside the data directory.
    public var pluginsDirectory: String
    public var logLevel: Logger.Level
    public var eventsEndpoint: String
    public var commandsEndpoint: String
    public var heartbeatInterval: Duration
    public var maxWritesPerTransaction: Int
    public var securityMode: String
    public var serverSecretKeyFile: String?
    public var allowlist: String?
    public var maxMessageBytes: Int
    public var eventsHighWaterMark: Int
    public var repliesHighWaterMark: Int
    public var commandsInFlight: Int
    /// `modules.<name>.<key>` values, by module name and key.
    public var modules: [String: [String: String]]

    /// Command-line flags that override configuration, by flag name without dashes (`data-dir`).
    public typealias Flags = [String: String]

    /// Loads and checks the configuration; the error names the key or path and what is expected.
    ///
    /// - Parameters:
    ///   - file: the YAML file, if any.
    ///   - moduleNames: the modules that may have a `modules.<name>` section; `nil` leaves the check to
    ///     ``checkModuleSections(known:)``, once the plugins are loaded.
    public static func load(
        file: String?,
        flags: Flags = [:],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        moduleNames: Set<String>? = []
    ) async throws(ConfigurationError) -> DaemonConfiguration {
        var providers: [any ConfigProvider] = []
        var flagValues: [AbsoluteConfigKey: ConfigValue] = [:]
        for setting in Setting.all {
            if let flag = setting.flag, let value = flags[flag] {
                flagValues[AbsoluteConfigKey(ConfigKey(setting.key))] = ConfigValue(.string(value), isSecret: false)
            }
        }
        providers.append(InMemoryProvider(name: "flags", values: flagValues))
        providers.append(
            KeyMappingProvider(upstream: EnvironmentVariablesProvider(environmentVariables: environment)) { key in
                key.prepending(["concord"])
            }
        )
        var moduleValues: [String: [String: String]] = [:]
        if let file {
            moduleValues = try FileChecker(path: file, moduleNames: moduleNames).check()
            do {
                let location = ConfigReader(
                    provider: InMemoryProvider(values: ["filePath": ConfigValue(.string(file), isSecret: false)])
                )
                providers.append(try await FileProvider<YAMLSnapshot>(config: location))
            } catch {
                throw ConfigurationError("config \(file): cannot be read as YAML configuration: \(error)")
            }
        }
        let reader = ConfigReader(providers: providers)
        func value(_ setting: Setting) throws(ConfigurationError) -> String {
            try setting.validate(reader.string(forKey: ConfigKey(setting.key)) ?? setting.defaultValue)
        }
        let dataDirectory = URL(fileURLWithPath: try value(.dataDirectory)).standardizedFileURL
        let pluginsDirectory =
            try value(.pluginsDirectory).nonEmpty.map { URL(fileURLWithPath: $0).standardizedFileURL }
            ?? dataDirectory.deletingLastPathComponent().appendingPathComponent("plugins")
        let configuration = DaemonConfiguration(
            dataDirectory: dataDirectory.path,
            pluginsDirectory: pluginsDirectory.path,
            logLevel: Logger.Level(rawValue: try value(.logLevel)) ?? .info,
            eventsEndpoint: try value(.eventsEndpoint),
            commandsEndpoint: try value(.commandsEndpoint),
            heartbeatInterval: .milliseconds(Int(try value(.heartbeatInterval)) ?? 1000),
            maxWritesPerTransaction: Int(try value(.maxWritesPerTransaction)) ?? 1024,
            securityMode: try value(.securityMode),
            serverSecretKeyFile: try value(.serverSecretKeyFile).nonEmpty,
            allowlist: try value(.allowlist).nonEmpty,
            maxMessageBytes: Int(try value(.maxMessageBytes)) ?? 1 << 20,
            eventsHighWaterMark: Int(try value(.eventsHighWaterMark)) ?? 100_000,
            repliesHighWaterMark: Int(try value(.repliesHighWaterMark)) ?? 1000,
            commandsInFlight: Int(try value(.commandsInFlight)) ?? 64,
            modules: moduleValues
        )
        try configuration.checkSecurity()
        return configuration
    }

    /// Throws when a `modules.<name>` section names none of `known`, the modules and plugins found.
    public func checkModuleSections(known: Set<String>) throws(ConfigurationError) {
        guard let unknown = modules.keys.sorted().first(where: { !known.contains($0) }) else { return }
        throw ConfigurationError(
            "modules.\(unknown): no module named \"\(unknown)\" is loaded; "
                + "loaded modules: \(known.sorted().joined(separator: ", "))")
    }

    /// Refuses endpoints other machines can reach unless CURVE is on, and CURVE without its files.
    func checkSecurity() throws(ConfigurationError) {
        if securityMode == "curve" {
            guard serverSecretKeyFile != nil, allowlist != nil else {
                throw ConfigurationError(
                    "security.mode curve needs security.server_secret_key_file (concordctl keys generate writes one) "
                        + "and security.allowlist (one line per client: <public key> <role> <name>)"
                )
            }
            return
        }
        for (setting, endpoint) in [(Setting.eventsEndpoint, eventsEndpoint), (.commandsEndpoint, commandsEndpoint)]
        where !Self.isLocal(endpoint) {
            throw ConfigurationError(
                "\(setting.key) \(endpoint) can be reached from other machines, and security.mode is none: "
                    + "set security.mode to curve (with security.server_secret_key_file and security.allowlist), "
                    + "or bind 127.0.0.1 or an ipc:// path"
            )
        }
    }

    static func isLocal(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") { return true }
        var host = endpoint.dropFirst("tcp://".count)
        if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
        return host == "localhost" || host == "[::1]" || host.hasPrefix("127.")
    }
}

/// Walks the YAML file itself so that an unknown key or a value of the wrong shape is reported by name;
/// returns the `modules.*` sections.
private struct FileChecker {
    let path: String
    /// The modules a section may name; `nil` when they are checked later.
    let moduleNames: Set<String>?

    func check() throws(ConfigurationError) -> [String: [String: String]] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError("config \(path): cannot be read (\(error.localizedDescription))")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError("config \(path): not valid YAML: \(error)")
        }
        guard let root else { return [:] }
        guard case .mapping(let mapping) = root else {
            throw ConfigurationError("config \(path): expected a mapping of keys at the top level")
        }
        var modules: [String: [String: String]] = [:]
        try walk(mapping, prefix: [], modules: &modules)
        return modules
    }

    private var sections: Set<String> {
        var sections: Set<String> = ["modules"]
        for setting in Setting.all {
            let parts = setting.key.split(separator: ".")
            for length in 1..<parts.count { sections.insert(parts[..<length].joined(separator: ".")) }
        }
        return sections
    }

    private func walk(
        _ mapping: Node.Mapping,
        prefix: [String],
        modules: inout [String: [String: String]]
    ) throws(ConfigurationError) {
        let keys = Set(Setting.all.map(\.key))
        for (keyNode, value) in mapping {
            guard let name = keyNode.string else {
                throw ConfigurationError(
                    "config \(path): keys must be strings (under \"\(prefix.joined(separator: "."))\")")
            }
            let path = prefix + [name]
            let dotted = path.joined(separator: ".")
            if path.first == "modules", path.count >= 2, let moduleNames {
                guard moduleNames.contains(path[1]) else {
                    throw ConfigurationError(
                        "config \(self.path): \(path[..<2].joined(separator: ".")): no module named \"\(path[1])\" is loaded; "
                            + "loaded modules: \(moduleNames.sorted().joined(separator: ", "))"
                    )
                }
            }
            switch value {
            case .mapping(let nested):
                guard sections.contains(dotted) || (path.first == "modules" && path.count >= 2) else {
                    throw keys.contains(dotted)
                        ? ConfigurationError("config \(self.path): \(dotted): expected a single value, got a mapping")
                        : unknown(dotted)
                }
                try walk(nested, prefix: path, modules: &modules)
            case .scalar(let scalar):
                if path.first == "modules", path.count >= 3 {
                    modules[path[1], default: [:]][path[2...].joined(separator: ".")] = scalar.string
                } else if sections.contains(dotted) {
                    throw ConfigurationError(
                        "config \(self.path): \(dotted): expected a mapping with keys "
                            + Setting.all.filter { $0.key.hasPrefix(dotted + ".") }.map(\.key).joined(separator: ", ")
                    )
                } else if !keys.contains(dotted) {
                    throw unknown(dotted)
                }
            case .sequence, .alias:
                throw keys.contains(dotted)
                    ? ConfigurationError("config \(self.path): \(dotted): expected a single value, got a list")
                    : unknown(dotted)
            }
        }
    }

    private func unknown(_ key: String) -> ConfigurationError {
        ConfigurationError(
            "config \(path): unknown key \"\(key)\"; known keys are "
                + Setting.all.map(\.key).joined(separator: ", ") + " and modules.<name>.<key>"
        )
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
