/// Concord's version, as `system.ping` reports it and as plugins are checked against.
public enum ConcordVersion {
    public static let current = "0.1.0"

    /// The Swift compiler this copy of ConcordKit was built with, such as `6.3.1`.
    ///
    /// Linux has no stable Swift ABI, so a plugin must be built with the daemon's compiler: both sides embed
    /// this at build time and the daemon compares them before it runs any of the plugin's code.
    public static let swiftCompiler: String = {
        #if compiler(>=6.5)
            "6.5 or later"
        #elseif compiler(>=6.4)
            "6.4"
        #elseif compiler(>=6.3.2)
            "6.3.2"
        #elseif compiler(>=6.3.1)
            "6.3.1"
        #elseif compiler(>=6.3)
            "6.3"
        #else
            "before 6.3"
        #endif
    }()

    /// The version's numbers, `[0, 17, 0]`; `nil` for text that is not dot-separated numbers.
    public static func numbers(_ version: String) -> [Int]? {
        let parts = version.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        return parts.map { $0! }
    }

    /// Whether `version` lies in `[from, below)`, comparing numbers part by part (a missing part is 0).
    public static func version(_ version: String, isFrom from: String, below: String) -> Bool {
        guard let value = numbers(version), let low = numbers(from), let high = numbers(below) else { return false }
        return compare(value, low) >= 0 && compare(value, high) < 0
    }

    private static func compare(_ a: [Int], _ b: [Int]) -> Int {
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }
}
