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

/// Sends every command through `bus`, 64 in flight, as many clients would.
func sendAll<C: Command>(_ commands: [C], on bus: some MessageBus) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = commands.makeIterator()
        for _ in 0..<64 {
            guard let command = next.next() else { break }
            group.addTask { _ = try await bus.send(command, context: CommandContext()) }
        }
        while try await group.next() != nil {
            guard let command = next.next() else { continue }
            group.addTask { _ = try await bus.send(command, context: CommandContext()) }
        }
    }
}
