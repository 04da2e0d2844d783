import ConcordKit
import Contracts
import Foundation
import Logging
import Synchronization

/// Sends what is due: scans the queue by due time, cuts digests whose time has come, and runs attempts
/// concurrently, at most `max_in_flight` at once and `max_in_flight_per_host` to one host, so a dead endpoint
/// holds only its own slots while the others go on. Each outcome is written with its event in one transaction.
final class Dispatcher: Sendable {
    private struct Flight {
        var ids: Set<Int64> = []
        var lanes: [String: Int] = [:]
        var stopped = false
    }

    let engine: NotificationsEngine
    let waker = Waker()
    private let flight = Mutex(Flight())

    init(engine: NotificationsEngine) { self.engine = engine }

    var inFlight: Int { flight.withLock { $0.ids.count } }

    var isStopped: Bool { flight.withLock { $0.stopped } }

    func stop() {
        flight.withLock { $0.stopped = true }
        waker.wake()
    }

    func run() async {
        let clock = engine.clock
        await withDiscardingTaskGroup { group in
            while !flight.withLock({ $0.stopped }) {
                let now = clock.now()
                var next: Date?
                do {
                    try await engine.cutDigests(now: now)
                    let (busy, full) = occupied()
                    let room = engine.settings.maxInFlight - busy.count
                    let due =
                        room <= 0
                        ? []
                        : try await engine.store.read { db in
                            try NotificationsStore(db: db).due(
                                by: now.timeIntervalSince1970, excluding: busy, lanes: full, limit: room)
                        }
                    for row in due {
                        guard let lane = admit(row) else { continue }
                        group.addTask {
                            await self.engine.attempt(row)
                            self.release(row.delivery.id, lane: lane)
                        }
                    }
                    next = try await engine.store.read { db in
                        try NotificationsStore(db: db).nextDue(after: now.timeIntervalSince1970)
                    }.map { Date(timeIntervalSince1970: $0) }
                } catch {
                    engine.logger.error("the delivery queue could not be read", metadata: ["error": "\(error)"])
                    next = now.addingTimeInterval(1)
                }
                await waker.wait(until: next, clock: clock)
            }
            group.cancelAll()
        }
    }

    /// The deliveries in flight, and the lanes with no slot left.
    private func occupied() -> (Set<Int64>, Set<String>) {
        let perHost = engine.settings.maxInFlightPerHost
        return flight.withLock { flight in
            (flight.ids, Set(flight.lanes.filter { $0.value >= perHost }.keys))
        }
    }

    /// Takes a slot for `row`, or nil when it is in flight already or its lane or the whole is full.
    private func admit(_ row: DeliveryRow) -> String? {
        let lane = row.lane
        let settings = engine.settings
        return flight.withLock { flight -> String? in
            guard !flight.ids.contains(row.delivery.id), flight.ids.count < settings.maxInFlight,
                flight.lanes[lane, default: 0] < settings.maxInFlightPerHost
            else { return nil }
            flight.ids.insert(row.delivery.id)
            flight.lanes[lane, default: 0] += 1
            return lane
        }
    }

    private func release(_ id: Int64, lane: String) {
        flight.withLock { flight in
            flight.ids.remove(id)
            flight.lanes[lane, default: 1] -= 1
        }
        waker.wake()
    }
}
