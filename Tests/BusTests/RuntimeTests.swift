import Bus
import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Logging
import ServiceLifecycle
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct RuntimeTests {
    /// Subscribes to entries and throws on the ones named "poison".
    struct FragileModule: Module {
        var descriptor: ModuleDescriptor {
            ModuleDescriptor(name: "fragile", version: "1.0.0", subscribes: [LedgerModule.EntryRecorded.topic.rawValue])
        }

        let seen: LogCapture

        func start(context: ModuleContext) async throws {
            context.on(LedgerModule.EntryRecorded.self) { envelope in
                if envelope.payload.name == "poison" { throw LedgerModule.Failure() }
                seen.logger().info("\(envelope.payload.name)")
            }
        }
    }

    @Test func aThrowingHandlerIsLoggedWithTheMessageIDAndTheModuleGoesOn() async throws {
        let seen = LogCapture()
        let harness = try await TestHarness(modules: [LedgerModule(), FragileModule(seen: seen)])
        defer { Task { await harness.close() } }
        _ = try await harness.send(LedgerModule.RecordEntry(name: "before", amount: 1))
        _ = try await harness.send(LedgerModule.RecordEntry(name: "poison", amount: 2))
        _ = try await harness.send(LedgerModule.RecordEntry(name: "after", amount: 3))
        #expect(try await eventually { seen.all.map(\.message) == ["before", "after"] })

        let poisonID = try #require(try await harness.journaled().first { $0.payload["name"] == "poison" }?.id)
        let failure = try #require(harness.logs.all.first { $0.message.contains("handler failed") })
        #expect(failure.level == .error)
        #expect(failure.metadata["message_id"] == poisonID.uuidString.lowercased())
        #expect(failure.metadata["module"] == "fragile")
    }

    @Test func aModuleThatFailsToStartIsReportedAndTheOthersRun() async throws {
        let harness = try await TestHarness(modules: [BrokenModule(), LedgerModule()])
        defer { Task { await harness.close() } }
        let status = try await harness.send(GetStatus())
        let broken = try #require(status.modules.first { $0.name == "broken" })
        #expect(broken.state == .failed)
        #expect(broken.error?.contains("cannot reach its configuration") == true)
        #expect(status.modules.first { $0.name == "ledger" }?.state == .running)
        #expect(try await harness.send(LedgerModule.RecordEntry(name: "fine", amount: 1)).id == 1)
        #expect(harness.logs.all.contains { $0.level == .error && $0.metadata["module"] == "broken" })
    }

    @Test func aModuleThatForgetsAHandlerFailsAndItsOtherHandlersAreRemoved() async throws {
        struct Forgetful: Module {
            var descriptor: ModuleDescriptor {
                ModuleDescriptor(
                    name: "forgetful", version: "1", commands: [LedgerModule.CountEntries.self, Ping.self])
            }
            func start(context: ModuleContext) async throws {
                try context.handle(LedgerModule.CountEntries.self) { _, _ in 7 }
            }
        }
        let harness = try await TestHarness(modules: [Forgetful()])
        defer { Task { await harness.close() } }
        #expect(harness.runtime.moduleStates.first { $0.name == "forgetful" }?.state == .failed)
        let error = await #expect(throws: ConcordError.self) { _ = try await harness.send(LedgerModule.CountEntries()) }
        #expect(error?.code == .unknownCommand)
    }

    @Test func sigtermFinishesAdmittedCommandsAndRefusesNewOnes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let logs = LogCapture()
        let runtime = try Runtime(
            modules: [LedgerModule(handlerDelay: .milliseconds(300))],
            options: RuntimeOptions(dataDirectory: directory.path),
            logger: logs.logger()
        )
        // SIGTERM is handled by the group, exactly as in concordd; this is the only test that installs it.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: runtime)],
                gracefulShutdownSignals: [.sigterm],
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            )
        )
        let running = Task { try await group.run() }
        // Commands are taken once start-up has finished (after the modules run and the housekeeping write).
        #expect(try await eventually { runtime.bus.isAcceptingCommands })

        let inFlight = (0..<40).map { index in
            Task { try await runtime.bus.send(LedgerModule.RecordEntry(name: "n\(index)", amount: index)) }
        }
        // Let every command be admitted and wait in its handler.
        try await Task.sleep(for: .milliseconds(100))
        #expect(runtime.journal.headSeq == 0)
        kill(getpid(), SIGTERM)
        // The signal is handled asynchronously; wait until the runtime has begun to stop.
        #expect(try await eventually { !runtime.bus.isAcceptingCommands })
        let late = await #expect(throws: ConcordError.self) {
            _ = try await runtime.bus.send(LedgerModule.RecordEntry(name: "late", amount: 0))
        }
        #expect(late?.code == .unavailable)

        var replies: [LedgerModule.Recorded] = []
        for task in inFlight { replies.append(try await task.value) }
        #expect(Set(replies.map(\.id)).count == 40)
        try await running.value

        let reopened = try await TestHarness(modules: [LedgerModule()]) { $0.dataDirectory = directory.path }
        #expect(try await reopened.send(LedgerModule.CountEntries()) == 40)
        #expect(reopened.journal.headSeq == 40)
        await reopened.runtime.shutdown()
    }
}
