import Logging

/// One configuration key: its YAML path, its flag, its default, and how its value is checked.
struct Setting: Sendable {
    enum Kind: Sendable {
        case path
        case optionalPath
        case endpoint
        case integer(ClosedRange<Int>)
        case choice([String])
    }

    let key: String
    let flag: String?
    let defaultValue: String
    let kind: Kind
    let help: String

    /// `CONCORD_` and the key in upper snake case, as swift-configuration maps it.
    var environmentName: String {
        "CONCORD_" + key.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }

    /// Where a value for this key may come from, for messages.
    var sources: String {
        [key, environmentName, flag.map { "--\($0)" }].compactMap { $0 }.joined(separator: ", ")
    }

    static let dataDirectory = Setting(
        key: "data_dir",
        flag: "data-dir",
        defaultValue: "data",
        kind: .path,
        help: "directory of the SQLite database (created if missing)"
    )
    static let pluginsDirectory = Setting(
        key: "plugins.directory",
        flag: "plugins-dir",
        defaultValue: "",
        kind: .optionalPath,
        help: "directory of the plugins (*.so) loaded at start-up; default: plugins/ beside the data directory"
    )
    static let logLevel = Setting(
        key: "log.level",
        flag: "log-level",
        defaultValue: "info",
        kind: .choice(Logger.Level.allCases.map(\.rawValue)),
        help: "least severe level logged"
    )
    static let eventsEndpoint = Setting(
        key: "endpoints.events",
        flag: "events",
        defaultValue: "tcp://127.0.0.1:7401",
        kind: .endpoint,
        help: "ZeroMQ address of the event stream (XPUB)"
    )
    static let commandsEndpoint = Setting(
        key: "endpoints.commands",
        flag: "commands",
        defaultValue: "tcp://127.0.0.1:7402",
        kind: .endpoint,
        help: "ZeroMQ address of the command endpoint (ROUTER)"
    )
    static let heartbeatInterval = Setting(
        key: "events.heartbeat_interval_ms",
        flag: nil,
        defaultValue: "1000",
        kind: .integer(10...3_600_000),
        help: "milliseconds between system.heartbeat events"
    )
    static let maxWritesPerTransaction = Setting(
        key: "journal.max_writes_per_transaction",
        flag: nil,
        defaultValue: "1024",
        kind: .integer(1...100_000),
        help: "the most concurrent writes committed in one transaction and fsync"
    )

    static let securityMode = Setting(
        key: "security.mode",
        flag: nil,
        defaultValue: "none",
        kind: .choice(["none", "curve"]),
        help: "none (loopback and ipc:// only) or curve"
    )
    static let serverSecretKeyFile = Setting(
        key: "security.server_secret_key_file",
        flag: nil,
        defaultValue: "",
        kind: .optionalPath,
        help: "file holding the server's Z85 secret key (concordctl keys generate writes one)"
    )
    static let allowlist = Setting(
        key: "security.allowlist",
        flag: nil,
        defaultValue: "",
        kind: .optionalPath,
        help: "file of client public keys with their roles; SIGHUP reloads it"
    )
    static let maxMessageBytes = Setting(
        key: "limits.max_message_bytes",
        flag: nil,
        defaultValue: "1048576",
        kind: .integer(1024...(64 << 20)),
        help: "largest message a client may send (ZMQ_MAXMSGSIZE); a peer sending more is disconnected"
    )
    static let eventsHighWaterMark = Setting(
        key: "limits.events_send_hwm",
        flag: nil,
        defaultValue: "100000",
        kind: .integer(1...10_000_000),
        help: "events queued per subscriber before drops (replay recovers them)"
    )
    static let repliesHighWaterMark = Setting(
        key: "limits.replies_send_hwm",
        flag: nil,
        defaultValue: "1000",
        kind: .integer(1...10_000_000),
        help: "replies queued for a client that does not read them before they are dropped and counted"
    )
    static let commandsInFlight = Setting(
        key: "limits.commands_in_flight",
        flag: nil,
        defaultValue: "64",
        kind: .integer(1...100_000),
        help: "commands one client may have in flight; beyond it the answer is unavailable"
    )

    static let all: [Setting] = [
        dataDirectory, pluginsDirectory, logLevel, eventsEndpoint, commandsEndpoint, heartbeatInterval,
        maxWritesPerTransaction,
        securityMode, serverSecretKeyFile, allowlist, maxMessageBytes, eventsHighWaterMark,
        repliesHighWaterMark, commandsInFlight,
    ]

    /// Checks `value` and returns it in canonical form, or says what is wrong.
    func validate(_ value: String) throws(ConfigurationError) -> String {
        switch kind {
        case .path:
            guard !value.isEmpty else { throw ConfigurationError("\(sources): expected a directory path, got \"\"") }
            return value
        case .optionalPath:
            return value
        case .endpoint:
            guard Self.isEndpoint(value) else {
                throw ConfigurationError(
                    "\(sources): expected a ZeroMQ address such as tcp://127.0.0.1:7401 or ipc:///run/concord/events, "
                        + "got \"\(value)\""
                )
            }
            return value
        case .integer(let range):
            guard let number = Int(value), range.contains(number) else {
                throw ConfigurationError(
                    "\(sources): expected an integer from \(range.lowerBound) to \(range.upperBound), got \"\(value)\""
                )
            }
            return String(number)
        case .choice(let choices):
            guard choices.contains(value.lowercased()) else {
                throw ConfigurationError(
                    "\(sources): expected one of \(choices.joined(separator: ", ")), got \"\(value)\""
                )
            }
            return value.lowercased()
        }
    }

    static func isEndpoint(_ value: String) -> Bool {
        if value.hasPrefix("ipc://") { return value.count > "ipc://".count }
        guard value.hasPrefix("tcp://") else { return false }
        let rest = value.dropFirst("tcp://".count)
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) else {
            return false
        }
        return !rest[..<colon].isEmpty && (1...65_535).contains(port)
    }
}
