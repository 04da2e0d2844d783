/// An exact solver for the square assignment problem: `n` rows, `n` columns, a dense cost for every pair; it finds
/// the one-to-one assignment of least total cost.
///
/// This is Jonker and Volgenant's method (LAPJV, *Computing* 38, 1987): column reduction, reduction transfer and
/// two passes of augmenting row reduction settle most rows cheaply; the rows left are assigned by shortest
/// augmenting paths (Dijkstra over reduced costs, as in the Hungarian method). The column prices `v` it ends with
/// are the dual certificate: every reduced cost `cost[i][j] - v[j] - u[i]` is non-negative and zero on the
/// assignment, so no other assignment costs less.
public struct DenseAssignment: Sendable {
    /// The column assigned to each row.
    public var columnOfRow: [Int]
    /// The total cost of the assignment.
    public var total: Double
    /// Row duals `u` and column duals `v`: `u[i] + v[j] <= cost[i][j]` for every pair, with equality on the
    /// assignment, so `sum(u) + sum(v)` equals `total` (up to rounding of the sums).
    public var rowDuals: [Double]
    public var columnDuals: [Double]

    /// Solves for the least total cost; `costs` is row-major, `n * n` finite values.
    public static func minimize(costs: [Double], n: Int) -> DenseAssignment {
        precondition(costs.count == n * n, "an n x n cost matrix has n * n entries")
        guard n > 0 else { return DenseAssignment(columnOfRow: [], total: 0, rowDuals: [], columnDuals: []) }
        var x = [Int](repeating: -1, count: n)  // column of each row
        var y = [Int](repeating: -1, count: n)  // row of each column
        var v = [Double](repeating: 0, count: n)
        costs.withUnsafeBufferPointer { cost in
            x.withUnsafeMutableBufferPointer { x in
                y.withUnsafeMutableBufferPointer { y in
                    v.withUnsafeMutableBufferPointer { v in
                        var solver = Solver(n: n, cost: cost.baseAddress!, x: x, y: y, v: v)
                        solver.run()
                    }
                }
            }
        }
        var total = 0.0
        var u = [Double](repeating: 0, count: n)
        for row in 0..<n {
            let cost = costs[row * n + x[row]]
            total += cost
            u[row] = cost - v[x[row]]
        }
        return DenseAssignment(columnOfRow: x, total: total, rowDuals: u, columnDuals: v)
    }

    /// The largest reduced-cost violation of the duals, `max(0, u[i] + v[j] - cost[i][j])`; zero (to rounding)
    /// certifies that the assignment is optimal.
    public func dualViolation(costs: [Double]) -> Double {
        let n = columnOfRow.count
        var worst = 0.0
        for row in 0..<n {
            for column in 0..<n {
                worst = max(worst, rowDuals[row] + columnDuals[column] - costs[row * n + column])
            }
        }
        return worst
    }

    private struct Solver {
        let n: Int
        let cost: UnsafePointer<Double>
        let x: UnsafeMutableBufferPointer<Int>
        let y: UnsafeMutableBufferPointer<Int>
        let v: UnsafeMutableBufferPointer<Double>
        var free: [Int] = []

        init(
            n: Int, cost: UnsafePointer<Double>, x: UnsafeMutableBufferPointer<Int>,
            y: UnsafeMutableBufferPointer<Int>, v: UnsafeMutableBufferPointer<Double>
        ) {
            self.n = n
            self.cost = cost
            self.x = x
            self.y = y
            self.v = v
        }

        mutating func run() {
            columnReduction()
            for _ in 0..<2 where !free.isEmpty { augmentingRowReduction() }
            if !free.isEmpty { augment() }
        }

        /// Each column's price is its least cost; a row that is the least of one column only is assigned there,
        /// and its next-best column difference is transferred to the price.
        mutating func columnReduction() {
            for column in 0..<n { v[column] = .infinity }
            for row in 0..<n {
                let line = cost + row * n
                for column in 0..<n where line[column] < v[column] {
                    v[column] = line[column]
                    y[column] = row
                }
            }
            var unique = [Bool](repeating: true, count: n)
            var column = n
            while column > 0 {
                column -= 1
                let row = y[column]
                if x[row] < 0 {
                    x[row] = column
                } else {
                    unique[row] = false
                    y[column] = -1
                }
            }
            for row in 0..<n {
                if x[row] < 0 {
                    free.append(row)
                } else if unique[row] {
                    let assigned = x[row]
                    let line = cost + row * n
                    var least = Double.infinity
                    for column in 0..<n where column != assigned {
                        least = min(least, line[column] - v[column])
                    }
                    if least.isFinite { v[assigned] -= least }
                }
            }
        }

