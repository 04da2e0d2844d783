import Bus
import ConcordKit
import ConcordTesting
import Foundation
import Ledger
import Testing

@Suite struct TimerTests {

    private func reminders(_ harness: TestHarness) async throws -> [String] {
        try await harness.journaled(prefixes: ["ledger.reminder."]).compactMap { $0.payload["key"]?.stringValue }
    }

    @Test func aTimerFiresAtItsTimeOnce() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let due = harness.clock.now().addingTimeInterval(3600)
        _ = try await harness.send(SetReminder(key: "plenary", due: due))
        harness.clock.advance(by: 3599)
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await reminders(harness).isEmpty)

        harness.clock.advance(by: 1)
        #expect(try await eventually { try await reminders(harness) == ["plenary"] })
        harness.clock.advance(by: 3600)
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await reminders(harness) == ["plenary"])
    }

    @Test func timersSurviveARestart() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        _ = try await harness.send(
            SetReminder(key: "dialogue", due: harness.clock.now().addingTimeInterval(60)))
        try await harness.restart(modules: [TestLedger()])
        harness.clock.advance(by: 60)
        #expect(try await eventually { try await reminders(harness) == ["dialogue"] })
    }

    @Test func timersThatFellDueWhileStoppedFireOnceAtStartUp() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        _ = try await harness.send(SetReminder(key: "a", due: harness.clock.now().addingTimeInterval(60)))
        _ = try await harness.send(SetReminder(key: "b", due: harness.clock.now().addingTimeInterval(120)))
        await harness.runtime.shutdown()
        harness.clock.advance(by: 86_400)
        try await harness.restart(modules: [TestLedger()])
        #expect(try await eventually { try await reminders(harness).sorted() == ["a", "b"] })
        try await harness.restart(modules: [TestLedger()])
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await reminders(harness).count == 2)
    }

    @Test func aCancelledOrReplacedTimerDoesNotFire() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let now = harness.clock.now()
        _ = try await harness.send(SetReminder(key: "gone", due: now.addingTimeInterval(10)))
        _ = try await harness.send(CancelReminder(key: "gone"))
        _ = try await harness.send(SetReminder(key: "moved", due: now.addingTimeInterval(10)))
        _ = try await harness.send(SetReminder(key: "moved", due: now.addingTimeInterval(1000)))
        harness.clock.advance(by: 100)
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await reminders(harness).isEmpty)
        harness.clock.advance(by: 900)
        #expect(try await eventually { try await reminders(harness) == ["moved"] })
    }

    @Test func subscribersSeeTheFiredEvent() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let subscription = harness.bus.subscribe(to: ReminderDue.self, subscriber: "test", options: MailboxOptions())
        _ = try await harness.send(SetReminder(key: "k", due: harness.clock.now().addingTimeInterval(5)))
        harness.clock.advance(by: 5)
        var batch: [Envelope<ReminderDue>] = []
        #expect(await subscription.mailbox.receive(into: &batch))
        #expect(batch.first?.payload.key == "k")
        #expect(batch.first?.source == "ledger")
    }
}
