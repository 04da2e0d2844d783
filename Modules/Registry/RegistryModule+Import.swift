import ConcordKit
import Contracts
import Foundation

/// Bulk import from CSV: begin with the header, send the rows in pieces (each checked and answered with its
/// rejected rows), then commit them all in one transaction, or abort.
extension RegistryModule {
    static func startImports(context: ModuleContext) throws {
        let store = context.store
        let clock = context.clock
        let staging = ImportStaging()
        let lookup = RegisterLookup(store: store)

        try context.handle(BeginImport.self) { command, _ in
            try await staging.begin(command, now: clock.now())
        }

        try context.handle(ImportRows.self) { command, _ in
            guard command.firstLine >= 2 else {
                throw ConcordError.badRequest(
                    "first_line: expected 2 or more (line 1 is the header), got \(command.firstLine)")
            }
            // Reading thousands of rows is work for the shared pool, not for the thread that called.
            return try await withTaskExecutorPreference(globalConcurrentExecutor) {
                try await staging.stage(command, now: clock.now(), lookup: lookup)
            }
        }

        try context.handle(AbortImport.self) { command, _ in
            try await staging.abort(command.import)
            return Acknowledged()
        }

        try context.handle(CommitImport.self) { command, _ in
            let open = try await staging.take(command.import)
            let accepted = open.actors.count + open.memberships.count
            if open.rejected > 0, open.options.partial != true {
                throw ConcordError(
                    .badRequest,
                    "import: \(open.rejected) of \(open.rows) rows were rejected, so nothing was imported; fix them, "
                        + "or import with partial to write the \(accepted) valid rows",
                    details: ["rejected": .int(Int64(open.rejected))])
            }
            let dryRun = open.options.dryRun == true
            let checked = ImportSummary(
                import: command.import, kind: open.kind, dryRun: dryRun, rows: open.rows, imported: 0,
                rejected: open.rejected, derived: 0)
            guard !dryRun, accepted > 0 else { return checked }
            return try await store.write { transaction in
                var summary = checked
                let registry = RegistryStore(db: transaction.db)
                switch open.kind {
                case .actors: try commitActors(open, into: &summary, registry, transaction)
                case .memberships: try commitMemberships(open, into: &summary, registry, transaction)
                }
                transaction.emit(ImportCommitted(summary: summary))
                return summary
            }
        }
    }

    /// Writes the staged actors; one that became a duplicate since it was checked fails the import, or is
    /// skipped when the import is partial.
    ///
    /// Rows are checked against the register when they are staged. Rather than asking again row by row, the
    /// rows are inserted and one query then finds any that share a name and country with an actor that was
    /// in the table before them (registered, or renamed, since the check).
    private static func commitActors(
        _ open: ImportStaging.Open, into summary: inout ImportSummary, _ registry: RegistryStore,
        _ transaction: WriteTransaction
    ) throws {
        let before = try registry.lastActorRowID()
        try registry.insert(open.actors.lazy.map(\.row))
        let conflicts = open.options.force == true ? [:] : try registry.actorsSharingANameWithOlderOnes(after: before)
        // Every row after `before` is one of these, so a conflict always names a staged row.
        if let first = open.actors.first(where: { conflicts[$0.row.id] != nil }) {
            guard open.options.partial == true else {
                throw ConcordError(
                    .conflict,
                    "line \(first.line): an actor named \"\(first.name)\" in \(first.row.country) was registered "
                        + "since the row was checked (\(conflicts[first.row.id] ?? ""))")
            }
            try registry.deleteActors(Array(conflicts.keys))
            summary.rejected += conflicts.count
        }
        for staged in open.actors where conflicts[staged.row.id] == nil {
            // The document was encoded once, when the row was checked, as this event's payload.
            transaction.emit(ActorRegistered.self, json: staged.row.registeredEvent)
            summary.imported += 1
        }
    }

    /// Starts the staged memberships, with what the rules derive from each (one engine for the whole file, so
    /// the work is linear in the rows).
    private static func commitMemberships(
        _ open: ImportStaging.Open, into summary: inout ImportSummary, _ registry: RegistryStore,
        _ transaction: WriteTransaction
    ) throws {
        let today = date(transaction.now)
        let engine = RuleEngine(store: registry, rules: try registry.rules(), today: today)
        var networks: [String: Network] = [:]
        for staged in open.memberships {
            do {
                let actor = try registry.requireActor(staged.actor, field: "actor")
                let network = try networks[staged.network] ?? registry.requireNetwork(staged.network, field: "network")
                networks[staged.network] = network
                let change = try startMembership(
                    of: actor, in: network, role: staged.role, status: staged.status, start: staged.start ?? today,
                    basis: staged.basis, registry: registry, transaction: transaction, engine: engine)
                summary.imported += 1
                summary.derived += change.derivedStarted.count
            } catch let error as ConcordError {
                guard open.options.partial == true else {
                    throw ConcordError(error.code, "line \(staged.line): \(error.message)")
                }
                summary.rejected += 1
            }
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
