/// An exact solver for the allocation problem: assign each need to at most one source, each source taking at
/// most its capacity of needs, so that the total score of the assigned pairs is the largest possible.
///
/// It is a min-cost flow, solved by successive shortest paths. One side supplies the flow (its *rows*), the
/// other receives it (its *columns*); a pair is an arc of cost `W - score`, and a unit of a row may instead stay
/// unplaced at cost `W` (`W` is the largest score). The rows' units are added one at a time, each along a
/// shortest augmenting path in reduced costs (Dijkstra with node potentials, stopped as soon as the path's end is
/// settled), so every partial solution is optimal for the units added so far and the last one is optimal for
/// all. The potentials it ends with give the dual prices that prove it.
///
/// The rows are the side with less to place: the needs (one unit each) when the sources can take them all, the
/// sources' places otherwise. A search then ends soon at spare room on the other side, instead of crossing the
/// whole graph to find whom to displace once every place is taken.
///
/// Deterministic: rows are added in index order (a row with several units, once per unit in turn), and among
/// equally short paths the one through the lower node index is taken (the heap orders by distance, then index);
/// ties between equally good allocations go to the lower-indexed need and source. Scores are integers (the
/// module scales its scores to thousandths of a point), so totals are exact.
public struct CapacitatedAssignment: Sendable {
    /// The pairs that may be assigned, grouped by need: the pairs of need `i` are `start[i]..<start[i + 1]` in
    /// `sources` and `scores`; every score is positive and a need names a source at most once.
    public struct Instance: Sendable {
        public var needCount: Int
        public var capacities: [Int]
        public var start: [Int]
        public var sources: [Int32]
        public var scores: [Int64]

        /// Builds an instance from pairs `(need, source, score)` in any order; pairs are grouped by need in the
        /// order given.
        public init(needCount: Int, capacities: [Int], pairs: [(need: Int, source: Int, score: Int64)]) {
            var start = [Int](repeating: 0, count: needCount + 1)
            for pair in pairs { start[pair.need + 1] += 1 }
            for index in 0..<needCount { start[index + 1] += start[index] }
            var next = start
            var sources = [Int32](repeating: 0, count: pairs.count)
            var scores = [Int64](repeating: 0, count: pairs.count)
            for pair in pairs {
                sources[next[pair.need]] = Int32(pair.source)
                scores[next[pair.need]] = pair.score
                next[pair.need] += 1
            }
            self.init(needCount: needCount, capacities: capacities, start: start, sources: sources, scores: scores)
        }

        public init(needCount: Int, capacities: [Int], start: [Int], sources: [Int32], scores: [Int64]) {
            self.needCount = needCount
            self.capacities = capacities
            self.start = start
            self.sources = sources
            self.scores = scores
        }
    }

    /// The source each need is assigned to, or -1.
    public var sourceOfNeed: [Int]
    /// The total score of the assignment.
    public var total: Int64
    /// The dual price of each source: at most what one more place at it would add to the total. Zero for a
    /// source with room left.
    public var sourcePrices: [Int64]
    /// Each need's dual: at most what the need adds to the total; zero for a need left unassigned.
    public var needSurplus: [Int64]
    /// `sum(needSurplus) + sum(capacity * sourcePrices)`: an upper bound on the total of any allocation (weak
    /// duality); equal to `total`, it proves the allocation optimal.
    public var dualBound: Int64

