import ConcordKit
import ConcordTesting
import Foundation
import Ledger
import Testing

/// How a module is tested: a real runtime on a temporary store (``TestHarness``), a ``TestClock`` that tests move
/// instead of sleeping, and the journal read back to see exactly what was committed.
@Suite struct LedgerModuleTests {
    @Test func recordingCommitsTheRowAndItsEventTogether() async throws {
        let harness = try await TestHarness(modules: [LedgerModule()])
        defer { Task { await harness.close() } }

        let recorded = try await harness.send(RecordEntry(name: "dues 2026: Bishkek", amount: 12_000))

        #expect(recorded.name == "dues 2026: Bishkek")
        #expect(try await harness.send(CountEntries()) == 1)
        let events = try await harness.journaled(prefixes: ["ledger."])
        #expect(events.map(\.topic.rawValue) == ["ledger.entry.recorded"])
        #expect(events.first?.payload["amount"] == .int(12_000))
    }

    @Test func badInputIsRefusedNamingTheFieldAndWritesNothing() async throws {
        let harness = try await TestHarness(modules: [LedgerModule()])
        defer { Task { await harness.close() } }

        let error = await #expect(throws: ConcordError.self) {
            try await harness.send(RecordEntry(name: "", amount: 1))
        }

        #expect(error?.code == .badRequest)
        #expect(error?.message.hasPrefix("name:") == true)
        #expect(try await harness.send(CountEntries()) == 0)
        #expect(try await harness.journaled().isEmpty)
    }

    @Test func anIdempotentRetryGetsTheFirstReplyFromOneCommit() async throws {
        let harness = try await TestHarness(modules: [LedgerModule()])
        defer { Task { await harness.close() } }
        let before = harness.journal.transactionCount

        let first = try await harness.send(RecordEntry(name: "pledge", amount: 5), idempotencyKey: "pledge-1")
        let committed = harness.journal.transactionCount - before
        let retry = try await harness.send(RecordEntry(name: "pledge", amount: 5), idempotencyKey: "pledge-1")

        #expect(retry == first)
        #expect(committed == 1)
        #expect(try await harness.send(CountEntries()) == 1)
    }

    @Test func aReminderFiresWhenTheClockReachesItAndACancelledOneNever() async throws {
        let harness = try await TestHarness(modules: [LedgerModule()])
        defer { Task { await harness.close() } }
        let due = harness.clock.now().addingTimeInterval(3600)
        let reminders = harness.bus.subscribe(to: ReminderDue.self, subscriber: "test", options: MailboxOptions())

        _ = try await harness.send(SetReminder(key: "cancelled", due: due))
        _ = try await harness.send(CancelReminder(key: "cancelled"))
        _ = try await harness.send(SetReminder(key: "invoice", due: due.addingTimeInterval(1)))
        harness.clock.advance(by: 7200)

        var batch: [Envelope<ReminderDue>] = []
        var iterator = reminders.makeAsyncIterator()
        while batch.isEmpty, let next = await iterator.next() { batch += next }
        // The cancelled reminder was due first; the first to arrive is the one that was kept.
        #expect(batch.first?.payload == ReminderDue(key: "invoice"))
    }
}
