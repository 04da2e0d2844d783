import Foundation
import Synchronization

/// Places local date-times in an IANA zone, with one policy for the times a zone skips or repeats.
///
/// - A local time in a gap (spring forward) is read with the offset before the gap, as RFC 5545 §3.3.5 says,
///   which moves it forward by the gap: 02:30 on the day Berlin moves from 02:00 to 03:00 is 03:30.
/// - A local time that happens twice (fall back) is the first of the two, with the offset before the change.
///
/// Offsets are read from the zone's data as Foundation has it (the system's tzdata), so a zone's past rules
/// (Asia/Tomsk moved from +06 to +07 in 2016) apply to past dates.
struct ZoneResolver: Sendable {
    let zone: TimeZone
    /// Offsets by local day, cached per zone for the life of the process: every expansion in a zone reads the
    /// same days (a zone's data does not change while the daemon runs).
    private let cache: OffsetCache

    private static let caches = Mutex<[String: OffsetCache]>([:])

    init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.zone = zone
        cache = Self.caches.withLock { caches in
            if let known = caches[zone.identifier] { return known }
            let made = OffsetCache()
            caches[zone.identifier] = made
            return made
        }
    }

    /// The instant of `local` (seconds since 1970, UTC), and the local time it shows (moved forward in a gap).
    func resolve(_ local: CivilDateTime) -> (utc: Int64, local: CivilDateTime) {
        let wall = local.wallSeconds
        let (before, after) = cache.offsets(around: wall, zone: zone)
        if before == after { return (wall - Int64(before), local) }
        // A transition within a day: which offsets give an instant that has that offset?
        let asBefore = wall - Int64(before)
        let asAfter = wall - Int64(after)
        let beforeValid = offset(at: asBefore) == before
        let afterValid = offset(at: asAfter) == after
        switch (beforeValid, afterValid) {
        case (true, true):
            // Repeated (fall back): the first of the two instants.
            return (min(asBefore, asAfter), local)
        case (true, false): return (asBefore, local)
        case (false, true): return (asAfter, local)
        case (false, false):
            // In the gap: the offset before it, which shows a later local time.
            let instant = asBefore
            return (instant, CivilDateTime(wallSeconds: instant + Int64(offset(at: instant))))
        }
    }

    /// The wall time an instant shows in the zone; the cached offsets answer unless a change is near.
    func local(at utc: Int64) -> CivilDateTime {
        let (before, after) = cache.offsets(around: utc, zone: zone)
        let offset = before == after ? before : offset(at: utc)
        return CivilDateTime(wallSeconds: utc + Int64(offset))
    }

    func offset(at utc: Int64) -> Int {
        zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(utc)))
    }

    /// The offsets a day before and a day after a wall time: equal unless the zone changes offset near it.
    private final class OffsetCache: Sendable {
        private let days = Mutex<[Int64: (Int, Int)]>([:])

        func offsets(around wall: Int64, zone: TimeZone) -> (Int, Int) {
            let day = wall >= 0 ? wall / 86_400 : (wall - 86_399) / 86_400
            if let known = days.withLock({ $0[day] }) { return known }
            let noon = day * 86_400 + 43_200
            let before = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(noon - 86_400 - 50_400)))
            let after = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(noon + 86_400 + 50_400)))
            days.withLock { days in
                if days.count > 100_000 { days.removeAll(keepingCapacity: true) }
                days[day] = (before, after)
            }
            return (before, after)
        }
    }
}