    public static func solve(_ instance: Instance) -> CapacitatedAssignment {
        let needs = instance.needCount
        let sources = instance.capacities.count
        let placesForAll = instance.capacities.reduce(0, +) >= needs
        if placesForAll {
            var graph = Graph(
                rowCapacities: [Int](repeating: 1, count: needs), columnCapacities: instance.capacities,
                start: instance.start, columns: instance.sources, scores: instance.scores)
            graph.run()
            let (needDuals, sourcePrices) = graph.duals()
            var sourceOfNeed = [Int](repeating: -1, count: needs)
            for need in 0..<needs {
                for arc in instance.start[need]..<instance.start[need + 1] where graph.used[arc] {
                    sourceOfNeed[need] = Int(instance.sources[arc])
                }
            }
            return CapacitatedAssignment(
                instance, sourceOfNeed: sourceOfNeed, needSurplus: needDuals, sourcePrices: sourcePrices)
        }
        // The sources' places are the rows: the pairs regrouped by source, remembering each one's place.
        var start = [Int](repeating: 0, count: sources + 1)
        for source in instance.sources { start[Int(source) + 1] += 1 }
        for index in 0..<sources { start[index + 1] += start[index] }
        var next = start
        var needColumn = [Int32](repeating: 0, count: instance.sources.count)
        var scores = [Int64](repeating: 0, count: instance.sources.count)
        for need in 0..<needs {
            for arc in instance.start[need]..<instance.start[need + 1] {
                let source = Int(instance.sources[arc])
                needColumn[next[source]] = Int32(need)
                scores[next[source]] = instance.scores[arc]
                next[source] += 1
            }
        }
        var graph = Graph(
            rowCapacities: instance.capacities, columnCapacities: [Int](repeating: 1, count: needs), start: start,
            columns: needColumn, scores: scores)
        graph.run()
        let (sourcePrices, needDuals) = graph.duals()
        var sourceOfNeed = [Int](repeating: -1, count: needs)
        for source in 0..<sources {
            for arc in start[source]..<start[source + 1] where graph.used[arc] {
                sourceOfNeed[Int(needColumn[arc])] = source
            }
        }
        return CapacitatedAssignment(
            instance, sourceOfNeed: sourceOfNeed, needSurplus: needDuals, sourcePrices: sourcePrices)
    }

    private init(_ instance: Instance, sourceOfNeed: [Int], needSurplus: [Int64], sourcePrices: [Int64]) {
        var total: Int64 = 0
        for need in 0..<instance.needCount where sourceOfNeed[need] >= 0 {
            for arc in instance.start[need]..<instance.start[need + 1]
            where Int(instance.sources[arc]) == sourceOfNeed[need] {
                total += instance.scores[arc]
            }
        }
        var bound = needSurplus.reduce(0, +)
        for (source, price) in sourcePrices.enumerated() { bound += Int64(instance.capacities[source]) * price }
        self.sourceOfNeed = sourceOfNeed
        self.total = total
        self.sourcePrices = sourcePrices
        self.needSurplus = needSurplus
        self.dualBound = bound
    }

    /// The flow network: rows `0..<r`, columns `r..<r+c`, the end `r+c`. The arcs of row `i` are
    /// `start[i]..<start[i + 1]`.
    private struct Graph {
        let rowCapacities: [Int]
        let columnCapacities: [Int]
        let start: [Int]
        let columns: [Int32]
        let scores: [Int64]
        let rows: Int
        let end: Int
        let top: Int64
        var potential: [Int64]
        var load: [Int]
        /// Whether each arc carries flow; the arcs carrying flow into each column, with each arc's place there.
        var used: [Bool]
        var members: [[Int32]]
        var place: [Int32]
        var rowOfArc: [Int32]
        // Dijkstra's state, reset by stamping instead of clearing.
        var distance: [Int64]
        var stamp: [Int32]
        var settled: [Int32]
        var predecessor: [Int32]
        /// The arc a node was reached along, or -1 for the "unplaced" arc.
        var via: [Int32]
        var generation: Int32 = 0
        var heap = Heap()
        var touched: [Int32] = []

