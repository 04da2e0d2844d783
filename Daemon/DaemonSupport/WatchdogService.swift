import Bus
import Contracts
import Logging
import ServiceLifecycle

/// Sends `WATCHDOG=1` at half systemd's interval, but only while a command still round-trips through the
/// bus and the database answers: a daemon that hangs is restarted by systemd.
struct WatchdogService: Service {
    let runtime: Runtime
    let notifier: SystemdNotifier
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval / 2)
                do {
                    _ = try await runtime.bus.send(Ping())
                    try await runtime.journal.checkHealth()
                    notifier.notify("WATCHDOG=1")
                } catch {
                    logger.warning("health check failed; not petting the watchdog", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
