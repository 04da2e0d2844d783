import ArgumentParser
import Bus
import ConcordKit
import DaemonSupport
import Foundation

/// `concordd`: the Concord daemon.
@main
struct Concordd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concordd",
        abstract: "The Concord daemon: register, meetings, matching, notifications and exports for city networks.",
        discussion: """
            Settings come from defaults, then the YAML file (--config or CONCORD_CONFIG), then CONCORD_* \
            environment variables, then these flags. A configuration or data-directory problem stops the \
            daemon with one line naming the key or path, and exit status 78.
            """,
        version: ConcordVersion.current
    )

    @Option(name: .long, help: "YAML configuration file.")
    var config: String?

    @Option(name: .customLong("data-dir"), help: "Directory of the SQLite database (default: ./data).")
    var dataDir: String?

    @Option(
        name: .customLong("plugins-dir"),
        help: "Directory of the plugins (*.so) to load (default: plugins/ beside the data directory).")
    var pluginsDir: String?

    @Option(name: .long, help: "ZeroMQ address of the event stream (default: tcp://127.0.0.1:7401).")
    var events: String?

    @Option(name: .long, help: "ZeroMQ address of the command endpoint (default: tcp://127.0.0.1:7402).")
    var commands: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Flag(
        help:
            "Load the four founding documents (UMCI, ANMC21, the Central Asian coalition, Metropolis and UCLG ASPAC) into an empty register."
    )
    var demo = false

    func run() async throws {
        var flags: DaemonConfiguration.Flags = [:]
        flags["data-dir"] = dataDir
        flags["plugins-dir"] = pluginsDir
        flags["events"] = events
        flags["commands"] = commands
        flags["log-level"] = logLevel
        let environment = ProcessInfo.processInfo.environment
        let settings: DaemonConfiguration
        do {
            settings = try await DaemonConfiguration.load(
                file: config ?? environment["CONCORD_CONFIG"],
                flags: flags,
                environment: environment,
                // Checked once the plugins are loaded, whose sections are as valid as the modules'.
                moduleNames: nil
            )
        } catch {
            Self.fail(error.description)
        }
        Daemon.bootstrapLogging(level: settings.logLevel)
        do {
            try await Daemon.run(configuration: settings, demo: demo)
        } catch let error as StoreError {
            Self.fail(error.description)
        } catch let error as ConfigurationError {
            Self.fail(error.description)
        } catch let error as EndpointError {
            FileHandle.standardError.write(Data("concordd: \(error.description)\n".utf8))
            Foundation.exit(1)
        }
    }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("concordd: \(message)\n".utf8))
        Foundation.exit(ConfigurationError.exitStatus)
    }
}
