import Bus
public import ConcordKit
import Foundation
public import Logging
import ServiceLifecycle
import Synchronization

/// Runs `concordd`: the runtime and the systemd watchdog in a `ServiceGroup` that stops gracefully on
/// SIGTERM or SIGINT (stop taking commands, finish those in flight, flush, close the database, exit 0).
public enum Daemon {
    /// The modules `concordd` loads besides the built-in `system` module.
    public static let modules: [any Module] = []

    /// Installs the journald-friendly stderr handler for the whole process.
    public static func bootstrapLogging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in JournaldLogHandler(label: label, level: level) }
    }

    /// Opens the store and runs until a shutdown signal; throws ``StoreError`` when the store cannot be used.
    public static func run(configuration: DaemonConfiguration, modules: [any Module] = Daemon.modules) async throws {
        let logger = Logger(label: "concordd")
        let notifier = SystemdNotifier()
        let started = ContinuousClock.now
        let options = RuntimeOptions(
            dataDirectory: configuration.dataDirectory,
            heartbeatInterval: configuration.heartbeatInterval,
            moduleConfiguration: configuration.modules,
            maxWritesPerTransaction: configuration.maxWritesPerTransaction
        )
        let runtimeBox = RuntimeReference()
        let runtime = try Runtime(
            modules: modules,
            options: options,
            logger: logger,
            hooks: Runtime.Hooks(
                ready: {
                    let elapsed = ContinuousClock.now - started
                    let head = runtimeBox.runtime?.journal.headSeq ?? 0
                    notifier.notify("READY=1\nSTATUS=serving; head_seq \(head); started in \(elapsed)")
                },
                stopping: { notifier.notify("STOPPING=1\nSTATUS=stopping: finishing commands in flight") }
            )
        )
        runtimeBox.runtime = runtime
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: runtime)]
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
}

/// Lets the ready hook read the runtime it belongs to.
private final class RuntimeReference: Sendable {
    private let value = Mutex<Runtime?>(nil)

    var runtime: Runtime? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
