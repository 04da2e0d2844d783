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
        /// The last scan found more due than it could start: a slot coming free is worth a scan.
        var starved = false
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
                    let admitted = due.compactMap { row in admit(row).map { (row, $0) } }
                    // Said before any attempt starts, so that no slot freed in between goes unnoticed.
                    let starved = room <= 0 || !full.isEmpty || due.count == room || admitted.count < due.count
                    flight.withLock { $0.starved = starved }
                    for (row, lane) in admitted {
                        group.addTask {
                            let retried = await self.engine.attempt(row)
                            self.release(row.delivery.id, lane: lane, rescheduled: retried)
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

    /// Frees the slot; the loop scans again only when work was waiting for one, or when the attempt set a new
    /// due time (a retry) the loop must wake for.
    private func release(_ id: Int64, lane: String, rescheduled: Bool) {
        let starved = flight.withLock { flight in
            flight.ids.remove(id)
            flight.lanes[lane, default: 1] -= 1
            return flight.starved
        }
        if starved || rescheduled { waker.wake() }
    }
}
