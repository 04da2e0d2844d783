import Testing

@testable import Matching

/// A small deterministic generator, so a failing case can be replayed from its seed.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

@Suite struct DenseAssignmentTests {
    /// The least total over every permutation.
    static func bruteForce(_ costs: [Double], n: Int) -> Double {
        var best = Double.infinity
        var columns = Array(0..<n)
        func permute(_ k: Int, _ sum: Double) {
            if k == n {
                best = min(best, sum)
                return
            }
            for index in k..<n {
                columns.swapAt(k, index)
                permute(k + 1, sum + costs[k * n + columns[k]])
                columns.swapAt(k, index)
            }
        }
        permute(0, 0)
        return best
    }

    @Test(arguments: 0..<300)
    func findsTheLeastTotalOnSmallInstances(seed: Int) {
        var random = SplitMix(state: UInt64(seed))
        let n = 1 + random.below(7)
        // Few distinct values make many ties, where a careless solver goes wrong.
        let spread = seed % 3 == 0 ? 4 : 1000
        let costs = (0..<(n * n)).map { _ in Double(random.below(spread)) }
        let result = DenseAssignment.minimize(costs: costs, n: n)
        #expect(Set(result.columnOfRow).count == n, "a permutation")
        #expect(result.total == Self.bruteForce(costs, n: n))
        #expect(result.total == (0..<n).reduce(0) { $0 + costs[$1 * n + result.columnOfRow[$1]] })
        #expect(result.dualViolation(costs: costs) <= 1e-9, "the duals are feasible")
        #expect(abs(result.rowDuals.reduce(0, +) + result.columnDuals.reduce(0, +) - result.total) <= 1e-6)
    }

    /// Seed 2000 at n = 500 once caught a wrong price update after a path found mid-scan.
    @Test(arguments: [(300, 42), (500, 2000), (600, 7)])
    func largerInstancesHaveFeasibleTightDuals(n: Int, seed: UInt64) {
        var random = SplitMix(state: seed)
        let costs = (0..<(n * n)).map { _ in Double(random.below(1_000_000)) }
        let result = DenseAssignment.minimize(costs: costs, n: n)
        #expect(Set(result.columnOfRow).count == n)
        #expect(result.dualViolation(costs: costs) <= 1e-6)
        #expect(abs(result.rowDuals.reduce(0, +) + result.columnDuals.reduce(0, +) - result.total) <= 1e-3)
    }

    @Test func emptyAndSingle() {
        #expect(DenseAssignment.minimize(costs: [], n: 0).total == 0)
        let one = DenseAssignment.minimize(costs: [7], n: 1)
        #expect(one.columnOfRow == [0] && one.total == 7)
    }
}

@Suite struct CapacitatedAssignmentTests {
    typealias Pair = (need: Int, source: Int, score: Int64)

    /// The largest total over every way of giving each need one of its sources or none, within capacities.
    static func bruteForce(needs: Int, capacities: [Int], pairs: [Pair]) -> Int64 {
        let byNeed = (0..<needs).map { need in pairs.filter { $0.need == need } }
        var load = [Int](repeating: 0, count: capacities.count)
        var best: Int64 = 0
        func visit(_ need: Int, _ total: Int64) {
            if need == needs {
                best = max(best, total)
                return
            }
            visit(need + 1, total)
            for pair in byNeed[need] where load[pair.source] < capacities[pair.source] {
                load[pair.source] += 1
                visit(need + 1, total + pair.score)
                load[pair.source] -= 1
            }
        }
        visit(0, 0)
        return best
    }

    static func instance(seed: Int) -> (Int, [Int], [Pair]) {
        var random = SplitMix(state: UInt64(seed) &+ 1000)
        let needs = 1 + random.below(7)
        let sources = 1 + random.below(4)
        let capacities = (0..<sources).map { _ in random.below(3) }
        let spread = seed % 2 == 0 ? 3 : 100
        var pairs: [Pair] = []
        for need in 0..<needs {
            for source in 0..<sources where random.below(100) < 60 {
                pairs.append((need, source, Int64(1 + random.below(spread))))
            }
        }
        return (needs, capacities, pairs)
    }

    @Test(arguments: 0..<400)
    func findsTheLargestTotalOnSmallInstances(seed: Int) {
        let (needs, capacities, pairs) = Self.instance(seed: seed)
        let result = CapacitatedAssignment.solve(.init(needCount: needs, capacities: capacities, pairs: pairs))
        #expect(result.total == Self.bruteForce(needs: needs, capacities: capacities, pairs: pairs))
        #expect(result.dualBound == result.total, "the dual prices prove the total")
        var load = [Int](repeating: 0, count: capacities.count)
        var total: Int64 = 0
        for (need, source) in result.sourceOfNeed.enumerated() where source >= 0 {
            load[source] += 1
            let pair = pairs.first { $0.need == need && $0.source == source }
            #expect(pair != nil, "need \(need) was given a source it has no pair with")
            total += pair?.score ?? 0
        }
        #expect(zip(load, capacities).allSatisfy { $0 <= $1 }, "capacities hold")
        #expect(total == result.total)
    }

    @Test func theSameInputGivesTheSameAllocation() {
        let (needs, capacities, pairs) = Self.instance(seed: 7)
        let first = CapacitatedAssignment.solve(.init(needCount: needs, capacities: capacities, pairs: pairs))
        for _ in 0..<5 {
            let again = CapacitatedAssignment.solve(.init(needCount: needs, capacities: capacities, pairs: pairs))
            #expect(again.sourceOfNeed == first.sourceOfNeed)
        }
    }

    @Test func aTieGoesToTheEarlierNeed() {
        // Two needs want the one slot of source 0 equally: the need added first keeps it.
        let result = CapacitatedAssignment.solve(
            .init(needCount: 2, capacities: [1], pairs: [(0, 0, 5), (1, 0, 5)]))
        #expect(result.sourceOfNeed == [0, -1])
        #expect(result.sourcePrices == [5])
    }

    /// Both ways round: fewer places than needs (the sources' places are placed) and more (the needs are).
    @Test(arguments: [6, 30])
    func largerInstancesAreCertified(capacityBound: Int) {
        var random = SplitMix(state: 99)
        let needs = 2000
        let sources = 300
        let capacities = (0..<sources).map { _ in random.below(capacityBound) }
        var pairs: [Pair] = []
        for need in 0..<needs {
            for _ in 0..<20 { pairs.append((need, random.below(sources), Int64(1 + random.below(100_000)))) }
        }
        // Duplicate pairs keep their best score only.
        var best: [Int: Pair] = [:]
        for pair in pairs where (best[pair.need * sources + pair.source]?.score ?? 0) < pair.score {
            best[pair.need * sources + pair.source] = pair
        }
        let unique = best.values.sorted { ($0.need, $0.source) < ($1.need, $1.source) }
        let result = CapacitatedAssignment.solve(.init(needCount: needs, capacities: capacities, pairs: unique))
        #expect(result.dualBound == result.total)
        #expect(result.total > 0)
    }
}
