import Testing

@testable import Matching

@Suite struct SessionPlannerTests {
    typealias Meeting = (left: Int, right: Int)

    static func instance(seed: Int) -> ([Meeting], Int, Int) {
        var random = SplitMix(state: UInt64(seed) &+ 77)
        let left = 1 + random.below(4)
        let right = 1 + random.below(4)
        let count = 1 + random.below(8)
        return ((0..<count).map { _ in (random.below(left), random.below(right)) }, left, right)
    }

    /// The fewest slots any plan can use, by trying every colouring with k = 1, 2, ... colours.
    static func fewestSlots(_ meetings: [Meeting]) -> Int {
        func colourable(_ k: Int) -> Bool {
            var colours = [Int](repeating: -1, count: meetings.count)
            func place(_ index: Int) -> Bool {
                if index == meetings.count { return true }
                for colour in 0..<k {
                    let clash = (0..<index).contains { other in
                        colours[other] == colour
                            && (meetings[other].left == meetings[index].left
                                || meetings[other].right == meetings[index].right)
                    }
                    if clash { continue }
                    colours[index] = colour
                    if place(index + 1) { return true }
                }
                colours[index] = -1
                return false
            }
            return place(0)
        }
        var k = 1
        while !colourable(k) { k += 1 }
        return k
    }

    static func checkNoDoubleBooking(_ meetings: [Meeting], _ slots: [Int?]) -> Bool {
        var seen = Set<[Int]>()
        for (meeting, slot) in zip(meetings, slots) {
            guard let slot else { continue }
            guard seen.insert([0, meeting.left, slot]).inserted, seen.insert([1, meeting.right, slot]).inserted else {
                return false
            }
        }
        return true
    }

    @Test(arguments: 0..<300)
    func usesTheFewestSlotsWhenNothingElseBinds(seed: Int) {
        let (meetings, left, right) = Self.instance(seed: seed)
        let plan = SessionPlanner.plan(
            meetings: meetings, leftCount: left, rightCount: right, slotCount: 10, tables: 100
        ) { _, _, _ in true }
        #expect(plan.fewest)
        #expect(plan.slots.allSatisfy { $0 != nil })
        #expect(Self.checkNoDoubleBooking(meetings, plan.slots))
        #expect(Set(plan.slots.compactMap { $0 }).count == Self.fewestSlots(meetings))
    }

    @Test(arguments: 0..<200)
    func availabilityAndTablesAreRespected(seed: Int) {
        let (meetings, left, right) = Self.instance(seed: seed)
        var random = SplitMix(state: UInt64(seed))
        let slots = 4
        let open = (0..<(left + right)).map { _ in Set((0..<slots).filter { _ in random.below(3) > 0 }) }
        let tables = 1 + random.below(2)
        let plan = SessionPlanner.plan(
            meetings: meetings, leftCount: left, rightCount: right, slotCount: slots, tables: tables
        ) { isLeft, index, slot in open[isLeft ? index : left + index].contains(slot) }
        #expect(Self.checkNoDoubleBooking(meetings, plan.slots))
        for (meeting, slot) in zip(meetings, plan.slots) {
            guard let slot else { continue }
            #expect(open[meeting.left].contains(slot) && open[left + meeting.right].contains(slot))
        }
        var perSlot = [Int](repeating: 0, count: slots)
        for slot in plan.slots.compactMap({ $0 }) { perSlot[slot] += 1 }
        #expect(perSlot.allSatisfy { $0 <= tables })
    }

    @Test func aLargerFairStillUsesTheLargestDegree() {
        var random = SplitMix(state: 5)
        let meetings: [Meeting] = (0..<400).map { _ in (random.below(40), random.below(25)) }
        let plan = SessionPlanner.plan(
            meetings: meetings, leftCount: 40, rightCount: 25, slotCount: 100, tables: 1000
        ) { _, _, _ in true }
        var degree: [String: Int] = [:]
        for meeting in meetings {
            degree["l\(meeting.left)", default: 0] += 1
            degree["r\(meeting.right)", default: 0] += 1
        }
        #expect(Self.checkNoDoubleBooking(meetings, plan.slots))
        #expect(Set(plan.slots.compactMap { $0 }).count == degree.values.max())
    }
}
