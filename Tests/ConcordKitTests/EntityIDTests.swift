import ConcordKit
import Foundation
import Testing

@Suite struct EntityIDTests {
    @Test func idsAreLowercaseVersion4UUIDs() throws {
        for _ in 0..<1000 {
            let id = EntityID.next()
            #expect(id.count == 36)
            #expect(id == id.lowercased())
            let parsed = try #require(UUID(uuidString: id), "\(id) is not a UUID")
            #expect(parsed.uuidString.lowercased() == id)
            let bytes = parsed.uuid
            #expect(bytes.6 >> 4 == 4, "version nibble of \(id)")
            #expect(bytes.8 >> 6 == 0b10, "variant bits of \(id)")
        }
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

    @Test func bitsOtherThanVersionAndVariantVary() {
        // A generator stuck on constant bytes would pass the format test; here every hex position other than
        // the fixed version digit must take several values.
        let ids = (0..<200).map { _ in Array(EntityID.next().utf8) }
        for position in 0..<36 where ![8, 13, 14, 18, 23].contains(position) {
            #expect(Set(ids.map { $0[position] }).count > 3, "position \(position) barely varies")
        }
    }
}
