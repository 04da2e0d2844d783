public import ConcordKit

// MARK: Bulk import from CSV

/// What a CSV file holds.
public enum ImportKind: String, Codable, Sendable, CaseIterable {
    /// Columns: `name`, `kind`, `country` (required); `population`, `population_year`, `capital`, `time_zone`,
    /// `latitude`, `longitude`, `languages` (`;`-separated), `other_names` (`lang:name;lang:name`),
    /// `focal_point_name`, `focal_point_title`, `focal_point_email`, `focal_point_phone`, `focal_point_language`.
    case actors
    /// Columns: `network` (id or acronym), `role` and either `actor` (id) or `actor_name` with `actor_country`
    /// (required); `status`, `start`, `basis` (`founding_signature`, `accession` or `manual`, default manual),
    /// `decided_by`, `decided_on`.
    case memberships

    /// Every column the kind reads, and which of them a file must have.
    public var columns: (required: [String], optional: [String]) {
        switch self {
        case .actors:
            (
                ["name", "kind", "country"],
                [
                    "population", "population_year", "capital", "time_zone", "latitude", "longitude", "languages",
                    "other_names", "focal_point_name", "focal_point_title", "focal_point_email", "focal_point_phone",
                    "focal_point_language",
                ]
            )
        case .memberships:
            (
                ["network", "role"],
                ["actor", "actor_name", "actor_country", "status", "start", "basis", "decided_by", "decided_on"]
            )
        }
    }
}

/// Opens an import: the file's header, and how to treat it. Rows follow with ``ImportRows``; nothing is written
/// before ``CommitImport``.
public struct BeginImport: Command {
    public static let topic: Topic = "registry.import.begin"
    public typealias Reply = ImportOpened

    public var kind: ImportKind
    /// The header row's column names, in file order.
    public var header: [String]
    /// Check every row and report, but write nothing.
    public var dryRun: Bool?
    /// Import the valid rows even when some are rejected (by default one rejected row rejects the file).
    public var partial: Bool?
    /// Register actors whose name and country exist already.
    public var force: Bool?

    public init(kind: ImportKind, header: [String], dryRun: Bool? = nil, partial: Bool? = nil, force: Bool? = nil) {
        self.kind = kind
        self.header = header
        self.dryRun = dryRun
        self.partial = partial
        self.force = force
    }

    enum CodingKeys: String, CodingKey {
        case kind
        case header
        case dryRun = "dry_run"
        case partial
        case force
    }
}

public struct ImportOpened: Codable, Sendable, Equatable {
    public var `import`: String
    /// An import left without rows for this long is discarded.
    public var idleTimeoutSeconds: Int

    public init(import: String, idleTimeoutSeconds: Int) {
        self.import = `import`
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }

    enum CodingKeys: String, CodingKey {
        case `import`
        case idleTimeoutSeconds = "idle_timeout_seconds"
    }
}

/// Checks the next rows of an open import: CSV records without the header, starting on `first_line` of the
/// file. Split a file only between records: a newline inside a quoted field does not end a record.
public struct ImportRows: Command {
    public static let topic: Topic = "registry.import.rows"
    public typealias Reply = ImportProgress

    public var `import`: String
    public var firstLine: Int
    public var csv: String

    public init(import: String, firstLine: Int, csv: String) {
        self.import = `import`
        self.firstLine = firstLine
        self.csv = csv
    }

    enum CodingKeys: String, CodingKey {
        case `import`, csv
        case firstLine = "first_line"
    }
}

/// A row the import refused, by its line in the file.
public struct RejectedRow: Codable, Sendable, Equatable {
    public var line: Int
    public var reason: String

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }
}

public struct ImportProgress: Codable, Sendable, Equatable {
    /// Rows of this call that passed and that were refused.
    public var accepted: Int
    public var rejected: [RejectedRow]
    /// Totals of the import so far.
    public var totalAccepted: Int
    public var totalRejected: Int

    public init(accepted: Int, rejected: [RejectedRow], totalAccepted: Int, totalRejected: Int) {
        self.accepted = accepted
        self.rejected = rejected
        self.totalAccepted = totalAccepted
        self.totalRejected = totalRejected
    }

    enum CodingKeys: String, CodingKey {
        case accepted, rejected
        case totalAccepted = "total_accepted"
        case totalRejected = "total_rejected"
    }
}

/// Writes the accepted rows in one transaction, with their events; `bad_request` when rows were rejected and
/// the import is not partial (nothing is written), `conflict` when the register changed meanwhile.
public struct CommitImport: Command {
    public static let topic: Topic = "registry.import.commit"
    public typealias Reply = ImportSummary

    public var `import`: String
    public init(import: String) { self.import = `import` }
}

/// Drops an open import without writing anything.
public struct AbortImport: Command {
    public static let topic: Topic = "registry.import.abort"
    public typealias Reply = Acknowledged

    public var `import`: String
    public init(import: String) { self.import = `import` }
}

public struct ImportSummary: Codable, Sendable, Equatable {
    public var `import`: String
    public var kind: ImportKind
    public var dryRun: Bool
    /// Rows read, rows written (0 on a dry run), rows refused.
    public var rows: Int
    public var imported: Int
    public var rejected: Int
    /// Memberships the registry's rules derived from imported memberships.
    public var derived: Int

    public init(import: String, kind: ImportKind, dryRun: Bool, rows: Int, imported: Int, rejected: Int, derived: Int) {
        self.import = `import`
        self.kind = kind
        self.dryRun = dryRun
        self.rows = rows
        self.imported = imported
        self.rejected = rejected
        self.derived = derived
    }

    enum CodingKeys: String, CodingKey {
        case `import`, kind, rows, imported, rejected, derived
        case dryRun = "dry_run"
    }
}

/// An import was written: its rows' own events (`registry.actor.registered`, `registry.membership.started`)
/// precede this one in the same transaction.
public struct ImportCommitted: Event {
    public static let topic: Topic = "registry.import.committed"
    public var summary: ImportSummary
    public init(summary: ImportSummary) { self.summary = summary }
}
