import ConcordKit
import Contracts
import Foundation

/// Imports being checked and written.
///
/// An import that is not a dry run takes the register's writer (a ``WriteSession``) before its first piece is
/// checked: each piece is written while the next one is checked, and nothing is seen until the commit. Holding
/// the writer from before the first lookup also means no other write can register a namesake between a row's
/// check and the commit. A restart, an abort, or a client that sends nothing for ``writerIdleTimeout`` rolls it
/// all back.
actor ImportStaging {
    static let idleTimeout: TimeInterval = 600
    /// How long an import may hold the writer without sending its next piece.
    static let writerIdleTimeout: Duration = .seconds(10)
    static let maximumOpen = 4
    static let maximumRows = 2_000_000

    /// A checked actor, ready to write: its id is chosen and its document encoded here, off the writer.
    struct StagedActor: Sendable {
        var line: Int
        var name: String
        var row: ActorRow
    }

    struct StagedMembership: Sendable {
        var line: Int
        var actor: String
        var network: String
        var role: MembershipRole
        var status: MembershipStatus
        var start: String?
        var basis: MembershipBasis
    }

    /// A checked piece, in file order.
    enum Piece: Sendable {
        case actors([StagedActor])
        case memberships([StagedMembership])
    }

    struct Open {
        var options: BeginImport
        /// Column name to position in a record.
        var columns: [String: Int]
        var accepted = 0
        var rejected = 0
        /// Name keys with country (actors) or actor with network (memberships) seen so far, for duplicates.
        var seen: Set<String> = []
        var lastUsed: Date
        /// The writer, held from the first piece of an import that writes until it commits or gives up.
        var session: (any WriteSession)?
        /// What the pieces written so far gave.
        var written = ImportTally()
        var kind: ImportKind { options.kind }
        var rows: Int { accepted + rejected }
        /// Whether the accepted rows are to be written: not a dry run, and no row rejected unless partial.
        var writes: Bool { options.dryRun != true && (rejected == 0 || options.partial == true) }
    }

    private var imports: [String: Open] = [:]
    private let store: any ModuleStore

    init(store: any ModuleStore) {
        self.store = store
    }

    func begin(_ command: BeginImport, now: Date) async throws -> ImportOpened {
        let idle = imports.filter { now.timeIntervalSince($0.value.lastUsed) >= Self.idleTimeout }
        for (id, open) in idle {
            imports[id] = nil
            await open.session?.rollback()
        }
        guard imports.count < Self.maximumOpen else {
            throw ConcordError.unavailable(
                "\(imports.count) imports are open; commit or abort one, or wait \(Int(Self.idleTimeout)) s for "
                    + "an idle one to be dropped")
        }
        let (required, optional) = command.kind.columns
        var columns: [String: Int] = [:]
        for (index, raw) in command.header.enumerated() {
            let name = raw.trimmingCharacters(in: .whitespaces).lowercased()
            guard required.contains(name) || optional.contains(name) else {
                throw ConcordError.badRequest(
                    "header: unknown column \"\(raw)\" (column \(index + 1)); \(command.kind.rawValue) files have "
                        + (required + optional).joined(separator: ", "))
            }
            guard columns.updateValue(index, forKey: name) == nil else {
                throw ConcordError.badRequest("header: column \"\(name)\" appears twice")
            }
        }
        let missing = required.filter { columns[$0] == nil }
        guard missing.isEmpty else {
            throw ConcordError.badRequest(
                "header: missing column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")); "
                    + "\(command.kind.rawValue) files need \(required.joined(separator: ", "))")
        }
        if command.kind == .memberships, columns["actor"] == nil,
            columns["actor_name"] == nil || columns["actor_country"] == nil
        {
            throw ConcordError.badRequest(
                "header: memberships files need an actor column (id) or actor_name with actor_country")
        }
        let id = EntityID.next()
        imports[id] = Open(options: command, columns: columns, lastUsed: now)
        return ImportOpened(import: id, idleTimeoutSeconds: Int(Self.idleTimeout))
    }

    /// Checks a piece of the file, and hands what it accepted to the writer; `lookup` answers from the register
    /// what a row refers to.
    func stage(_ command: ImportRows, now: Date, lookup: any ImportLookup) async throws -> ImportProgress {
        guard var open = imports.removeValue(forKey: command.import) else {
            throw ConcordError.notFound(
                "import: no open import \"\(command.import)\" (committed, aborted, or idle for more than "
                    + "\(Int(Self.idleTimeout)) s); begin again")
        }
        // Whatever happens to this piece, an import that failed to write is gone; any other stays open.
        var keep = true
        defer {
            if keep {
                open.lastUsed = now
                imports[command.import] = open
            }
        }
        if open.writes, open.session == nil {
            open.session = try await store.beginSession(idleTimeout: Self.writerIdleTimeout)
        }
        let checked = try await Self.check(
            command.csv, firstLine: command.firstLine, columns: open.columns, options: open.options, lookup: lookup)
        guard open.rows + checked.count <= Self.maximumRows else {
            throw ConcordError(
                .tooLarge, "import: more than \(Self.maximumRows) rows; split the file",
                details: ["limit": .int(Int64(Self.maximumRows))])
        }
        var rejected: [RejectedRow] = []
        var actors: [StagedActor] = []
        var memberships: [StagedMembership] = []
        for (line, outcome) in checked {
            do {
                switch outcome {
                case .rejected(let reason):
                    throw ConcordError.badRequest(reason)
                case .actor(let staged):
                    let key = staged.row.nameKey + "\u{1F}" + staged.row.country
                    if open.options.force != true, !open.seen.insert(key).inserted {
                        throw ConcordError.badRequest(
                            "name: \"\(staged.name)\" in \(staged.row.country) appears earlier in the file")
                    }
                    actors.append(staged)
                case .membership(let staged):
                    guard open.seen.insert(staged.actor + "\u{1F}" + staged.network).inserted else {
                        throw ConcordError.badRequest("actor: has a membership of this network earlier in the file")
                    }
                    memberships.append(staged)
                }
            } catch let error as ConcordError {
                rejected.append(RejectedRow(line: line, reason: error.message))
            }
        }
        open.accepted += actors.count + memberships.count
        open.rejected += rejected.count
        if let session = open.session {
            if !open.writes {
                // A rejected row fails the whole file: give the writer back now, and go on checking for the report.
                open.session = nil
                await session.rollback()
            } else if !actors.isEmpty || !memberships.isEmpty {
                let piece: Piece = open.kind == .actors ? .actors(actors) : .memberships(memberships)
                do {
                    try await session.append(RegistryModule.write(piece, options: open.options, into: open.written))
                } catch {
                    keep = false
                    throw Self.failure(error)
                }
            }
        }
        return ImportProgress(
            accepted: actors.count + memberships.count, rejected: rejected, totalAccepted: open.accepted,
            totalRejected: open.rejected)
    }

    /// The error of an import whose write failed: nothing of it was kept.
    nonisolated static func failure(_ error: any Error) -> ConcordError {
        let cause = error as? ConcordError ?? ConcordError(.internal, "\(error)")
        return ConcordError(
            cause.code, "import: nothing was imported: \(cause.message); begin again", details: cause.details)
    }

    /// Takes the import out, for its commit.
    func take(_ id: String) throws -> Open {
        guard let open = imports.removeValue(forKey: id) else {
            throw ConcordError.notFound("import: no open import \"\(id)\"; begin again")
        }
        return open
    }

    func abort(_ id: String) async throws {
        guard let open = imports.removeValue(forKey: id) else {
            throw ConcordError.notFound("import: no open import \"\(id)\"")
        }
        await open.session?.rollback()
    }

    /// What checking a row gave: a row to stage, or why not.
    enum Checked: Sendable {
        case actor(StagedActor)
        case membership(StagedMembership)
        case rejected(String)
    }

    /// Reads and checks a piece of CSV in as many parts at once as there are cores: reading, validating,
    /// looking up and encoding are independent per record; only duplicates within the file need the order,
    /// and the caller finds those. Each outcome comes with the line its record starts on.
    nonisolated static func check(
        _ csv: String, firstLine: Int, columns: [String: Int], options: BeginImport, lookup: any ImportLookup
    ) async throws -> [(line: Int, checked: Checked)] {
        // Parts below 64 KiB are not worth a task of their own.
        let parts = CSVRecords.split(
            csv, firstLine: firstLine,
            into: max(1, min(ProcessInfo.processInfo.activeProcessorCount, csv.utf8.count / 65_536)))
        return try await withThrowingTaskGroup(of: (Int, [(line: Int, checked: Checked)]).self) { group in
            for (index, part) in parts.enumerated() {
                group.addTask {
                    let records = CSVRecords.read(part.text, firstLine: part.line)
                    let checked = try await check(piece: records, columns: columns, options: options, lookup: lookup)
                    return (index, Array(zip(records.map(\.line), checked)))
                }
            }
            var results = [[(line: Int, checked: Checked)]](repeating: [], count: parts.count)
            for try await (index, checked) in group { results[index] = checked }
            return results.flatMap { $0 }
        }
    }

    private nonisolated static func check(
        piece records: [CSVRecords.Record], columns: [String: Int], options: BeginImport,
        lookup: any ImportLookup
    ) async throws -> [Checked] {
        let rows = records.map { RowReader(fields: $0.fields, columns: columns) }
        let resolutions = try await lookup.resolve(rows, options.kind)
        let cache = Validation.Cache()
        return zip(zip(records, rows), resolutions).map { (pair, resolved) in
            let (record, row) = pair
            do {
                if let problem = record.problem { throw ConcordError.badRequest("csv: \(problem)") }
                guard record.fields.count == columns.count else {
                    throw ConcordError.badRequest(
                        "expected \(columns.count) fields as in the header, got \(record.fields.count)")
                }
                switch options.kind {
                case .actors:
                    return try checkActor(
                        row, line: record.line, duplicate: resolved.duplicate, force: options.force == true,
                        cache: cache)
                case .memberships:
                    return .membership(try checkMembership(row, line: record.line, resolved: resolved))
                }
            } catch let error as ConcordError {
                return .rejected(error.message)
            } catch {
                return .rejected("\(error)")
            }
        }
    }

    private nonisolated static func checkActor(
        _ row: RowReader, line: Int, duplicate: String?, force: Bool, cache: Validation.Cache
    ) throws -> Checked {
        let fields = try Validation.actor(try row.actorFields(), field: "", cache: cache)
        let (region, regionName) = try cache.country(fields.country, field: "country")
        if !force, let duplicate {
            throw ConcordError.badRequest(
                "name: an actor named \"\(fields.name)\" in \(fields.country) exists already (\(duplicate)); "
                    + "import with force to register another")
        }
        let actor = ActorRecord(
            id: EntityID.next(), fields: fields, region: region, regionName: regionName, version: 1)
        return .actor(StagedActor(line: line, name: fields.name, row: try ActorRow(actor)))
    }

    private nonisolated static func checkMembership(_ row: RowReader, line: Int, resolved: ImportResolution) throws
        -> StagedMembership
    {
        if let problem = resolved.problem { throw ConcordError.badRequest(problem) }
        guard let actor = resolved.actor, let network = resolved.network else {
            throw ConcordError.badRequest("actor and network: could not be resolved")
        }
        guard let role = try row.enumeration(MembershipRole.self, "role") else {
            throw ConcordError.badRequest("role: required")
        }
        let status = try row.enumeration(MembershipStatus.self, "status") ?? .active
        guard status == .active || status == .applied else {
            throw ConcordError.badRequest("status: expected active or applied for a new membership, got \(status)")
        }
        let basisKind = try row.enumeration(BasisKind.self, "basis") ?? .manual
        guard basisKind != .rule else {
            throw ConcordError.badRequest(
                "basis: expected founding_signature, accession or manual; rule memberships are derived")
        }
        let decidedBy = row["decided_by"]
        if basisKind == .manual, decidedBy == nil {
            throw ConcordError.badRequest("decided_by: required for basis manual: who decided")
        }
        let basis = MembershipBasis(
            kind: basisKind, decidedBy: decidedBy,
            decidedOn: try Validation.date(row["decided_on"], field: "decided_on"))
        return StagedMembership(
            line: line, actor: actor, network: network, role: role, status: status,
            start: try Validation.date(row["start"], field: "start"), basis: basis)
    }
}

