import Bus
import ConcordKit
import Contracts
import Foundation

/// A small typed event: what most of the bus's traffic looks like.
struct Tick: Event {
    static let topic: Topic = "bench.tick"
    var n: Int
}

struct Echo: Query {
    static let topic: Topic = "bench.echo"
    typealias Reply = Int
    var n: Int
}

enum BusBenchmarks {
    static let batchSize = 512

    /// Publishes `count` ticks in batches and returns the seconds until every subscriber has them all.
    static func deliver(count: Int, subscribers: Int) async -> Double {
        let bus = LocalMessageBus()
        let subscriptions = (0..<subscribers).map { index in
            bus.subscribe(to: Tick.self, subscriber: "s\(index)", options: MailboxOptions(capacity: 65_536))
        }
        let start = ContinuousClock.now
        let consumers = subscriptions.map { subscription in
            Task {
                var received = 0
                var checksum = 0
                for await batch in subscription {
                    received += batch.count
                    checksum &+= batch.last?.payload.n ?? 0
                    if received >= count { break }
                }
                return checksum
            }
        }
        var batch: [Envelope<Tick>] = []
        batch.reserveCapacity(batchSize)
        var sent = 0
        while sent < count {
            batch.removeAll(keepingCapacity: true)
            let now = Date()
            let end = min(sent + batchSize, count)
            for n in sent..<end {
                batch.append(Envelope(topic: Tick.topic, time: now, source: "bench", payload: Tick(n: n)))
            }
            await bus.deliver(contentsOf: batch)
            sent = end
        }
        for consumer in consumers { _ = await consumer.value }
        return seconds(since: start)
    }

    static func oneToOne() async -> Report {
        let count = 20_000_000
        _ = await deliver(count: 1_000_000, subscribers: 1)
        let elapsed = await deliver(count: count, subscribers: 1)
        return Report(
            name: "bus.1to1",
            value: Double(count) / elapsed,
            unit: "events/s",
            target: ">= 10000000",
            extra: ["events": Double(count), "seconds": elapsed]
        )
    }

    static func fanOut() async -> Report {
        let count = 4_000_000
        _ = await deliver(count: 200_000, subscribers: 8)
        let elapsed = await deliver(count: count, subscribers: 8)
        return Report(
            name: "bus.fanout8",
            value: Double(count) / elapsed,
            unit: "events/s per subscriber",
            target: ">= 2000000 per subscriber",
            extra: ["events_per_subscriber": Double(count), "subscribers": 8, "seconds": elapsed]
        )
    }

    static func requestReply() async throws -> Report {
        let bus = LocalMessageBus()
        try bus.register(Echo.self, module: "bench", execution: .inline) { query, _ in query.n }
        let requesters = 64
        let perRequester = 40_000
        func run(_ perRequester: Int) async throws -> Double {
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Int.self) { group in
                for requester in 0..<requesters {
                    group.addTask {
                        var sum = 0
                        for n in 0..<perRequester { sum &+= try await bus.send(Echo(n: n &+ requester)) }
                        return sum
                    }
                }
                for try await _ in group {}
            }
            return seconds(since: start)
        }
        _ = try await run(2_000)
        let elapsed = try await run(perRequester)
        let total = Double(requesters * perRequester)
        return Report(
            name: "bus.request_reply",
            value: total / elapsed,
            unit: "round trips/s",
            target: ">= 500000",
            extra: ["requesters": Double(requesters), "round_trips": total, "seconds": elapsed]
        )
    }
}
