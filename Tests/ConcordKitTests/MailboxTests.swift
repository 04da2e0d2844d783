import ConcordKit
import Synchronization
import Testing

@Suite struct MailboxTests {
    @Test func dropPolicyKeepsCapacityAndCountsTheRest() async {
        let mailbox = Mailbox<Int>(options: MailboxOptions(capacity: 4, overflow: .drop))
        var accepted = 0
        for value in 0..<10 where mailbox.trySend(value) { accepted += 1 }
        #expect(accepted == 4)
        #expect(mailbox.dropped == 6)
        #expect(mailbox.depth == 4)
        var batch: [Int] = []
        #expect(await mailbox.receive(into: &batch))
        #expect(batch == [0, 1, 2, 3])
    }

    @Test func dropPolicyNeverBlocksAsyncSenders() async {
        let mailbox = Mailbox<Int>(options: MailboxOptions(capacity: 2, overflow: .drop))
        let dropped = await mailbox.send(contentsOf: 0..<5)
        #expect(dropped == 3)
        #expect(await mailbox.send(9) == false)
        #expect(mailbox.dropped == 4)
    }

    @Test func sendWhatFitsQueuesTheFirstOnesThereIsRoomForAndCountsNoDrop() async {
        let mailbox = Mailbox<Int>(options: MailboxOptions(capacity: 4, overflow: .block))
        #expect(mailbox.sendWhatFits([0, 1, 2]) == 3)
        #expect(mailbox.sendWhatFits([3, 4, 5]) == 1)
        #expect(mailbox.sendWhatFits([6]) == 0)
        #expect(mailbox.dropped == 0)
        var batch: [Int] = []
        #expect(await mailbox.receive(into: &batch))
        #expect(batch == [0, 1, 2, 3])
        mailbox.close()
        #expect(mailbox.sendWhatFits([7]) == 0)
    }

    @Test func blockPolicyHoldsThePublisherUntilTheConsumerMakesRoom() async throws {
        let mailbox = Mailbox<Int>(options: MailboxOptions(capacity: 2, overflow: .block))
        let sent = Atomic<Int>(0)
        let producer = Task {
            for value in 0..<6 {
                await mailbox.send(value)
                sent.add(1, ordering: .relaxed)
            }
        }
        // The producer fills the mailbox and then waits: it cannot get past two unread messages.
        while mailbox.depth < 2 { await Task.yield() }
        for _ in 0..<100 { await Task.yield() }
        #expect(sent.load(ordering: .relaxed) == 2)
        #expect(mailbox.dropped == 0)

        var received: [Int] = []
        var batch: [Int] = []
        while received.count < 6, await mailbox.receive(into: &batch) {
            #expect(batch.count <= 2)
            received += batch
        }
        await producer.value
        #expect(received == Array(0..<6))
        #expect(mailbox.dropped == 0)
    }

    @Test func consumerGetsWhatWasQueuedBeforeClose() async {
        let mailbox = Mailbox<String>()
        await mailbox.send("a")
        await mailbox.send("b")
        mailbox.close()
        #expect(await mailbox.send("c") == false)
        var batch: [String] = []
        #expect(await mailbox.receive(into: &batch))
        #expect(batch == ["a", "b"])
        #expect(await mailbox.receive(into: &batch) == false)
    }

    @Test func waitingConsumerIsWokenBySend() async {
        let mailbox = Mailbox<Int>()
        let consumer = Task { () -> [Int] in
            var batch: [Int] = []
            _ = await mailbox.receive(into: &batch)
            return batch
        }
        for _ in 0..<50 { await Task.yield() }
        await mailbox.send(42)
        #expect(await consumer.value == [42])
    }
}
