import ConcordKit
import Foundation
import GRDB
import Testing

/// Values bound through SQLite's C interface must read back as GRDB would have written them.
@Suite struct BoundStatementTests {
    func database() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE t (i INTEGER, d REAL, s TEXT, n TEXT, j TEXT NOT NULL, u BLOB, e TEXT NOT NULL,
                        k TEXT UNIQUE)
                    """)
        }
        return queue
    }

    @Test func everyKindOfValueReadsBackAsBound() throws {
        let queue = try database()
        let id = UUID()
        try queue.write { db in
            let insert = try BoundStatement(db, sql: "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            for index in 0..<3 {
                insert.bind(Int64.min + Int64(index), at: 1)
                insert.bind(-1.5e-7, at: 2)
                insert.bind("Huế \"\(index)\"", at: 3)
                insert.bind(String?.none, at: 4)
                insert.bind(utf8: Data(#"{"a":[1,"ü"]}"#.utf8).dropFirst(0), at: 5)
                insert.bind(id, at: 6)
                insert.bind("", at: 7)
                insert.bind("k\(index)", at: 8)
                try insert.run()
            }
        }
        let rows = try queue.read { db in try Row.fetchAll(db, sql: "SELECT * FROM t ORDER BY rowid") }
        #expect(rows.count == 3)
        let row = try #require(rows.last)
        #expect(row["i"] as Int64 == Int64.min + 2)
        #expect(row["d"] as Double == -1.5e-7)
        #expect(row["s"] as String == "Huế \"2\"")
        #expect((row["n"] as DatabaseValue).isNull)
        #expect(row["j"] as String == #"{"a":[1,"ü"]}"#)
        #expect(row["u"] as UUID == id)
        #expect(row["e"] as String? == "", "an empty string is bound as text, not NULL")
    }

    @Test func aFailedRunThrowsSQLitesMessageAndTheStatementRunsAgain() throws {
        let queue = try database()
        try queue.write { db in
            let insert = try BoundStatement(db, sql: "INSERT INTO t (j, e, k) VALUES (?, ?, ?)")
            insert.bind("{}", at: 1)
            insert.bind("x", at: 2)
            insert.bind("same", at: 3)
            try insert.run()
            insert.bind("{}", at: 1)
            insert.bind("x", at: 2)
            insert.bind("same", at: 3)
            let error = #expect(throws: DatabaseError.self) { try insert.run() }
            #expect(error?.resultCode == .SQLITE_CONSTRAINT)
            #expect(error?.message?.contains("UNIQUE constraint failed: t.k") == true)
            // Bindings were cleared: a run without them hits NOT NULL; then a full one succeeds.
            #expect(throws: DatabaseError.self) { try insert.run() }
            insert.bind("{}", at: 1)
            insert.bind("x", at: 2)
            insert.bind("other", at: 3)
            try insert.run()
        }
        #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") } == 2)
    }
}
