import ConcordKit
import ConcordTesting
import Foundation
import GRDB
import Ledger
import Testing

@testable import Bus

@Suite struct WriteSessionTests {
    typealias RecordEntry = TestLedger.RecordProbe

    /// A step that adds an entry named `name` and emits its event.
    static func record(_ name: String) -> @Sendable (WriteTransaction) throws -> Void {
        { transaction in
            try transaction.db.execute(sql: "INSERT INTO ledger_entries(name, amount) VALUES (?, 0)", arguments: [name])
            transaction.emit(EntryRecorded(id: transaction.db.lastInsertedRowID, name: name, amount: 0))
        }
    }

    static func names(_ harness: TestHarness) async throws -> [String] {
        try await harness.journal.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM ledger_entries ORDER BY id")
        }
    }

    @Test func stepsCommitAsOneTransactionAndOtherWritesWaitForIt() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let store = JournalStore(journal: harness.journal, module: "ledger")
        let subscription = harness.bus.subscribe(to: EntryRecorded.self, subscriber: "test", options: MailboxOptions())

        let session = try await store.beginSession(idleTimeout: .seconds(60))
        for name in ["a", "b", "c"] { try await session.append(Self.record(name)) }
        let other = Task { try await harness.send(RecordEntry(name: "other", amount: 1)) }
        try await Task.sleep(for: .milliseconds(200))

        // Nothing of the session is visible yet, and the other write has not got past it.
        #expect(try await Self.names(harness) == [])
        #expect(try await harness.journaled().isEmpty)
        #expect(subscription.mailbox.depth == 0)

        let last = try await session.commit { transaction in
            try Self.record("d")(transaction)
            return transaction.db.lastInsertedRowID
        }
        #expect(last == 4)
        _ = try await other.value

        #expect(try await Self.names(harness) == ["a", "b", "c", "d", "other"])
        let events = try await harness.journaled()
        #expect(events.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(events.map { $0.payload["name"] } == ["a", "b", "c", "d", "other"])
        #expect(harness.journal.headSeq == 5)
        await #expect(throws: ConcordError.self) { try await session.append(Self.record("late")) }
    }

    @Test(.timeLimit(.minutes(1)))
    func aCommitWithMoreEventsThanAwaitDeliveryIsAnsweredAndTheNextWriteWaitsForRoom() async throws {
        let harness = try await TestHarness(modules: [TestLedger()]) { $0.eventsAwaitingDelivery = 4 }
        defer { Task { await harness.close() } }
        // A subscriber that reads nothing yet: the dispatcher stops at it, and committed events wait for it.
        let slow = harness.bus.subscribe(
            to: EntryRecorded.self, subscriber: "slow", options: MailboxOptions(capacity: 1, overflow: .block))
        let store = JournalStore(journal: harness.journal, module: "ledger")
        let session = try await store.beginSession(idleTimeout: .seconds(60))
        for index in 0..<19 { try await session.append(Self.record("s\(index)")) }
        // Answered once durable, though most of its 20 events cannot be handed to the dispatcher yet.
        let last = try await session.commit { transaction in
            try Self.record("s19")(transaction)
            return transaction.db.lastInsertedRowID
        }
        #expect(last == 20)
        // The next write waits until the events before it have room.
        let other = Task { try await harness.send(RecordEntry(name: "other", amount: 1)) }
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await Self.names(harness).count == 20)
        // Everything arrives, in order, as the subscriber reads; then the other write commits.
        var names: [String] = []
        var batch: [Envelope<EntryRecorded>] = []
        while names.count < 21, await slow.mailbox.receive(into: &batch) {
            names += batch.map(\.payload.name)
        }
        #expect(names == (0..<20).map { "s\($0)" } + ["other"])
        _ = try await other.value
    }

    @Test func aStepThatThrowsRollsEverythingBackAndTheCommitReportsIt() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let store = JournalStore(journal: harness.journal, module: "ledger")

        let session = try await store.beginSession(idleTimeout: .seconds(60))
        try await session.append(Self.record("a"))
        try await session.append { transaction in
            try Self.record("b")(transaction)
            throw TestLedger.Failure()
        }
        await #expect(throws: TestLedger.Failure.self) {
            try await session.commit { transaction in try Self.record("c")(transaction) }
        }
        await #expect(throws: TestLedger.Failure.self) { try await session.append(Self.record("d")) }

        #expect(try await Self.names(harness) == [])
        #expect(try await harness.journaled().isEmpty)
        // The writer is free again, and the failed session used no seq.
        _ = try await harness.send(RecordEntry(name: "after", amount: 1))
        #expect(try await harness.journaled().map(\.seq) == [1])
    }

    @Test func anIdleSessionIsRolledBackAndGivesTheWriterBack() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let store = JournalStore(journal: harness.journal, module: "ledger")

        let session = try await store.beginSession(idleTimeout: .milliseconds(500))
        // On a loaded machine the session may time out before this step already; the outcome is the same.
        try? await session.append(Self.record("a"))
        // This write waits for the session, which gives up the writer once it has waited 500 ms for a step.
        _ = try await harness.send(RecordEntry(name: "other", amount: 1))

        let error = await #expect(throws: ConcordError.self) { try await session.append(Self.record("b")) }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("no next step") == true)
        await #expect(throws: ConcordError.self) { try await session.commit { _ in } }
        #expect(try await Self.names(harness) == ["other"])
    }

    @Test func aRolledBackSessionKeepsNothing() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let store = JournalStore(journal: harness.journal, module: "ledger")

        let session = try await store.beginSession(idleTimeout: .seconds(60))
        try await session.append(Self.record("a"))
        await session.rollback()
        await #expect(throws: ConcordError.self) { try await session.commit { _ in } }

        _ = try await harness.send(RecordEntry(name: "after", amount: 1))
        #expect(try await Self.names(harness) == ["after"])
        #expect(try await harness.journaled().map(\.seq) == [1])
    }

    @Test func sessionsTakeTheWriterOneAfterAnother() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let store = JournalStore(journal: harness.journal, module: "ledger")

        let first = try await store.beginSession(idleTimeout: .seconds(60))
        let second = Task {
            let session = try await store.beginSession(idleTimeout: .seconds(60))
            try await session.append(Self.record("second"))
            try await session.commit { _ in }
        }
        try await first.append(Self.record("first"))
        try await Task.sleep(for: .milliseconds(100))
        try await first.commit { _ in }
        try await second.value
        #expect(try await Self.names(harness) == ["first", "second"])
    }

    /// Stopping the daemon does not wait for a client that holds a session open: it is rolled back.
    @Test(.timeLimit(.minutes(1))) func closingTheJournalRollsBackAnOpenSession() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let store = JournalStore(journal: harness.journal, module: "ledger")

        let session = try await store.beginSession(idleTimeout: .seconds(600))
        try await session.append(Self.record("a"))
        try await harness.restart(modules: [TestLedger()])

        #expect(try await Self.names(harness) == [])
        await #expect(throws: ConcordError.self) { try await session.commit { _ in } }
    }
}
