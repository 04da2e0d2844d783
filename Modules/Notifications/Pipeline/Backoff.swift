/// When a failed delivery is tried again: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then 24 h, each plus up to a tenth
/// of itself of jitter, so endpoints that failed together are not retried together. Eight attempts in all; the
/// eighth failing dead-letters the delivery. The jitter is a hash of the delivery and the attempt, so the same
/// delivery is retried at the same times whoever computes them.
enum Backoff {
    static let delays: [Double] = [5, 300, 1_800, 7_200, 18_000, 36_000, 86_400]

    /// How many attempts a delivery gets.
    static var attempts: Int { delays.count + 1 }

    /// The seconds to wait after the failed attempt number `attempt` (1-based), or nil after the last one.
    static func delay(afterAttempt attempt: Int, delivery: Int64) -> Double? {
        guard attempt >= 1, attempt <= delays.count else { return nil }
        let base = delays[attempt - 1]
        return base + base * 0.1 * jitter(delivery, attempt)
    }

    /// A number in [0, 1) from SplitMix64 of the pair.
    static func jitter(_ delivery: Int64, _ attempt: Int) -> Double {
        var z = UInt64(bitPattern: delivery) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(attempt)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}
