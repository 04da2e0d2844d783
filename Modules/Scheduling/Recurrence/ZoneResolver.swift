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
    /// The zone's offset changes, read once per zone for the life of the process (a zone's data does not change
    /// while the daemon runs) and searched without a lock.
    private let table: TransitionTable

    private static let tables = Mutex<[String: TransitionTable]>([:])

    init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.zone = zone
        table = Self.tables.withLock { tables in
            if let known = tables[zone.identifier] { return known }
            let made = TransitionTable(zone: zone)
            tables[zone.identifier] = made
            return made
        }
    }

    /// The instant of `local` (seconds since 1970, UTC), and the local time it shows (moved forward in a gap).
    func resolve(_ local: CivilDateTime) -> (utc: Int64, local: CivilDateTime) {
        let wall = local.wallSeconds
        // The offsets a day either side: equal unless the zone changes offset near this wall time.
        let before = offset(at: wall - 86_400)
        let after = offset(at: wall + 86_400)
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

    /// The wall time an instant shows in the zone.
    func local(at utc: Int64) -> CivilDateTime {
        CivilDateTime(wallSeconds: utc + Int64(offset(at: utc)))
    }

    /// The zone's offset from UTC at an instant, in seconds.
    func offset(at utc: Int64) -> Int {
        table.offset(at: utc) ?? zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(utc)))
    }

    /// Every offset change of a zone from 1900 to 2200, as Foundation (ICU, over the system's tzdata) lists them;
    /// instants outside that span ask the zone itself.
    private final class TransitionTable: Sendable {
        static let first: Int64 = -2_208_988_800  // 1900-01-01T00:00:00Z
        static let last: Int64 = 7_258_118_400  // 2200-01-01T00:00:00Z

        /// The instants at which the offset changes, and the offset from each on.
        let instants: [Int64]
        let offsets: [Int]
        /// The offset before the first change.
        let initial: Int

        init(zone: TimeZone) {
            var instants: [Int64] = []
            var offsets: [Int] = []
            var date = Date(timeIntervalSince1970: TimeInterval(Self.first))
            initial = zone.secondsFromGMT(for: date)
            var current = initial
            while let next = zone.nextDaylightSavingTimeTransition(after: date),
                next.timeIntervalSince1970 < TimeInterval(Self.last), next > date
            {
                let offset = zone.secondsFromGMT(for: next)
                if offset != current {
                    instants.append(Int64(next.timeIntervalSince1970.rounded(.down)))
                    offsets.append(offset)
                    current = offset
                }
                date = next
            }
            self.instants = instants
            self.offsets = offsets
        }

        func offset(at utc: Int64) -> Int? {
            guard utc >= Self.first, utc < Self.last else { return nil }
            // The last change at or before `utc`.
            var low = 0
            var high = instants.count
            while low < high {
                let middle = (low + high) / 2
                if instants[middle] <= utc { low = middle + 1 } else { high = middle }
            }
            return low == 0 ? initial : offsets[low - 1]
        }
    }
}
