import Bus
public import ConcordKit
import Exporting
import Foundation
import Gateway
public import Logging
import Matching
import Notifications
import PluginHost
import Registry
import Scheduling
import ServiceLifecycle
import Synchronization

/// Runs `concordd`: the runtime and the systemd watchdog in a `ServiceGroup` that stops gracefully on
/// SIGTERM or SIGINT (stop taking commands, finish those in flight, flush, close the database, exit 0).
public enum Daemon {
    /// The modules `concordd` loads besides the built-in `system` module.
    public static let modules: [any Module] = [
        RegistryModule(), SchedulingModule(), MatchingModule(), NotificationsModule(), ExportingModule(),
    ]

    /// The `modules.*` sections, with the defaults that depend on the data directory: exports go to `exports/` in it.
    static func moduleConfiguration(_ configuration: DaemonConfiguration) -> [String: [String: String]] {
        var modules = configuration.modules
        if modules["exporting", default: [:]]["directory"] == nil {
            modules["exporting", default: [:]]["directory"] =
                URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("exports").path
        }
        return modules
    }

    /// Installs the journald-friendly stderr handler for the whole process.
    public static func bootstrapLogging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in JournaldLogHandler(label: label, level: level) }
    }

    /// Opens the store and runs until a shutdown signal; throws ``StoreError`` when the store cannot be used.
    ///
    /// With `demo`, the founding documents in ``FoundingDocuments`` (the registry's seeds) are recorded before READY, unless the register has
    /// networks already.
    public static func run(
        configuration: DaemonConfiguration, modules: [any Module] = Daemon.modules, demo: Bool = false
    ) async throws {
        let logger = Logger(label: "concordd")
        let notifier = SystemdNotifier()
        let started = ContinuousClock.now
        let options = RuntimeOptions(
            dataDirectory: configuration.dataDirectory,
            heartbeatInterval: configuration.heartbeatInterval,
            moduleConfiguration: moduleConfiguration(configuration),
            maxWritesPerTransaction: configuration.maxWritesPerTransaction
        )
        let plugins = await PluginLoader.load(directory: configuration.pluginsDirectory, logger: logger)
        try configuration.checkModuleSections(
            known: Set((modules + plugins.modules).map(\.descriptor.name) + plugins.refused.map(\.name)))
        let runtimeBox = RuntimeReference()
        let runtime = try Runtime(
            modules: modules + plugins.modules,
            refused: plugins.refused,
            options: options,
            logger: logger,
            hooks: Runtime.Hooks(
                ready: {
                    let announce = {
                        let elapsed = ContinuousClock.now - started
                        let head = runtimeBox.runtime?.journal.headSeq ?? 0
                        notifier.notify("READY=1\nSTATUS=serving; head_seq \(head); started in \(elapsed)")
                    }
                    guard demo, let bus = runtimeBox.runtime?.bus else { return announce() }
                    Task {
                        do {
                            let loaded = try await FoundingDocuments.load(into: bus)
                            logger.info(
                                loaded
                                    ? "demo data loaded: the four founding documents"
                                    : "demo data not loaded: the register has networks already")
                        } catch {
                            logger.error("demo data could not be loaded", metadata: ["error": "\(error)"])
                        }
                        announce()
                    }
                },
                stopping: { notifier.notify("STOPPING=1\nSTATUS=stopping: finishing commands in flight") }
            )
        )
        runtimeBox.runtime = runtime
        let gateway = try startGateway(configuration: configuration, runtime: runtime, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: GatewayService(gateway: gateway)),
            .init(service: ReloadService(gateway: gateway, logger: logger)),
            .init(service: runtime),
        ]
        if let interval = notifier.watchdogInterval {
            services.append(
                .init(
                    service: WatchdogService(runtime: runtime, notifier: notifier, interval: interval, logger: logger))
            )
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }

    /// Binds the endpoints before the modules start, so READY means clients can connect.
    static func startGateway(configuration: DaemonConfiguration, runtime: Runtime, logger: Logger) throws -> Gateway {
        var security = GatewaySecurity.none
        if configuration.securityMode == "curve", let keyFile = configuration.serverSecretKeyFile,
            let allowlist = configuration.allowlist
        {
            let secret: String
            do {
                secret =
                    try String(contentsOfFile: keyFile, encoding: .utf8)
                    .split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            } catch {
                throw ConfigurationError(
                    "security.server_secret_key_file \(keyFile): cannot be read (\(error.localizedDescription))")
            }
            security = .curve(serverSecretKey: secret, allowlistPath: allowlist)
        }
        let options = GatewayOptions(
            eventsEndpoint: configuration.eventsEndpoint,
            commandsEndpoint: configuration.commandsEndpoint,
            security: security,
            heartbeatInterval: configuration.heartbeatInterval,
            maxMessageSize: Int64(configuration.maxMessageBytes),
            eventsHighWaterMark: Int32(clamping: configuration.eventsHighWaterMark),
            commandsHighWaterMark: Int32(clamping: configuration.repliesHighWaterMark),
            maxInFlightPerClient: configuration.commandsInFlight
        )
        let gateway: Gateway
        do {
            gateway = try Gateway(
                options: options, bus: runtime.bus, externals: runtime.externals, headSeq: { runtime.journal.headSeq },
                logger: logger)
        } catch {
            throw ConfigurationError("\(error)")
        }
        do {
            try gateway.start()
        } catch {
            throw EndpointError(description: "cannot open the endpoints: \(error)")
        }
        try gateway.registerCommands()
        runtime.addCommittedSink { gateway.publish($0) }
        runtime.reportGatewayState { gateway.state }
        if let endpoints = gateway.endpoints {
            FileHandle.standardOutput.write(
                Data("concordd: events \(endpoints.events) commands \(endpoints.commands)\n".utf8)
            )
        }
        return gateway
    }
}

/// The endpoints could not be bound (in use, no permission, bad path): exit status 1, so systemd may retry.
public struct EndpointError: Error, CustomStringConvertible {
    public let description: String
}

/// Lets the ready hook read the runtime it belongs to.
private final class RuntimeReference: Sendable {
    private let value = Mutex<Runtime?>(nil)

    var runtime: Runtime? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