        init(rowCapacities: [Int], columnCapacities: [Int], start: [Int], columns: [Int32], scores: [Int64]) {
            self.rowCapacities = rowCapacities
            self.columnCapacities = columnCapacities
            self.start = start
            self.columns = columns
            self.scores = scores
            rows = rowCapacities.count
            end = rows + columnCapacities.count
            top = scores.max() ?? 0
            let nodes = end + 1
            potential = [Int64](repeating: 0, count: nodes)
            load = [Int](repeating: 0, count: columnCapacities.count)
            used = [Bool](repeating: false, count: columns.count)
            members = [[Int32]](repeating: [], count: columnCapacities.count)
            place = [Int32](repeating: 0, count: columns.count)
            var rowOfArc = [Int32](repeating: 0, count: columns.count)
            for row in 0..<rows {
                for arc in start[row]..<start[row + 1] { rowOfArc[arc] = Int32(row) }
            }
            self.rowOfArc = rowOfArc
            distance = [Int64](repeating: 0, count: nodes)
            stamp = [Int32](repeating: 0, count: nodes)
            settled = [Int32](repeating: 0, count: nodes)
            predecessor = [Int32](repeating: -1, count: nodes)
            via = [Int32](repeating: -1, count: nodes)
        }

        mutating func run() {
            for row in 0..<rows where start[row + 1] > start[row] && rowCapacities[row] > 0 {
                // A potential for the new row that keeps its arcs' reduced costs non-negative.
                var entry = potential[end] - top
                for arc in start[row]..<start[row + 1] {
                    entry = max(entry, potential[rows + Int(columns[arc])] - (top - scores[arc]))
                }
                potential[row] = entry
                for _ in 0..<rowCapacities[row] { add(row) }
            }
        }

        /// Places one more unit of `row` along a shortest augmenting path.
        mutating func add(_ row: Int) {
            generation &+= 1
            touched.removeAll(keepingCapacity: true)
            heap.removeAll()
            reach(row, at: 0, from: -1, via: -1)
            var reached: Int64 = 0
            while let (node, dist) = heap.pop() {
                guard settled[node] != generation, dist == distance[node] else { continue }
                settled[node] = generation
                if node == end {
                    reached = dist
                    break
                }
                relax(from: node, at: dist)
            }
            // Settled nodes get potential += d - D; the others keep theirs (a constant shift changes nothing).
            for node in touched where settled[Int(node)] == generation {
                potential[Int(node)] += distance[Int(node)] - reached
            }
            augment()
        }

        mutating func reach(_ node: Int, at dist: Int64, from parent: Int, via arc: Int) {
            // A node no nearer than the end's best distance so far cannot lead to a shorter path.
            if stamp[end] == generation, dist >= distance[end] { return }
            if stamp[node] != generation {
                stamp[node] = generation
                touched.append(Int32(node))
            } else if distance[node] <= dist {
                return
            }
            distance[node] = dist
            predecessor[node] = Int32(parent)
            via[node] = Int32(arc)
            heap.push(node, dist)
        }

        mutating func relax(from node: Int, at dist: Int64) {
            let base = dist + potential[node]
            // The arcs to the end come first: the bound they set keeps farther nodes out of the heap.
            if node < rows {
                // One of the row's units leaves its column for "unplaced" (or the new unit stays unplaced).
                reach(end, at: base + top - potential[end], from: node, via: -1)
                for arc in start[node]..<start[node + 1] where !used[arc] {
                    let column = Int(columns[arc])
                    let target = rows + column
                    guard settled[target] != generation else { continue }
                    let dist = base + (top - scores[arc]) - potential[target]
                    if load[column] < columnCapacities[column] {
                        // A column with room ends the path at its own distance (its arc to the end costs
                        // nothing), so it goes to the end directly instead of through the heap.
                        if stamp[end] == generation, dist >= distance[end] { continue }
                        // (Never settled, it needs no place in `touched`: its potential stays.)
                        stamp[target] = generation
                        distance[target] = dist
                        predecessor[target] = Int32(node)
                        via[target] = Int32(arc)
                        reach(end, at: dist - potential[end] + potential[target], from: target, via: -1)
                    } else {
                        reach(target, at: dist, from: node, via: arc)
                    }
                }
            } else {
                let column = node - rows
                if load[column] < columnCapacities[column] {
                    reach(end, at: base - potential[end], from: node, via: -1)
                }
                for member in members[column] {
                    let arc = Int(member)
                    let row = Int(rowOfArc[arc])
                    guard settled[row] != generation else { continue }
                    reach(row, at: base - (top - scores[arc]) - potential[row], from: node, via: arc)
                }
            }
        }