        /// Gives each free row its best column, lowering that column's price to the second best when it can;
        /// a row displaced from the column becomes free in its place.
        mutating func augmentingRowReduction() {
            var current = 0
            var kept = 0
            var steps = 0
            while current < free.count {
                steps += 1
                let row = free[current]
                current += 1
                let line = cost + row * n
                var best = 0
                var bestValue = line[0] - v[0]
                var second = -1
                var secondValue = Double.infinity
                for column in 1..<n {
                    let value = line[column] - v[column]
                    if value < secondValue {
                        if value >= bestValue {
                            secondValue = value
                            second = column
                        } else {
                            secondValue = bestValue
                            bestValue = value
                            second = best
                            best = column
                        }
                    }
                }
                var displaced = y[best]
                let lowered = v[best] - (secondValue - bestValue)
                let lowers = lowered < v[best]
                if steps < current * n {
                    if lowers {
                        v[best] = lowered
                    } else if displaced >= 0, second >= 0 {
                        best = second
                        displaced = y[second]
                    }
                    if displaced >= 0 {
                        if lowers {
                            current -= 1
                            free[current] = displaced
                        } else {
                            free[kept] = displaced
                            kept += 1
                        }
                    }
                } else if displaced >= 0 {
                    free[kept] = displaced
                    kept += 1
                }
                x[row] = best
                y[best] = row
            }
            free.removeLast(free.count - kept)
        }

        /// Assigns each remaining free row along a shortest augmenting path in reduced costs.
        mutating func augment() {
            var distance = [Double](repeating: 0, count: n)
            var predecessor = [Int](repeating: 0, count: n)
            var columns = [Int](repeating: 0, count: n)
            distance.withUnsafeMutableBufferPointer { d in
                predecessor.withUnsafeMutableBufferPointer { pred in
                    columns.withUnsafeMutableBufferPointer { cols in
                        for start in free {
                            var column = shortestPath(from: start, d: d, pred: pred, cols: cols)
                            var row = -1
                            while row != start {
                                row = pred[column]
                                y[column] = row
                                swap(&column, &x[row])
                            }
                        }
                    }
                }
            }
            free.removeAll()
        }

        /// The free column that ends a shortest augmenting path from `start`; prices of the columns settled
        /// before it are raised so reduced costs stay non-negative.
        func shortestPath(
            from start: Int, d: UnsafeMutableBufferPointer<Double>, pred: UnsafeMutableBufferPointer<Int>,
            cols: UnsafeMutableBufferPointer<Int>
        ) -> Int {
            var low = 0
            var high = 0
            var ready = 0
            var final = -1
            let line = cost + start * n
            for column in 0..<n {
                cols[column] = column
                pred[column] = start
                d[column] = line[column] - v[column]
            }
            while final < 0 {
                if low == high {
                    ready = low
                    high = lowest(from: low, d: d, cols: cols)
                    for k in low..<high where y[cols[k]] < 0 {
                        final = cols[k]
                    }
                }
                if final < 0 {
                    final = scan(low: &low, high: &high, d: d, pred: pred, cols: cols)
                }
            }
            // The path's end is at the least distance of this round, as are all the columns not yet scanned.
            let least = d[final]
            for k in 0..<ready {
                let column = cols[k]
                v[column] += d[column] - least
            }
            return final
        }

        /// Moves the columns of least distance among `cols[low...]` to the front; returns the end of them.
        func lowest(from low: Int, d: UnsafeMutableBufferPointer<Double>, cols: UnsafeMutableBufferPointer<Int>)
            -> Int
        {
            var high = low + 1
            var least = d[cols[low]]
            for k in high..<n {
                let column = cols[k]
                let value = d[column]
                if value <= least {
                    if value < least {
                        high = low
                        least = value
                    }
                    cols[k] = cols[high]
                    cols[high] = column
                    high += 1
                }
            }
            return high
        }

        /// Relaxes the rows of the columns at the front; returns a free column reached at the least distance.
        func scan(
            low: inout Int, high: inout Int, d: UnsafeMutableBufferPointer<Double>,
            pred: UnsafeMutableBufferPointer<Int>, cols: UnsafeMutableBufferPointer<Int>
        ) -> Int {
            while low != high {
                let column = cols[low]
                low += 1
                let row = y[column]
                let least = d[column]
                let line = cost + row * n
                let h = line[column] - v[column] - least
                var k = high
                while k < n {
                    let next = cols[k]
                    let reduced = line[next] - v[next] - h
                    if reduced < d[next] {
                        d[next] = reduced
                        pred[next] = row
                        if reduced == least {
                            if y[next] < 0 { return next }
                            cols[k] = cols[high]
                            cols[high] = next
                            high += 1
                        }
                    }
                    k += 1
                }
            }
            return -1
        }
    }
}
