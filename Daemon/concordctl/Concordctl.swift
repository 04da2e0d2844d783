import ArgumentParser
import ConcordKit
import Foundation
import ZeroMQ

/// `concordctl`: the operator's command line for a running concordd.
@main
struct Concordctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concordctl",
        abstract: "Drive a running concordd over CWP/1.",
        discussion: """
            Endpoints and keys come from the options or from CONCORD_ENDPOINT (commands), \
            CONCORD_EVENTS_ENDPOINT, CONCORD_SERVER_KEY and CONCORD_KEY.
            """,
        subcommands: [Call.self, Status.self, Events.self, Import.self, Keys.self]
    )
}

struct ConnectionFlags: ParsableArguments {
    @Option(help: "Command endpoint (default: CONCORD_ENDPOINT or tcp://127.0.0.1:7402).")
    var endpoint: String?

    @Option(
        name: .customLong("events-endpoint"),
        help: "Event endpoint (default: CONCORD_EVENTS_ENDPOINT or tcp://127.0.0.1:7401).")
    var eventsEndpoint: String?

    @Option(name: .customLong("server-key"), help: "The daemon's public key (Z85) or a file holding it, under CURVE.")
    var serverKey: String?

    @Option(help: "This client's secret key file (NAME.secret from `concordctl keys generate`), under CURVE.")
    var key: String?

    @Option(help: "Seconds to wait for the daemon before giving up.")
    var timeout: Double = 5

    func connection() throws -> ConnectionOptions {
        let environment = ProcessInfo.processInfo.environment
        let serverKey = try (serverKey ?? environment["CONCORD_SERVER_KEY"]).map {
            try Self.readKey($0, what: "--server-key")
        }
        let clientKeys = try (key ?? environment["CONCORD_KEY"]).map { path -> ZMQCurveKeyPair in
            let secret = try Self.readKey(path, what: "--key")
            do {
                return ZMQCurveKeyPair(publicKey: try ZMQCurveKeyPair.publicKey(forSecret: secret), secretKey: secret)
            } catch {
                throw ToolError("--key \(path): expected a file holding a 40-character Z85 secret key", exitCode: 64)
            }
        }
        return ConnectionOptions(
            commands: endpoint ?? environment["CONCORD_ENDPOINT"] ?? environment["CONCORD_ENDPOINTS_COMMANDS"]
                ?? "tcp://127.0.0.1:7402",
            events: eventsEndpoint ?? environment["CONCORD_EVENTS_ENDPOINT"] ?? environment["CONCORD_ENDPOINTS_EVENTS"]
                ?? "tcp://127.0.0.1:7401",
            serverKey: serverKey,
            clientKeys: clientKeys,
            timeout: .milliseconds(Int64(timeout * 1000))
        )
    }

    /// A Z85 key given inline, or the first line of the file it names.
    static func readKey(_ value: String, what: String) throws -> String {
        if ZMQCurveKeyPair.isZ85Key(value) { return value }
        guard let text = try? String(contentsOfFile: value, encoding: .utf8) else {
            throw ToolError("\(what) \(value): neither a Z85 key nor a readable key file", exitCode: 64)
        }
        let key =
            text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .first { !$0.isEmpty && !$0.hasPrefix("#") } ?? ""
        guard ZMQCurveKeyPair.isZ85Key(key) else {
            throw ToolError("\(what) \(value): the file does not hold a 40-character Z85 key", exitCode: 64)
        }
        return key
    }
}

/// Runs a tool body, printing a ToolError as one line and exiting with its code.
func runTool(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ToolError {
        FileHandle.standardError.write(Data("concordctl: \(error.description)\n".utf8))
        throw ExitCode(error.exitCode)
    } catch let error as ZMQError {
        FileHandle.standardError.write(Data("concordctl: \(error.description)\n".utf8))
        throw ExitCode(1)
    }
}

/// Prints `value` as the daemon wrote it, keys in their order (`pretty`: indented by two spaces).
func printJSON(_ value: JSONValue, pretty: Bool) {
    var json = JSONBytes()
    json.value(value, indent: pretty ? 2 : 0)
    json.raw("\n")
    FileHandle.standardOutput.write(Data(json.bytes))
}

