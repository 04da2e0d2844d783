import ConcordKit
import Contracts
import Foundation
import GRDB

/// The registry's tables. Each entity is stored whole as JSON (`doc`), with the columns queries filter on.
enum RegistrySchema {
    static let migrations: [Migration] = [
        Migration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE registry_actors (
                        id TEXT PRIMARY KEY,
                        name_key TEXT NOT NULL,
                        country TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        region TEXT NOT NULL,
                        size_class TEXT,
                        search TEXT NOT NULL,
                        doc TEXT NOT NULL,
                        version INTEGER NOT NULL
                    );
                    CREATE INDEX registry_actors_by_name ON registry_actors(name_key, id);
                    CREATE INDEX registry_actors_by_name_country ON registry_actors(name_key, country);
                    CREATE TABLE registry_networks (
                        id TEXT PRIMARY KEY,
                        acronym TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        doc TEXT NOT NULL,
                        version INTEGER NOT NULL
                    );
                    CREATE TABLE registry_memberships (
                        id TEXT PRIMARY KEY,
                        actor TEXT NOT NULL REFERENCES registry_actors(id),
                        network TEXT NOT NULL REFERENCES registry_networks(id),
                        status TEXT NOT NULL,
                        doc TEXT NOT NULL,
                        version INTEGER NOT NULL
                    );
                    CREATE INDEX registry_memberships_by_actor ON registry_memberships(actor);
                    CREATE INDEX registry_memberships_by_network ON registry_memberships(network, status);
                    CREATE TABLE registry_rules (
                        id TEXT PRIMARY KEY,
                        source TEXT NOT NULL REFERENCES registry_networks(id),
                        target TEXT NOT NULL REFERENCES registry_networks(id),
                        doc TEXT NOT NULL,
                        version INTEGER NOT NULL
                    );
                    """
            )
        },
        DocumentTable.migration,
        // Look-ups by name and country use registry_actors_by_name (name_key first) just as well; one index
        // fewer to keep makes a bulk import of actors about a tenth faster.
        Migration("v3") { db in
            try db.execute(sql: "DROP INDEX registry_actors_by_name_country")
        },
    ]
}

/// What makes two actors the same for the register: the name's key (case and spacing folded) and the country.
struct ActorNameKey: Hashable, Sendable {
    var nameKey: String
    var country: String
}

/// An actor as its table holds it: the columns that lists filter and sort on, and the whole record as JSON.
///
/// Built apart from any database access, so a bulk import can prepare its rows off the writer. The record's
/// JSON is kept as the payload of its `registry.actor.registered` event, `{"actor":…}`, so that a row
/// waiting to be written holds its document once and the event shares it.
struct ActorRow: Sendable {
    var id: String
    var nameKey: String
    var country: String
    var kind: String
    var region: String
    var sizeClass: String?
    /// Every name in lower case, one a line, for text search.
    var search: String
    var version: Int
    /// `{"actor":` + the record's JSON + `}`.
    var registeredEvent: Data

    private static let eventPrefix = Array(#"{"actor":"#.utf8)

    init(_ actor: ActorRecord) throws {
        let names = [actor.fields.name] + (actor.fields.otherNames.map { Array($0.values) } ?? [])
        id = actor.id
        nameKey = Validation.nameKey(actor.fields.name)
        country = actor.fields.country
        kind = actor.fields.kind.rawValue
        region = actor.region
        sizeClass = actor.sizeClass?.rawValue
        search = names.joined(separator: "\n").lowercased()
        version = actor.version
        var event = JSONBytes(capacity: 640)
        event.raw(Self.eventPrefix)
        try ActorDocument.write(actor, into: &event)
        event.raw("}")
        registeredEvent = Data(event.bytes)
    }

    /// The record's JSON, as the `doc` column stores it: a slice of the event's bytes.
    var docJSON: Data { registeredEvent.dropFirst(Self.eventPrefix.count).dropLast() }

    var doc: String { String(decoding: docJSON, as: UTF8.self) }
}

/// Reads and writes the registry's entities inside one database access.
struct RegistryStore {
    let db: Database

    private static let decoder = ConcordJSON.decoder()

    func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try Self.decoder.decode(T.self, from: Data(text.utf8))
    }

    /// An actor's document, by ``ActorDocument/read(_:)`` when it can, else by `JSONDecoder`.
    func decodeActor(_ text: String) throws -> ActorRecord {
        try ActorDocument.read(Array(text.utf8)) ?? decode(ActorRecord.self, text)
    }

    // MARK: Actors

    func actor(_ id: String) throws -> ActorRecord? {
        try String.fetchOne(db, sql: "SELECT doc FROM registry_actors WHERE id = ?", arguments: [id])
            .map { try decodeActor($0) }
    }

    func requireActor(_ id: String, field: String) throws -> ActorRecord {
        guard let actor = try actor(id) else {
            throw ConcordError.notFound("\(field): no actor with id \"\(id)\"")
        }
        return actor
    }

    func actorID(nameKey: String, country: String) throws -> String? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT id FROM registry_actors WHERE name_key = ? AND country = ? LIMIT 1"),
            arguments: [nameKey, country])
    }

    /// For each name key and country among actors whose name key is in `nameKeys`, one actor's id, in one
    /// query: a bulk import looks its rows up a piece at a time, not a row at a time.
    func actorIDs(nameKeys: Set<String>) throws -> [ActorNameKey: String] {
        guard !nameKeys.isEmpty else { return [:] }
        let keys = try JSONStreamEncoder.text(Array(nameKeys))
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT name_key, country, id FROM registry_actors
                WHERE name_key IN (SELECT value FROM json_each(?))
                """,
            arguments: [keys])
        var found: [ActorNameKey: String] = [:]
        while let row = try rows.next() {
            let key = ActorNameKey(nameKey: row[0], country: row[1])
            if found[key] == nil { found[key] = row[2] }
        }
        return found
    }

    func actorIDs(nameKey: String, country: String) throws -> [String] {
        try String.fetchAll(
            db, sql: "SELECT id FROM registry_actors WHERE name_key = ? AND country = ? LIMIT 2",
            arguments: [nameKey, country])
    }

    /// Writes an actor.
    func save(_ actor: ActorRecord, inserting: Bool) throws {
        try save(ActorRow(actor), inserting: inserting)
    }

    /// Inserts actors with one prepared statement, bound straight through SQLite: a bulk import inserts
    /// hundreds of thousands in one go.
    func insert(_ rows: some Sequence<ActorRow>) throws {
        let insert = try BoundStatement(
            db,
            sql: """
                INSERT INTO registry_actors(name_key, country, kind, region, size_class, search, doc, version, id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for row in rows {
            insert.bind(row.nameKey, at: 1)
            insert.bind(row.country, at: 2)
            insert.bind(row.kind, at: 3)
            insert.bind(row.region, at: 4)
            insert.bind(row.sizeClass, at: 5)
            insert.bind(row.search, at: 6)
            insert.bind(utf8: row.docJSON, at: 7)
            insert.bind(Int64(row.version), at: 8)
            insert.bind(row.id, at: 9)
            try insert.run()
        }
    }

    func save(_ row: ActorRow, inserting: Bool) throws {
        if inserting {
            try insert(CollectionOfOne(row))
        } else {
            let arguments: StatementArguments = [
                row.nameKey, row.country, row.kind, row.region, row.sizeClass, row.search, row.doc, row.version, row.id,
            ]
            try db.cachedStatement(
                sql: """
                    UPDATE registry_actors SET name_key = ?, country = ?, kind = ?, region = ?, size_class = ?,
                    search = ?, doc = ?, version = ? WHERE id = ?
                    """
            ).execute(arguments: arguments)
        }
    }

    /// One page of actors in name order after `cursor`, and the cursor of the next page.
    func actors(matching query: ListActors) throws -> ActorPage {
        let limit = query.limit ?? 100
        guard (1...1000).contains(limit) else {
            throw ConcordError.badRequest("limit: expected an integer from 1 to 1000, got \(limit)")
        }
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if let kind = query.kind {
            clauses.append("kind = ?")
            arguments += [kind.rawValue]
        }
        if let country = query.country {
            _ = try Validation.country(country, field: "country")
            clauses.append("country = ?")
            arguments += [country]
        }
        if let region = query.region {
            let codes = try Validation.regions(region, field: "region").sorted()
            clauses.append("region IN (\(codes.map { _ in "?" }.joined(separator: ",")))")
            arguments += StatementArguments(codes)
        }
        if let size = query.sizeClass {
            clauses.append("size_class = ?")
            arguments += [size.rawValue]
        }
        if let network = query.network {
            let id = try requireNetwork(network, field: "network").id
            clauses.append("id IN (SELECT actor FROM registry_memberships WHERE network = ? AND status = ?)")
            arguments += [id, (query.status ?? .active).rawValue]
        } else if query.status != nil {
            throw ConcordError.badRequest("status: filters memberships, so it needs network")
        }
        if let text = query.text, !text.isEmpty {
            let escaped = text.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            clauses.append("search LIKE ? ESCAPE '\\'")
            arguments += ["%\(escaped)%"]
        }
        if let cursor = query.cursor {
            // "name_key US id": ids never hold the separator, so the last one splits.
            let text = Data(base64Encoded: cursor).map { String(decoding: $0, as: UTF8.self) }
            guard let text, let separator = text.lastIndex(of: "\u{1F}") else {
                throw ConcordError.badRequest(
                    "cursor: expected the \"next\" value of a previous page, got \"\(cursor)\"")
            }
            clauses.append("(name_key, id) > (?, ?)")
            arguments += [String(text[..<separator]), String(text[text.index(after: separator)...])]
        }
        let filter = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT doc, name_key, id FROM registry_actors \(filter) ORDER BY name_key, id LIMIT ?",
            arguments: arguments + [limit + 1]
        )
        let page = try rows.prefix(limit).map { try decodeActor($0["doc"]) }
        var next: String?
        if rows.count > limit, let last = rows.prefix(limit).last {
            let key: String = last["name_key"]
            let id: String = last["id"]
            next = Data("\(key)\u{1F}\(id)".utf8).base64EncodedString()
        }
        return ActorPage(actors: page, next: next)
    }

    // MARK: Networks

    /// A network by id or by acronym (any case).
    func network(_ reference: String) throws -> Network? {
        try String.fetchOne(
            db, sql: "SELECT doc FROM registry_networks WHERE id = ? OR acronym = ? LIMIT 1",
            arguments: [reference, reference]
        ).map { try decode(Network.self, $0) }
    }

    func requireNetwork(_ reference: String, field: String) throws -> Network {
        guard let network = try network(reference) else {
            throw ConcordError.notFound("\(field): no network with id or acronym \"\(reference)\"")
        }
        return network
    }

    func insert(_ network: Network) throws {
        try db.execute(
            sql: "INSERT INTO registry_networks(id, acronym, doc, version) VALUES (?, ?, ?, ?)",
            arguments: [network.id, network.acronym, try JSONStreamEncoder.text(network), network.version])
    }

    func networks() throws -> [Network] {
        try String.fetchAll(db, sql: "SELECT doc FROM registry_networks ORDER BY acronym")
            .map { try decode(Network.self, $0) }
    }

    // MARK: Memberships

    func membership(_ id: String) throws -> Membership? {
        try String.fetchOne(db, sql: "SELECT doc FROM registry_memberships WHERE id = ?", arguments: [id])
            .map { try decode(Membership.self, $0) }
    }

    func requireMembership(_ id: String, field: String) throws -> Membership {
        guard let membership = try membership(id) else {
            throw ConcordError.notFound("\(field): no membership with id \"\(id)\"")
        }
        return membership
    }

    func memberships(actor: String) throws -> [Membership] {
        try String.fetchAll(
            db, sql: "SELECT doc FROM registry_memberships WHERE actor = ? ORDER BY rowid", arguments: [actor]
        ).map { try decode(Membership.self, $0) }
    }

    /// The actor's active, applied or suspended membership of the network, if any.
    func currentMembership(actor: String, network: String) throws -> Membership? {
        try String.fetchOne(
            db,
            sql: """
                SELECT doc FROM registry_memberships
                WHERE actor = ? AND network = ? AND status IN ('active', 'applied', 'suspended') LIMIT 1
                """,
            arguments: [actor, network]
        ).map { try decode(Membership.self, $0) }
    }

    func memberships(network: String, status: MembershipStatus?) throws -> [Membership] {
        let rows: [String]
        if let status {
            rows = try String.fetchAll(
                db, sql: "SELECT doc FROM registry_memberships WHERE network = ? AND status = ? ORDER BY rowid",
                arguments: [network, status.rawValue])
        } else {
            rows = try String.fetchAll(
                db, sql: "SELECT doc FROM registry_memberships WHERE network = ? ORDER BY rowid", arguments: [network])
        }
        return try rows.map { try decode(Membership.self, $0) }
    }

    func save(_ membership: Membership, inserting: Bool) throws {
        if inserting {
            try db.cachedStatement(
                sql:
                    "INSERT INTO registry_memberships(id, actor, network, status, doc, version) VALUES (?, ?, ?, ?, ?, ?)"
            ).execute(arguments: [
                membership.id, membership.actor, membership.network, membership.status.rawValue,
                try JSONStreamEncoder.text(membership),
                membership.version,
            ])
        } else {
            try db.cachedStatement(
                sql: "UPDATE registry_memberships SET status = ?, doc = ?, version = ? WHERE id = ?"
            ).execute(arguments: [
                membership.status.rawValue, try JSONStreamEncoder.text(membership), membership.version, membership.id,
            ])
        }
    }

    // MARK: Rules

    func rules() throws -> [MembershipRule] {
        try String.fetchAll(db, sql: "SELECT doc FROM registry_rules ORDER BY rowid").map {
            try decode(MembershipRule.self, $0)
        }
    }

    func insert(_ rule: MembershipRule) throws {
        try db.execute(
            sql: "INSERT INTO registry_rules(id, source, target, doc, version) VALUES (?, ?, ?, ?, ?)",
            arguments: [rule.id, rule.source, rule.target, try JSONStreamEncoder.text(rule), rule.version])
    }

    /// Actors with an active or suspended membership in `network`, for applying a new rule (linear in its
    /// members).
    func activeMembers(of network: String) throws -> [String] {
        try String.fetchAll(
            db,
            sql: """
                SELECT DISTINCT actor FROM registry_memberships WHERE network = ? AND status IN ('active', 'suspended')
                """,
            arguments: [network])
    }

    func rule(_ id: String) throws -> MembershipRule? {
        try String.fetchOne(db, sql: "SELECT doc FROM registry_rules WHERE id = ?", arguments: [id])
            .map { try decode(MembershipRule.self, $0) }
    }

    func save(_ rule: MembershipRule) throws {
        try db.execute(
            sql: "UPDATE registry_rules SET doc = ?, version = ? WHERE id = ?",
            arguments: [try JSONStreamEncoder.text(rule), rule.version, rule.id])
    }

    /// Actors holding a membership (active or suspended) that `rule` derived.
    func actors(derivedBy rule: String) throws -> [String] {
        try String.fetchAll(
            db,
            sql: """
                SELECT DISTINCT actor FROM registry_memberships
                WHERE status IN ('active', 'suspended') AND json_extract(doc, '$.basis.rule') = ?
                """,
            arguments: [rule])
    }

    func update(_ network: Network) throws {
        try db.execute(
            sql: "UPDATE registry_networks SET doc = ?, version = ? WHERE id = ?",
            arguments: [try JSONStreamEncoder.text(network), network.version, network.id])
    }
}
