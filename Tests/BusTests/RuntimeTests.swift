import Bus
import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Ledger
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
            ModuleDescriptor(name: "fragile", version: "1.0.0")
        }

        let seen: LogCapture

        func start(context: ModuleContext) async throws {
            context.on(EntryRecorded.self) { envelope in
                if envelope.payload.name == "poison" { throw TestLedger.Failure() }
                seen.logger().info("\(envelope.payload.name)")
            }
        }
    }

    @Test func aThrowingHandlerIsLoggedWithTheMessageIDAndTheModuleGoesOn() async throws {
        let seen = LogCapture()
        let harness = try await TestHarness(modules: [TestLedger(), FragileModule(seen: seen)])
        defer { Task { await harness.close() } }
        _ = try await harness.send(RecordEntry(name: "before", amount: 1))
        _ = try await harness.send(RecordEntry(name: "poison", amount: 2))
        _ = try await harness.send(RecordEntry(name: "after", amount: 3))
        #expect(try await eventually { seen.all.map(\.message) == ["before", "after"] })

        let poisonID = try #require(try await harness.journaled().first { $0.payload["name"] == "poison" }?.id)
        let failure = try #require(harness.logs.all.first { $0.message.contains("handler failed") })
        #expect(failure.level == .error)
        #expect(failure.metadata["message_id"] == poisonID.uuidString.lowercased())
        #expect(failure.metadata["module"] == "fragile")
    }

    @Test func aModuleThatFailsToStartIsReportedAndTheOthersRun() async throws {
        let harness = try await TestHarness(modules: [BrokenModule(), TestLedger()])
        defer { Task { await harness.close() } }
        let status = try await harness.send(GetStatus())
        let broken = try #require(status.modules.first { $0.name == "broken" })
        #expect(broken.state == .failed)
        #expect(broken.error?.contains("cannot reach its configuration") == true)
        #expect(status.modules.first { $0.name == "ledger" }?.state == .running)
        #expect(try await harness.send(RecordEntry(name: "fine", amount: 1)).id == 1)
        #expect(harness.logs.all.contains { $0.level == .error && $0.metadata["module"] == "broken" })
    }

    /// Handles a command of another module's namespace: it cannot start, and what it did register is removed.
    struct Trespasser: Module {
        var descriptor: ModuleDescriptor { ModuleDescriptor(name: "trespasser", version: "1") }
        func start(context: ModuleContext) async throws {
            try context.handle(Lookup.self) { _, _ in 7 }
            try context.handle(CountEntries.self) { _, _ in 7 }
        }
        struct Lookup: Query {
            static let topic: Topic = "trespasser.thing.get"
            typealias Reply = Int
        }
    }

    @Test func aModuleThatHandlesAnotherNamespaceFailsAndItsOtherHandlersAreRemoved() async throws {
        let harness = try await TestHarness(modules: [Trespasser()])
        defer { Task { await harness.close() } }
        let state = harness.runtime.moduleStates.first { $0.name == "trespasser" }
        #expect(state?.state == .failed)
        #expect(state?.error?.contains("ledger.entries.count") == true)
        let error = await #expect(throws: ConcordError.self) { _ = try await harness.send(Trespasser.Lookup()) }
        #expect(error?.code == .unknownCommand)
    }

    /// Emits an event it does not declare, and declares one outside its namespace when asked.
    struct Undeclared: Module {
        struct Shout: Command {
            static let topic: Topic = "undeclared.shout.send"
            typealias Reply = Acknowledged
        }
        struct Shouted: Event {
            static let topic: Topic = "undeclared.shout.sent"
        }
        var foreign = false
        var descriptor: ModuleDescriptor {
            ModuleDescriptor(name: "undeclared", version: "1", publishes: foreign ? [EntryRecorded.self] : [])
        }
        func start(context: ModuleContext) async throws {
            try context.handle(Shout.self) { _, _ in
                try await context.store.write { transaction in
                    transaction.emit(Shouted())
                    return Acknowledged()
                }
            }
        }
    }

    @Test func aWriteThatEmitsAnUndeclaredEventFailsNamingModuleAndEvent() async throws {
        let harness = try await TestHarness(modules: [Undeclared()])
        defer { Task { await harness.close() } }
        let error = await #expect(throws: ConcordError.self) { _ = try await harness.send(Undeclared.Shout()) }
        #expect(error?.code == .internal)
        #expect(error?.message.contains("\"undeclared\" emitted undeclared.shout.sent") == true)
        #expect(try await harness.journaled().isEmpty)
    }

    @Test func aModuleThatPublishesOutsideItsNamespaceDoesNotStart() async throws {
        let harness = try await TestHarness(modules: [Undeclared(foreign: true)])
        defer { Task { await harness.close() } }
        let state = harness.runtime.moduleStates.first { $0.name == "undeclared" }
        #expect(state?.state == .failed)
        #expect(state?.error?.contains("publishes ledger.entry.recorded, outside its namespaces") == true)
    }

    @Test func sigtermFinishesAdmittedCommandsAndRefusesNewOnes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let logs = LogCapture()
        let runtime = try Runtime(
            modules: [TestLedger(handlerDelay: .milliseconds(300))],
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
            Task { try await runtime.bus.send(TestLedger.RecordProbe(name: "n\(index)", amount: index)) }
        }
        // Let every command be admitted and wait in its handler.
        try await Task.sleep(for: .milliseconds(100))
        #expect(runtime.journal.headSeq == 0)
        kill(getpid(), SIGTERM)
        // The signal is handled asynchronously; wait until the runtime has begun to stop.
        #expect(try await eventually { !runtime.bus.isAcceptingCommands })
        let late = await #expect(throws: ConcordError.self) {
            _ = try await runtime.bus.send(TestLedger.RecordProbe(name: "late", amount: 0))
        }
        #expect(late?.code == .unavailable)

        var replies: [EntryRecorded] = []
        for task in inFlight { replies.append(try await task.value) }
        #expect(Set(replies.map(\.id)).count == 40)
        try await running.value

        let reopened = try await TestHarness(modules: [TestLedger()]) { $0.dataDirectory = directory.path }
        #expect(try await reopened.send(CountEntries()) == 40)
        #expect(reopened.journal.headSeq == 40)
        await reopened.runtime.shutdown()
    }
}
