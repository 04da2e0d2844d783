import ConcordKit
import Foundation

/// One benchmark result, printed as one JSON object per line.
struct Report {
    var name: String
    var value: Double
    var unit: String
    var baseline: Double?
    var ratio: Double?
    /// The figure the issue asks for, for a reader comparing at a glance.
    var target: String?
    var extra: [String: Double] = [:]

    func print() {
        var object: [String: Any] = ["name": name, "value": Self.round(value), "unit": unit]
        if let baseline { object["baseline"] = Self.round(baseline) }
        if let ratio { object["ratio"] = Self.round(ratio) }
        if let target { object["target"] = target }
        for (key, value) in extra { object[key] = Self.round(value) }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    private static func round(_ value: Double) -> Double {
        value >= 100 ? value.rounded() : (value * 100).rounded() / 100
    }
}

/// Seconds since `start`.
func seconds(since start: ContinuousClock.Instant) -> Double {
    (ContinuousClock.now - start).seconds
}