struct Call: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send one command and print its result as JSON (exit 0), or its error (exit 1).",
        discussion: #"Example: concordctl call events.replay '{"after_seq": 0, "limit": 10}'"#
    )

    @OptionGroup var connection: ConnectionFlags

    @Argument(help: "The command, such as system.ping (system.catalog lists them).")
    var command: String

    @Argument(help: "The command's args as a JSON object.")
    var args: String?

    @Option(name: .customLong("idempotency-key"), help: "Makes a retry return the first reply and change nothing.")
    var idempotencyKey: String?

    @Flag(help: "Print the result on one line.")
    var compact = false

    func run() throws {
        try runTool {
            var parsedArgs: Any?
            if let args {
                guard let data = args.data(using: .utf8), let value = try? JSONSerialization.jsonObject(with: data),
                    value is [String: Any]
                else {
                    throw ToolError(
                        "args: expected a JSON object such as '{\"after_seq\": 0}', got \(args)", exitCode: 64)
                }
                parsedArgs = value
            }
            let client = try CommandClient(options: try connection.connection())
            let reply = try client.call(command, args: parsedArgs, idempotencyKey: idempotencyKey)
            if reply["ok"] as? Bool == true {
                printJSON(reply.value["result"] ?? .null, pretty: !compact)
            } else {
                let error = reply["error"] as? [String: Any]
                throw ToolError(
                    "\(error?["code"] as? String ?? "error"): \(error?["message"] as? String ?? "the daemon refused the command")"
                )
            }
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the daemon's modules, journal head, endpoints and drops.")

    @OptionGroup var connection: ConnectionFlags

    @Flag(help: "Print system.status as JSON.")
    var json = false

    func run() throws {
        try runTool {
            let client = try CommandClient(options: try connection.connection())
            let reply = try client.call("system.status")
            guard reply["ok"] as? Bool == true, let status = reply["result"] as? [String: Any] else {
                let error = reply["error"] as? [String: Any]
                throw ToolError("\(error?["code"] as? String ?? "error"): \(error?["message"] as? String ?? "")")
            }
            if json {
                printJSON(reply.value["result"] ?? .null, pretty: true)
                return
            }
            var lines = [
                "concordd \(status["version"] ?? "?")  up \(Int(status["uptime_seconds"] as? Double ?? 0)) s  "
                    + "head_seq \(status["head_seq"] ?? 0)  \((status["accepting"] as? Bool ?? false) ? "accepting commands" : "NOT accepting commands")"
            ]
            for module in status["modules"] as? [[String: Any]] ?? [] {
                let error = (module["error"] as? String).map { "  (\($0))" } ?? ""
                lines.append(
                    "  module \(module["name"] ?? "?") \(module["version"] ?? "") \(module["state"] ?? "?")\(error)")
            }
            if let gateway = status["gateway"] as? [String: Any] {
                lines.append(
                    "  events \(gateway["events_endpoint"] ?? "?")  commands \(gateway["commands_endpoint"] ?? "?")  security \(gateway["security_mode"] ?? "?")"
                )
                lines.append(
                    "  published \(gateway["events_published"] ?? 0)  dropped \(gateway["events_dropped"] ?? 0)  "
                        + "subscriptions \(gateway["event_subscriptions"] ?? 0)  commands \(gateway["commands_received"] ?? 0)  "
                        + "rejected \(gateway["commands_rejected"] ?? 0)  refused \(gateway["clients_refused"] ?? 0)"
                )
                lines.append(
                    "  replies dropped \(gateway["replies_dropped"] ?? 0) "
                        + "(high-water mark \(gateway["reply_high_water_mark"] ?? "?") per client)"
                )
            }
            lines.append("  drops \(status["drops"] ?? 0)")
            print(lines.joined(separator: "\n"))
        }
    }
}

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage CURVE keys.",
        subcommands: [Generate.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new key pair as NAME.secret (mode 0600) and NAME.public, in ZeroMQ's Z85 form."
        )

        @Option(help: "Directory to write the key files to.")
        var out: String = "."

        @Option(help: "Base name of the key files.")
        var name: String = "concord"

        @Option(help: "Role to print in the suggested allowlist line.")
        var role: String = "operator"

        func run() throws {
            try runTool {
                let keys = try ZMQCurveKeyPair.generate()
                let directory = URL(fileURLWithPath: out)
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let secret = directory.appendingPathComponent("\(name).secret")
                let publicFile = directory.appendingPathComponent("\(name).public")
                guard !FileManager.default.fileExists(atPath: secret.path) else {
                    throw ToolError(
                        "\(secret.path) exists; refusing to overwrite a key (choose another --name or --out)",
                        exitCode: 73)
                }
                guard
                    FileManager.default.createFile(
                        atPath: secret.path,
                        contents: Data((keys.secretKey + "\n").utf8),
                        attributes: [.posixPermissions: 0o600]
                    )
                else {
                    throw ToolError("\(secret.path): cannot be written", exitCode: 73)
                }
                try (keys.publicKey + "\n").write(to: publicFile, atomically: true, encoding: .utf8)
                print("secret key: \(secret.path)")
                print("public key: \(publicFile.path)")
                print("allowlist line: \(keys.publicKey) \(role) \(name)")
            }
        }
    }
}
