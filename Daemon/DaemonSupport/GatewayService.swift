import Gateway
import Logging
import ServiceLifecycle
import UnixSignals

/// Keeps the gateway's endpoints open until graceful shutdown; listed before the runtime in the service
/// group, it stops after the runtime has answered every admitted command.
struct GatewayService: Service {
    let gateway: Gateway

    func run() async throws {
        try? await gracefulShutdown()
        await gateway.stop()
    }
}

/// Reloads the allowlist on SIGHUP.
struct ReloadService: Service {
    let gateway: Gateway
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                logger.notice("SIGHUP: reloading the allowlist")
                gateway.reloadAllowlist()
            }
        }
    }
}
