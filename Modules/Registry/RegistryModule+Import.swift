import ConcordKit
import Contracts
import Foundation
import Synchronization

/// Bulk import from CSV: begin with the header, send the rows in pieces (each checked, written in the import's
/// transaction while the next is checked, and answered with its rejected rows), then commit them all, or abort.
extension RegistryModule {
    static func startImports(context: ModuleContext) throws {
        let store = context.store
        let clock = context.clock
        let staging = ImportStaging(store: store)
        let lookup = RegisterLookup(store: store)

        try context.handle(BeginImport.self) { command, _ in
            try await staging.begin(command, now: clock.now())
        }

        try context.handle(ImportRows.self) { command, _ in
            guard command.firstLine >= 2 else {
                throw ConcordError.badRequest(
                    "first_line: expected 2 or more (line 1 is the header), got \(command.firstLine)")
            }
            return try await staging.stage(command, now: clock.now(), lookup: lookup)
        }

        try context.handle(AbortImport.self) { command, _ in
            try await staging.abort(command.import)
            return Acknowledged()
        }

        try context.handle(CommitImport.self) { command, _ in
            let open = try await staging.take(command.import)
            if open.rejected > 0, open.options.partial != true {
                await open.session?.rollback()
                throw ConcordError(
                    .badRequest,
                    "import: \(open.rejected) of \(open.rows) rows were rejected, so nothing was imported; fix them, "
                        + "or import with partial to write the \(open.accepted) valid rows",
                    details: ["rejected": .int(Int64(open.rejected))])
            }
            let checked = ImportSummary(
                import: command.import, kind: open.kind, dryRun: open.options.dryRun == true, rows: open.rows,
                imported: 0, rejected: open.rejected, derived: 0)
            guard let session = open.session else { return checked }
            do {
                return try await session.commit { transaction in
                    var summary = checked
                    open.written.add(to: &summary)
                    transaction.emit(ImportCommitted(summary: summary))
                    return summary
                }
            } catch {
                throw ImportStaging.failure(error)
            }
        }
    }

    /// The step that writes a checked piece in the import's transaction.
    static func write(_ piece: ImportStaging.Piece, options: BeginImport, into tally: ImportTally)
        -> @Sendable (WriteTransaction) throws -> Void
    {
        { transaction in
            let registry = RegistryStore(db: transaction.db)
            switch piece {
            case .actors(let actors): try writeActors(actors, registry, transaction, tally)
            case .memberships(let memberships):
                try writeMemberships(memberships, partial: options.partial == true, registry, transaction, tally)
            }
        }
    }

    /// Inserts the actors with their events. They were checked against the register with the import already
    /// holding the writer, so no namesake can have been registered since.
    private static func writeActors(
        _ actors: [ImportStaging.StagedActor], _ registry: RegistryStore, _ transaction: WriteTransaction,
        _ tally: ImportTally
    ) throws {
        try registry.insert(actors.lazy.map(\.row))
        for staged in actors {
            // The document was encoded once, when the row was checked, as this event's payload.
            transaction.emit(ActorRegistered.self, json: staged.row.registeredEvent)
        }
        tally.record(imported: actors.count)
    }

    /// Starts the memberships, with what the rules derive from each (one engine a piece, so the work is linear in
    /// the rows). A membership the register refuses fails the import, or is counted as rejected when it is partial.
    private static func writeMemberships(
        _ memberships: [ImportStaging.StagedMembership], partial: Bool, _ registry: RegistryStore,
        _ transaction: WriteTransaction, _ tally: ImportTally
    ) throws {
        let today = date(transaction.now)
        let engine = RuleEngine(store: registry, rules: try registry.rules(), today: today)
        var networks: [String: Network] = [:]
        for staged in memberships {
            do {
                let actor = try registry.requireActor(staged.actor, field: "actor")
                let network = try networks[staged.network] ?? registry.requireNetwork(staged.network, field: "network")
                networks[staged.network] = network
                let change = try startMembership(
                    of: actor, in: network, role: staged.role, status: staged.status, start: staged.start ?? today,
                    basis: staged.basis, registry: registry, transaction: transaction, engine: engine)
                tally.record(imported: 1, derived: change.derivedStarted.count)
            } catch let error as ConcordError {
                guard partial else { throw ConcordError(error.code, "line \(staged.line): \(error.message)") }
                tally.record(rejected: 1)
            }
        }
    }
}

/// What an import's written pieces gave, counted by the writer and read by the commit.
final class ImportTally: Sendable {
    private struct Counts {
        var imported = 0
        var rejected = 0
        var derived = 0
    }

    private let counts = Mutex(Counts())

    func record(imported: Int = 0, rejected: Int = 0, derived: Int = 0) {
        counts.withLock { counts in
            counts.imported += imported
            counts.rejected += rejected
            counts.derived += derived
        }
    }

    func add(to summary: inout ImportSummary) {
        counts.withLock { counts in
            summary.imported += counts.imported
            summary.rejected += counts.rejected
            summary.derived += counts.derived
        }
    }
}

/// Answers the staging's questions from a snapshot of the register.
struct RegisterLookup: ImportLookup {
    let store: any ModuleStore

    func resolve(_ rows: [RowReader], _ kind: ImportKind) async throws -> [ImportResolution] {
        try await store.read { db in
            let registry = RegistryStore(db: db)
            switch kind {
            case .actors: return try Self.actors(rows, registry)
            case .memberships: return try Self.memberships(rows, registry)
            }
        }
    }

    /// Each row's existing namesake in its country, found with one query for the whole piece.
    private static func actors(_ rows: [RowReader], _ registry: RegistryStore) throws -> [ImportResolution] {
        let keys = rows.map { row in
            row["name"].flatMap { name in
                row["country"].map { ActorNameKey(nameKey: Validation.nameKey(name), country: $0) }
            }
        }
        let existing = try registry.actorIDs(nameKeys: Set(keys.compactMap { $0?.nameKey }))
        return keys.map { key in ImportResolution(duplicate: key.flatMap { existing[$0] }) }
    }

    private static func memberships(_ rows: [RowReader], _ registry: RegistryStore) throws -> [ImportResolution] {
        var networks: [String: String?] = [:]
        return try rows.map { row in
            var resolution = ImportResolution()
            if let reference = row["network"] {
                if networks[reference] == nil { networks[reference] = try registry.network(reference)?.id }
                resolution.network = networks[reference] ?? nil
                if resolution.network == nil {
                    resolution.problem = "network: no network with id or acronym \"\(reference)\""
                }
            } else {
                resolution.problem = "network: required"
            }
            if let id = row["actor"] {
                resolution.actor = try registry.actor(id)?.id
                if resolution.actor == nil { resolution.problem = "actor: no actor with id \"\(id)\"" }
            } else if let name = row["actor_name"], let country = row["actor_country"] {
                let ids = try registry.actorIDs(nameKey: Validation.nameKey(name), country: country)
                switch ids.count {
                case 1: resolution.actor = ids[0]
                case 0: resolution.problem = "actor_name: no actor named \"\(name)\" in \(country)"
                default:
                    resolution.problem =
                        "actor_name: \(ids.count) actors are named \"\(name)\" in \(country); give actor (id)"
                }
            } else {
                resolution.problem = "actor: required, or actor_name with actor_country"
            }
            return resolution
        }
    }
}