/// What the register says about the rows of a piece of a file.
struct ImportResolution: Sendable {
    /// Actors: the id of an actor with the same name and country.
    var duplicate: String?
    /// Memberships: the actor and network ids, or why they could not be found.
    var actor: String?
    var network: String?
    var problem: String?
}

protocol ImportLookup: Sendable {
    func resolve(_ rows: [RowReader], _ kind: ImportKind) async throws -> [ImportResolution]
}

/// One CSV record, read by column name.
struct RowReader: Sendable {
    let fields: [String]
    let columns: [String: Int]

    /// The trimmed value of a column; nil when the column is absent or the value empty.
    subscript(_ column: String) -> String? {
        guard let index = columns[column], index < fields.count else { return nil }
        let field = fields[index]
        // Most fields have nothing to trim; only spaces and tabs are (CharacterSet trimming is slow here).
        let utf8 = field.utf8
        guard let first = utf8.first, let last = utf8.last else { return nil }
        guard first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09 else { return field }
        let trimmed = Self.trimmed(field[...])
        return trimmed.isEmpty ? nil : trimmed
    }

    /// `text` without the spaces and tabs around it.
    static func trimmed(_ text: Substring) -> String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !blank($0) }), let last = text.lastIndex(where: { !blank($0) })
        else { return "" }
        return String(text[first...last])
    }

    func enumeration<E: RawRepresentable & CaseIterable>(_ type: E.Type, _ column: String) throws -> E?
    where E.RawValue == String {
        guard let raw = self[column] else { return nil }
        guard let value = E(rawValue: raw) else {
            throw ConcordError.badRequest(
                "\(column): expected one of \(E.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(raw)\"")
        }
        return value
    }

    func number<N: LosslessStringConvertible>(_ type: N.Type, _ column: String, _ expected: String) throws -> N? {
        guard let raw = self[column] else { return nil }
        guard let value = N(raw) else {
            throw ConcordError.badRequest("\(column): expected \(expected), got \"\(raw)\"")
        }
        return value
    }

    func actorFields() throws -> ActorFields {
        guard let name = self["name"] else { throw ConcordError.badRequest("name: required") }
        guard let kind = try enumeration(ActorKind.self, "kind") else {
            throw ConcordError.badRequest("kind: required")
        }
        guard let country = self["country"] else { throw ConcordError.badRequest("country: required") }
        var coordinates: Coordinates?
        switch (
            try number(Double.self, "latitude", "a number such as 21.03"),
            try number(Double.self, "longitude", "a number such as 105.85")
        ) {
        case (nil, nil): break
        case (let latitude?, let longitude?): coordinates = Coordinates(latitude: latitude, longitude: longitude)
        default: throw ConcordError.badRequest("latitude and longitude: give both or neither")
        }
        var otherNames: [String: String]?
        if let raw = self["other_names"] {
            otherNames = [:]
            for entry in raw.split(separator: ";") {
                guard let colon = entry.firstIndex(of: ":"), colon != entry.startIndex else {
                    throw ConcordError.badRequest(
                        "other_names: expected language:name pairs separated by ; such as \"ru:Душанбе\", got \"\(raw)\""
                    )
                }
                otherNames?[Self.trimmed(entry[..<colon])] = String(entry[entry.index(after: colon)...])
            }
        }
        var focalPoints: [FocalPoint]?
        let pointColumns = ["focal_point_title", "focal_point_email", "focal_point_phone", "focal_point_language"]
        if let person = self["focal_point_name"] {
            focalPoints = [
                FocalPoint(
                    name: person, title: self["focal_point_title"], email: self["focal_point_email"],
                    phone: self["focal_point_phone"], language: self["focal_point_language"])
            ]
        } else if pointColumns.contains(where: { self[$0] != nil }) {
            throw ConcordError.badRequest("focal_point_name: required when other focal_point_ columns are filled")
        }
        return ActorFields(
            name: name, otherNames: otherNames, kind: kind, country: country,
            population: try number(Int64.self, "population", "a whole number such as 652572"),
            populationYear: try number(Int.self, "population_year", "a year such as 2023"),
            capital: try enumeration(CapitalStatus.self, "capital"), timeZone: self["time_zone"],
            coordinates: coordinates,
            languages: self["languages"].map { $0.split(separator: ";").map(Self.trimmed) },
            focalPoints: focalPoints)
    }
}
