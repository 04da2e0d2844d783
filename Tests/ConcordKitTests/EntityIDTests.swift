import Foundation
import Testing

@testable import ConcordKit

@Suite struct EntityIDTests {
    @Test func idsAreLowercaseVersion7UUIDsCarryingTheTime() throws {
        let before = UInt64(Date().timeIntervalSince1970 * 1000)
        for _ in 0..<1000 {
            let id = EntityID.next()
            #expect(id.count == 36)
            #expect(id == id.lowercased())
            let parsed = try #require(UUID(uuidString: id), "\(id) is not a UUID")
            #expect(parsed.uuidString.lowercased() == id)
            let bytes = parsed.uuid
            #expect(bytes.6 >> 4 == 7, "version nibble of \(id)")
            #expect(bytes.8 >> 6 == 0b10, "variant bits of \(id)")
            let millisecond = try #require(UInt64(id.prefix(8) + id.dropFirst(9).prefix(4), radix: 16))
            // The counter may run ahead of the clock by a millisecond or so when ids are made fast.
            #expect(millisecond >= before && millisecond < before + 60_000, "time of \(id)")
        }
    }

    @Test func idsSortInTheOrderTheyWereMade() {
        let ids = (0..<20_000).map { _ in EntityID.next() }
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func theCounterKeepsOrderWhenTheClockStandsStillOrStepsBack() {
        // 5 000 ids in one millisecond overflow the 12-bit counter (it starts below 2 048) into the next.
        var generator = EntityID.Generator()
        let still = (0..<5000).map { _ in generator.next(now: 1_900_000_000_000) }
        let back = (0..<10).map { _ in generator.next(now: 1_800_000_000_000) }
        let ids = still + back
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
        #expect(Set(ids.map { $0.prefix(13) }).count >= 2, "the counter ran out and the time moved on")
        #expect(ids.allSatisfy { $0.dropFirst(14).first == "7" })
    }

    @Test func idsDoNotRepeatAcrossRefillsAndThreads() async {
        // 4 KiB of random bytes is 256 ids: this crosses many refills, from several tasks at once.
        let batches = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask { (0..<5000).map { _ in EntityID.next() } }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(batches.count == 20_000)
        #expect(Set(batches).count == 20_000)
    }

    @Test func theRandomBitsVary() {
        // A generator stuck on constant bytes would pass the format test; every hex digit of the last 62 bits
        // (after the variant digit at 19) must take several values.
        let ids = (0..<200).map { _ in Array(EntityID.next().utf8) }
        for position in 20..<36 where position != 23 {
            #expect(Set(ids.map { $0[position] }).count > 3, "position \(position) barely varies")
        }
    }
}
