import ConcordKit
import Contracts
import Foundation
import GRDB

/// The tables of declarations, applications, working groups, projects and action plans: each row holds the
/// entity whole as JSON (`doc`) with the columns lists filter on.
enum DocumentTable: String {
    case declarations = "registry_declarations"
    case applications = "registry_applications"
    case workingGroups = "registry_working_groups"
    case projects = "registry_projects"
    case actionPlans = "registry_action_plans"

    /// Schema v2: these tables and the progress reports of action plans.
    static let migration = Migration("v2") { db in
        try db.execute(
            sql: """
                CREATE TABLE registry_declarations (
                    id TEXT PRIMARY KEY, network TEXT, doc TEXT NOT NULL, version INTEGER NOT NULL);
                CREATE TABLE registry_applications (
                    id TEXT PRIMARY KEY, declaration TEXT NOT NULL, actor TEXT NOT NULL, status TEXT NOT NULL,
                    doc TEXT NOT NULL, version INTEGER NOT NULL);
                CREATE INDEX registry_applications_by_declaration ON registry_applications(declaration, actor);
                CREATE TABLE registry_working_groups (
                    id TEXT PRIMARY KEY, network TEXT NOT NULL, doc TEXT NOT NULL, version INTEGER NOT NULL);
                CREATE TABLE registry_projects (
                    id TEXT PRIMARY KEY, network TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
                    doc TEXT NOT NULL, version INTEGER NOT NULL);
                CREATE TABLE registry_action_plans (
                    id TEXT PRIMARY KEY, network TEXT NOT NULL, doc TEXT NOT NULL, version INTEGER NOT NULL);
                CREATE TABLE registry_progress (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT, plan TEXT NOT NULL, action TEXT NOT NULL,
                    on_date TEXT NOT NULL, doc TEXT NOT NULL);
                CREATE INDEX registry_progress_by_plan ON registry_progress(plan, on_date);
                """
        )
    }
}

extension RegistryStore {
    func document<T: Decodable>(_ type: T.Type, in table: DocumentTable, id: String) throws -> T? {
        try String.fetchOne(db, sql: "SELECT doc FROM \(table.rawValue) WHERE id = ?", arguments: [id])
            .map { try decode(T.self, $0) }
    }

    func requireDocument<T: Decodable>(_ type: T.Type, in table: DocumentTable, id: String, field: String, what: String)
        throws -> T
    {
        guard let value = try document(T.self, in: table, id: id) else {
            throw ConcordError.notFound("\(field): no \(what) with id \"\(id)\"")
        }
        return value
    }

    /// The rows of `table` whose `columns` equal the values given (nil values do not filter), oldest first.
    func documents<T: Decodable>(_ type: T.Type, in table: DocumentTable, where columns: [String: String?] = [:])
        throws -> [T]
    {
        let filters = columns.compactMap { column, value in value.map { (column, $0) } }.sorted { $0.0 < $1.0 }
        let clause = filters.isEmpty ? "" : "WHERE " + filters.map { "\($0.0) = ?" }.joined(separator: " AND ")
        return try String.fetchAll(
            db, sql: "SELECT doc FROM \(table.rawValue) \(clause) ORDER BY rowid",
            arguments: StatementArguments(filters.map(\.1))
        ).map { try decode(T.self, $0) }
    }

    /// Inserts or replaces the row of `id`, keeping its place in the table's order.
    func put(
        _ value: some Encodable, in table: DocumentTable, id: String, version: Int,
        columns: KeyValuePairs<String, String?> = [:]
    ) throws {
        let names = ["id", "doc", "version"] + columns.map(\.key)
        let values: [(any DatabaseValueConvertible)?] =
            [id, try JSONStreamEncoder.text(value), version] + columns.map(\.value)
        let updates = names.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        try db.execute(
            sql: """
                INSERT INTO \(table.rawValue)(\(names.joined(separator: ", ")))
                VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))
                ON CONFLICT(id) DO UPDATE SET \(updates)
                """,
            arguments: StatementArguments(values)
        )
    }

    // MARK: Progress reports

    func append(_ update: ProgressUpdate) throws {
        try db.execute(
            sql: "INSERT INTO registry_progress(plan, action, on_date, doc) VALUES (?, ?, ?, ?)",
            arguments: [update.plan, update.action, update.on, try JSONStreamEncoder.text(update)])
    }

    /// A plan's progress reports, by date and then in the order they were recorded.
    func progress(plan: String) throws -> [ProgressUpdate] {
        try String.fetchAll(
            db, sql: "SELECT doc FROM registry_progress WHERE plan = ? ORDER BY on_date, seq", arguments: [plan]
        ).map { try decode(ProgressUpdate.self, $0) }
    }
}