        /// Walks the path back from the end: forward arcs into columns take flow, backward arcs give it up.
        mutating func augment() {
            var node = Int(predecessor[end])
            var arrival = end
            while node >= 0 {
                if node >= rows, arrival < rows || arrival == end {
                    // Reached a column; the arc it was reached along takes the flow.
                    let arc = Int(via[node])
                    take(arc, into: node - rows)
                }
                if node < rows, via[node] >= 0 {
                    let arc = Int(via[node])
                    give(arc, from: Int(columns[arc]))
                }
                arrival = node
                node = Int(predecessor[node])
            }
        }

        mutating func take(_ arc: Int, into column: Int) {
            used[arc] = true
            place[arc] = Int32(members[column].count)
            members[column].append(Int32(arc))
            load[column] += 1
        }

        mutating func give(_ arc: Int, from column: Int) {
            used[arc] = false
            let index = Int(place[arc])
            let last = members[column].removeLast()
            if Int(last) != arc {
                members[column][index] = last
                place[Int(last)] = Int32(index)
            }
            load[column] -= 1
        }

        /// The rows' and columns' duals. A placed row's dual is `W + potential` (zero when one of its units is
        /// unplaced, as the unplaced arc is tight); a column's is the most any arc into it gains over its row's
        /// dual, which the reduced costs make tight on every arc carrying flow; a row that was never placed
        /// (no capacity) takes the least dual its arcs allow.
        func duals() -> (rows: [Int64], columns: [Int64]) {
            let placed = (0..<rows).map { start[$0 + 1] > start[$0] && rowCapacities[$0] > 0 }
            var rowDuals = (0..<rows).map { placed[$0] ? max(0, top + potential[$0]) : 0 }
            var columnDuals = [Int64](repeating: 0, count: columnCapacities.count)
            for row in 0..<rows where placed[row] {
                for arc in start[row]..<start[row + 1] {
                    let column = Int(columns[arc])
                    columnDuals[column] = max(columnDuals[column], scores[arc] - rowDuals[row])
                }
            }
            for row in 0..<rows where !placed[row] {
                for arc in start[row]..<start[row + 1] {
                    rowDuals[row] = max(rowDuals[row], scores[arc] - columnDuals[Int(columns[arc])])
                }
            }
            return (rowDuals, columnDuals)
        }
    }

    /// A binary min-heap of (distance, node), ties to the lower node.
    struct Heap {
        private var items: [(key: Int64, node: Int32)] = []

        mutating func removeAll() { items.removeAll(keepingCapacity: true) }

        mutating func push(_ node: Int, _ key: Int64) {
            let item = (key: key, node: Int32(node))
            items.append(item)
            items.withUnsafeMutableBufferPointer { items in
                var child = items.count - 1
                while child > 0 {
                    let parent = (child - 1) / 2
                    guard Self.less(item, items[parent]) else { break }
                    items[child] = items[parent]
                    child = parent
                }
                items[child] = item
            }
        }

        mutating func pop() -> (Int, Int64)? {
            guard let first = items.first else { return nil }
            let last = items.removeLast()
            guard !items.isEmpty else { return (Int(first.node), first.key) }
            items.withUnsafeMutableBufferPointer { items in
                let count = items.count
                var parent = 0
                while true {
                    let left = 2 * parent + 1
                    guard left < count else { break }
                    var child = left
                    if left + 1 < count, Self.less(items[left + 1], items[left]) { child = left + 1 }
                    guard Self.less(items[child], last) else { break }
                    items[parent] = items[child]
                    parent = child
                }
                items[parent] = last
            }
            return (Int(first.node), first.key)
        }

        private static func less(_ a: (key: Int64, node: Int32), _ b: (key: Int64, node: Int32)) -> Bool {
            a.key < b.key || (a.key == b.key && a.node < b.node)
        }
    }
}
