import Foundation
import Matching

/// The matching solvers against the Python libraries people would reach for, on the same instances in the same
/// run: scipy's `linear_sum_assignment` and OR-Tools' `SimpleMinCostFlow`. Both sides must reach the same optimal
/// total; the two take turns, three rounds each, so the machine's drift touches both alike.
enum MatchingBenchmarks {
    /// 2 000 x 2 000 dense costs, uniform integers in 0..<1 000 000 (exact in a Double, so totals compare exactly).
    static func assignment2000() throws -> Report {
        let n = 2000
        var random = SplitMix(state: 2000)
        let costs = (0..<(n * n)).map { _ in Double(random.below(1_000_000)) }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try write(costs, to: directory.appendingPathComponent("costs.f64"))
        let peer = try PythonPeer(
            arguments: [PythonPeer.script("matching.py"), "assignment", directory.path, "\(n)"],
            hint: "are numpy and scipy installed (dev/install-deps)?")
        defer { peer.close() }
        _ = try peer.read()
        var ours: [Double] = []
        var theirs: [Double] = []
        for _ in 0..<3 {
            let began = ContinuousClock.now
            let result = DenseAssignment.minimize(costs: costs, n: n)
            ours.append(seconds(since: began))
            let answer = try peer.ask()
            guard let total = answer["total"] as? Double, let time = answer["seconds"] as? Double else {
                throw peer.failure()
            }
            guard total == result.total else {
                throw PythonPeer.Failure(description: "scipy's total is \(total), concord's \(result.total)")
            }
            theirs.append(time)
        }
        let mine = ours.sorted()[1]
        let baseline = theirs.sorted()[1]
        return Report(
            name: "matching.assignment_2000", value: mine * 1000, unit: "ms (2000 x 2000 dense, LAPJV)",
            baseline: baseline * 1000, ratio: baseline / mine,
            target: "same optimal total as scipy.optimize.linear_sum_assignment, ratio (scipy / ours) >= 1",
            extra: ["same_total": 1])
    }

    /// 10 000 needs x 2 000 sources, each need eligible for 100 distinct sources (5%), scores 1...100 000,
    /// capacities 1...8 (about 9 000 places for 10 000 needs, so needs compete).
    static func allocation10k2k() throws -> Report {
        let needs = 10_000
        let sources = 2_000
        var random = SplitMix(state: 10_002)
        let capacities = (0..<sources).map { _ in 1 + random.below(8) }
        var needColumn: [Int32] = []
        var sourceColumn: [Int32] = []
        var scoreColumn: [Int64] = []
        var chosen = [Int](repeating: -1, count: sources)
        for need in 0..<needs {
            var count = 0
            while count < 100 {
                let source = random.below(sources)
                guard chosen[source] != need else { continue }
                chosen[source] = need
                needColumn.append(Int32(need))
                sourceColumn.append(Int32(source))
                scoreColumn.append(Int64(1 + random.below(100_000)))
                count += 1
            }
        }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try write(capacities.map { Int64($0) }, to: directory.appendingPathComponent("capacities.i64"))
        try write(needColumn, to: directory.appendingPathComponent("need.i32"))
        try write(sourceColumn, to: directory.appendingPathComponent("source.i32"))
        try write(scoreColumn, to: directory.appendingPathComponent("score.i64"))
        let peer = try PythonPeer(
            arguments: [
                PythonPeer.script("matching.py"), "allocation", directory.path, "\(needs)", "\(sources)",
            ],
            hint: "are numpy and ortools installed (dev/install-deps)?")
        defer { peer.close() }
        _ = try peer.read()
        var ours: [Double] = []
        var theirs: [Double] = []
        var certified = true
        for _ in 0..<3 {
            let began = ContinuousClock.now
            let instance = CapacitatedAssignment.Instance(
                needCount: needs, capacities: capacities,
                pairs: (0..<needColumn.count).map {
                    (Int(needColumn[$0]), Int(sourceColumn[$0]), scoreColumn[$0])
                })
            let result = CapacitatedAssignment.solve(instance)
            ours.append(seconds(since: began))
            certified = certified && result.dualBound == result.total
            let answer = try peer.ask()
            guard let total = answer["total"] as? Int, let time = answer["seconds"] as? Double else {
                throw peer.failure()
            }
            guard Int64(total) == result.total else {
                throw PythonPeer.Failure(description: "OR-Tools' total is \(total), concord's \(result.total)")
            }
            theirs.append(time)
        }
        let mine = ours.sorted()[1]
        let baseline = theirs.sorted()[1]
        return Report(
            name: "matching.allocation_10k_2k", value: mine * 1000,
            unit: "ms (10 000 needs x 2 000 sources, 1 000 000 pairs, successive shortest paths)",
            baseline: baseline * 1000, ratio: baseline / mine,
            target: "same optimal total as OR-Tools SimpleMinCostFlow, ratio (OR-Tools / ours) >= 1",
            extra: ["same_total": 1, "dual_bound_equals_total": certified ? 1 : 0])
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "concord-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    static func write<T>(_ values: [T], to url: URL) throws {
        try values.withUnsafeBytes { try Data($0).write(to: url) }
    }
}

/// A small seeded generator, so both sides of a benchmark see the same instance every run.
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
