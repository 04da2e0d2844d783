/// Places meetings between two sides (members and providers) into time slots, nobody in two meetings at once.
///
/// Without availability limits and with enough tables, the meetings form a bipartite multigraph whose edges are
/// coloured with exactly Δ colours, Δ being the most meetings anyone has (König's edge-colouring theorem), by
/// the alternating-path method: an edge whose ends miss different colours `a` and `b` swaps `a` and `b` along
/// the path from one end, which frees `a` at both. No plan can use fewer slots than Δ, so this one uses the
/// fewest. With availability limits or too few tables the problem is NP-hard in general; the planner then
/// places the most constrained meetings first, each in the earliest slot that both sides can attend and that
/// has a table left. It still never double-books anyone or breaks an availability, but no longer promises the
/// fewest slots, and a meeting with no such slot is reported unplaced.
struct SessionPlanner {
    struct Plan: Equatable {
        /// The slot of each meeting, or nil when it could not be placed.
        var slots: [Int?]
        /// Whether the plan is known to use the fewest slots possible (the König case).
        var fewest: Bool
    }

    /// `meetings[k]` is `(left, right)`: indices on each side. `available(side, index, slot)` tells whether a
    /// participant can meet in a slot; `slotCount` slots have `tables` tables each.
    static func plan(
        meetings: [(left: Int, right: Int)], leftCount: Int, rightCount: Int, slotCount: Int, tables: Int,
        available: (_ left: Bool, _ index: Int, _ slot: Int) -> Bool
    ) -> Plan {
        var degreeLeft = [Int](repeating: 0, count: leftCount)
        var degreeRight = [Int](repeating: 0, count: rightCount)
        for meeting in meetings {
            degreeLeft[meeting.left] += 1
            degreeRight[meeting.right] += 1
        }
        let delta = max(degreeLeft.max() ?? 0, degreeRight.max() ?? 0)
        let everyone =
            (0..<leftCount).allSatisfy { i in (0..<slotCount).allSatisfy { available(true, i, $0) } }
            && (0..<rightCount).allSatisfy { j in (0..<slotCount).allSatisfy { available(false, j, $0) } }
        if everyone, delta <= slotCount {
            let colours = colour(meetings: meetings, leftCount: leftCount, rightCount: rightCount, colours: delta)
            var perColour = [Int](repeating: 0, count: delta)
            for colour in colours { perColour[colour] += 1 }
            if perColour.allSatisfy({ $0 <= tables }) {
                return Plan(slots: colours.map { Optional($0) }, fewest: true)
            }
        }
        return Plan(
            slots: firstFit(
                meetings: meetings, leftCount: leftCount, rightCount: rightCount, slotCount: slotCount, tables: tables,
                available: available),
            fewest: false)
    }

    /// A proper edge colouring with `colours` (at least the largest degree) colours.
    static func colour(meetings: [(left: Int, right: Int)], leftCount: Int, rightCount: Int, colours: Int) -> [Int] {
        // at[node][colour]: the meeting of that colour at the node; nodes are left 0..<L, right L..<L+R.
        var at = [[Int]](repeating: [Int](repeating: -1, count: colours), count: leftCount + rightCount)
        var colourOf = [Int](repeating: -1, count: meetings.count)
        func ends(_ meeting: Int) -> (Int, Int) { (meetings[meeting].left, leftCount + meetings[meeting].right) }
        for (index, _) in meetings.enumerated() {
            let (u, v) = ends(index)
            let a = at[u].firstIndex(of: -1)!
            let b = at[v].firstIndex(of: -1)!
            if at[v][a] != -1 {
                // Swap a and b along the path from v that alternates a, b, a, ...; it cannot reach u.
                var path: [Int] = []
                var node = v
                var wanted = a
                while at[node][wanted] != -1 {
                    let edge = at[node][wanted]
                    path.append(edge)
                    let (x, y) = ends(edge)
                    node = node == x ? y : x
                    wanted = wanted == a ? b : a
                }
                for edge in path {
                    let (x, y) = ends(edge)
                    at[x][colourOf[edge]] = -1
                    at[y][colourOf[edge]] = -1
                }
                for edge in path {
                    let (x, y) = ends(edge)
                    colourOf[edge] = colourOf[edge] == a ? b : a
                    at[x][colourOf[edge]] = edge
                    at[y][colourOf[edge]] = edge
                }
            }
            colourOf[index] = a
            at[u][a] = index
            at[v][a] = index
        }
        return colourOf
    }

    static func firstFit(
        meetings: [(left: Int, right: Int)], leftCount: Int, rightCount: Int, slotCount: Int, tables: Int,
        available: (_ left: Bool, _ index: Int, _ slot: Int) -> Bool
    ) -> [Int?] {
        let options = meetings.map { meeting in
            (0..<slotCount).filter { available(true, meeting.left, $0) && available(false, meeting.right, $0) }
        }
        // The fewest usable slots first; ties in the order given.
        let order = meetings.indices.sorted { (options[$0].count, $0) < (options[$1].count, $1) }
        var busyLeft = Set<[Int]>()
        var busyRight = Set<[Int]>()
        var used = [Int](repeating: 0, count: slotCount)
        var slots = [Int?](repeating: nil, count: meetings.count)
        for index in order {
            let meeting = meetings[index]
            for slot in options[index]
            where used[slot] < tables && !busyLeft.contains([meeting.left, slot])
                && !busyRight.contains([meeting.right, slot])
            {
                slots[index] = slot
                used[slot] += 1
                busyLeft.insert([meeting.left, slot])
                busyRight.insert([meeting.right, slot])
                break
            }
        }
        return slots
    }
}
