import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Testing

/// A plugin written for the SDK's own tests: it counts what it is told, publishes, and follows the ledger of
/// notes through a subscription.
struct Tally: PluginModule {
    struct Count: Command {
        static let topic: Topic = "tally.count"
        typealias Reply = Counted
        var name: String
        var by: Int
        var weight: Double?
    }

    struct Counted: Codable, Sendable, Equatable {
        var name: String
        var total: Int64
        var weight: Double
        var note: String?
    }

    struct Read: Query {
        static let topic: Topic = "tally.read"
        typealias Reply = Counted
        var name: String
    }

    struct CountedEvent: Event {
        static let topic: Topic = "tally.counted"
        var name: String
        var total: Int64
    }

    static let descriptor = PluginDescriptor(name: "tally", version: "0.1.0", publishes: [CountedEvent.self])
    static let migrations = [
        SQLMigration(
            "v1",
            sql: """
                CREATE TABLE tally_counts (name TEXT PRIMARY KEY, total INTEGER NOT NULL, weight REAL NOT NULL,
                    note TEXT, raw BLOB)
                """)
    ]

    func start(context: PluginContext) async throws {
        try context.handle(Count.self) { command, _ in
            try await context.store.write { tx in
                try tx.execute(
                    """
                    INSERT INTO tally_counts(name, total, weight, raw) VALUES (?, ?, ?, x'00ff')
                    ON CONFLICT(name) DO UPDATE SET total = total + excluded.total, weight = excluded.weight
                    """, [.text(command.name), SQLValue(command.by), .real(command.weight ?? 1)])
                let row = try #require(
                    try tx.query("SELECT * FROM tally_counts WHERE name = ?", [.text(command.name)]).first)
                return Counted(
                    name: try row.string("name"), total: try row.int("total"), weight: try row.double("weight"),
                    note: try row.optionalString("note"))
            }
        }
        try context.handle(Read.self, runsOn: .inline) { query, _ in
            guard
                let row = try await context.store.read(
                    "SELECT name, total, weight, note, raw FROM tally_counts WHERE name = ?", [.text(query.name)]
                ).first
            else { throw ConcordError.notFound("no tally named \(query.name)") }
            #expect(row["raw"] == .null, "a blob reads as null")
            return Counted(
                name: try row.string("name"), total: try row.int("total"), weight: try row.double("weight"),
                note: try row.optionalString("note"))
        }
        // Every note recorded in the journal bumps the tally named after it, and says so.
        context.on(prefix: "system.note.") { envelope in
            guard case .string(let text)? = envelope.payload["text"] else { return }
            _ = try await context.store.write { tx in
                try tx.execute(
                    "INSERT INTO tally_counts(name, total, weight) VALUES (?, 1, 1) ON CONFLICT(name) DO UPDATE SET total = total + 1",
                    [.text(text)])
            }
            try await context.publish(CountedEvent(name: text, total: 1))
        }
    }
}

@Suite struct SDKTests {
    @Test func aPluginsStoreReadsWhatItWroteWithItsTypesAndPublishes() async throws {
        let harness = try await TestHarness(modules: [BuiltInPlugin<Tally>()])
        defer { Task { await harness.close() } }
        let first = try await harness.send(Tally.Count(name: "Osh", by: 2, weight: 0.5))
        #expect(first == Tally.Counted(name: "Osh", total: 2, weight: 0.5, note: nil))
        let second = try await harness.send(Tally.Count(name: "Osh", by: 3))
        #expect(second.total == 5 && second.weight == 1)
        #expect(try await harness.send(Tally.Read(name: "Osh")) == second)
        await #expect(throws: ConcordError.notFound("no tally named Bishkek")) {
            try await harness.send(Tally.Read(name: "Bishkek"))
        }
        _ = try await harness.send(RecordNote(text: "Osh"))
        #expect(try await eventually { try await harness.journaled(prefixes: ["tally."]).count == 1 })
        #expect(try await harness.send(Tally.Read(name: "Osh")).total == 6)
        let published = try await harness.journaled(prefixes: ["tally."])
        #expect(published.first?.source == "tally")
        #expect(published.first?.payload == ["name": "Osh", "total": 1])
    }

    @Test func sqlRowsNameTheColumnThatIsNotWhatWasAsked() throws {
        let row = SQLRow(columns: ["name": "Osh", "total": 7, "weight": 0.25, "note": nil])
        #expect(try row.string("name") == "Osh")
        #expect(try row.int("total") == 7)
        #expect(try row.double("total") == 7)
        #expect(try row.optionalString("note") == nil)
        #expect(try row.optionalString("missing") == nil)
        let error = #expect(throws: ConcordError.self) { try row.int("name") }
        #expect(error?.message == #"column name: expected an integer, got text("Osh")"#)
        #expect(throws: ConcordError.self) { try row.string("total") }
        #expect(throws: ConcordError.self) { try row.double("name") }
    }

    @Test func sqlValuesCrossAsJSONScalars() {
        let values: [SQLValue] = [.null, .integer(-3), .real(2.5), .text("Душанбе")]
        #expect(values.map(\.json) == [nil, -3, 2.5, "Душанбе"])
        #expect(values.map(\.json).map(SQLValue.init(json:)) == values)
        #expect(SQLValue(json: true) == .integer(1))
        #expect(SQLValue(json: [1]) == nil)
        #expect(SQLValue(json: ["a": 1]) == nil)
        #expect(SQLValue(nil as String?) == .null && SQLValue(4 as Int?) == .integer(4))
    }
}
