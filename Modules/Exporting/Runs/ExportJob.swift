import ConcordKit
import Contracts
import Foundation

/// One export being written: for which scope, into which folder, at which point of the journal.
struct ExportJob: Sendable {
    var scope: ExportScope
    /// The scope's network, resolved from its id or acronym.
    var network: Network?
    /// The run's folder; every file is written into it.
    var folder: URL
    /// The journal head every query was answered at.
    var headSeq: UInt64
    var generatedAt: Date
    var sources: Sources

    /// `generated_at` as written into files (UTC, seconds).
    var generatedAtText: String { Self.utc(generatedAt) }

    /// `2026-12-05T18:30:00Z`.
    static func utc(_ date: Date) -> String { date.formatted(.iso8601) }
}

/// What a writer wrote.
struct ExportOutput: Sendable {
    var files: [ExportFileDigest]
    /// What it counted, for the reply (`actors`, `features`, `without_coordinates`...).
    var counts: [String: Int]
}

/// Writes one format.
protocol ExportWriter: Sendable {
    func write(_ job: ExportJob) async throws -> ExportOutput
}

/// The module's name and version as files name their generator.
enum Generator {
    static let name = "Concord"
    static let version = "0.1.0"
    static var text: String { "\(name) \(version)" }
}
