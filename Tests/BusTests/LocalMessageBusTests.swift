import Bus
import ConcordKit
import Foundation
import Ledger
import Testing

@Suite struct LocalMessageBusTests {

    private func envelope<E: Event>(_ event: E) -> Envelope<E> {
        Envelope(topic: E.topic, time: Date(), source: "test", payload: event)
    }

    @Test func typedSubscribersGetTheirTypeOnlyAndPrefixSubscribersGetTheFamily() async {
        let bus = LocalMessageBus()
        let entries = bus.subscribe(to: EntryRecorded.self, subscriber: "a", options: MailboxOptions())
        let everything = bus.subscribe(prefix: "ledger.", subscriber: "b", options: MailboxOptions())
        let other = bus.subscribe(prefix: "registry.", subscriber: "c", options: MailboxOptions())

        await bus.deliver(envelope(EntryRecorded(id: 1, name: "one", amount: 0)))
        await bus.deliver(envelope(ReminderDue(key: "k")))
        await bus.deliver(envelope(EntryRecorded(id: 2, name: "two", amount: 0)))

        var typed: [Envelope<EntryRecorded>] = []
        #expect(await entries.mailbox.receive(into: &typed))
        #expect(typed.map(\.payload.id) == [1, 2])
        var erased: [Envelope<any Event>] = []
        #expect(await everything.mailbox.receive(into: &erased))
        #expect(
            erased.map(\.topic.rawValue) == ["ledger.entry.recorded", "ledger.reminder.due", "ledger.entry.recorded"])
        #expect(other.mailbox.depth == 0)
    }

    @Test func cancelledSubscriptionsReceiveNothingMore() async {
        let bus = LocalMessageBus()
        let subscription = bus.subscribe(to: EntryRecorded.self, subscriber: "a", options: MailboxOptions())
        subscription.cancel()
        await bus.deliver(envelope(EntryRecorded(id: 1, name: "one", amount: 0)))
        #expect(subscription.mailbox.received == 0)
        #expect(bus.subscriberStates.isEmpty)
    }

    @Test func aSecondHandlerForACommandIsRefused() throws {
        let bus = LocalMessageBus()
        try bus.register(CountEntries.self, module: "ledger", execution: .inline) { _, _ in 1 }
        let error = #expect(throws: ConcordError.self) {
            try bus.register(CountEntries.self, module: "copycat", execution: .inline) { _, _ in 2 }
        }
        #expect(error?.code == .conflict)
        #expect(error?.message.contains("ledger") == true)
        #expect(error?.message.contains("copycat") == true)
    }

    @Test func slowDropSubscriberDoesNotHoldBackOthers() async {
        let bus = LocalMessageBus()
        let slow = bus.subscribe(
            to: EntryRecorded.self,
            subscriber: "slow",
            options: MailboxOptions(capacity: 10, overflow: .drop)
        )
        let fast = bus.subscribe(to: EntryRecorded.self, subscriber: "fast", options: MailboxOptions(capacity: 1000))
        for id in 0..<100 { await bus.deliver(envelope(EntryRecorded(id: Int64(id), name: "x", amount: 0))) }
        #expect(slow.mailbox.depth == 10)
        #expect(slow.mailbox.dropped == 90)
        #expect(fast.mailbox.depth == 100)
        #expect(bus.subscriberStates.first { $0.subscriber == "slow" }?.dropped == 90)
    }
}
