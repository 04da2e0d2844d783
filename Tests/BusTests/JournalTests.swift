import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import GRDB
import Ledger
import Testing

@testable import Bus

@Suite struct JournalTests {
    typealias RecordEntry = TestLedger.RecordProbe

    @Test func aWriteThatThrowsLeavesNeitherRowsNorEventsAndOthersCommit() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let good = Task { try await harness.send(RecordEntry(name: "kept", amount: 1)) }
        let bad = Task { try await harness.send(RecordEntry(name: "lost", amount: 2, failAfterWrite: true)) }
        _ = try await good.value
        await #expect(throws: TestLedger.Failure.self) { _ = try await bad.value }

        #expect(try await harness.send(CountEntries()) == 1)
        let events = try await harness.journaled()
        #expect(events.count == 1)
        #expect(events.first?.payload["name"] == "kept")
        #expect(events.first?.seq == 1)
    }

    @Test func seqIsGaplessAndMonotonicAcrossRestarts() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        try await withThrowingTaskGroup { group in
            for index in 0..<50 {
                group.addTask { _ = try await harness.send(RecordEntry(name: "e\(index)", amount: index)) }
            }
            // Failed writes in between must not consume a seq.
            for index in 0..<10 {
                group.addTask {
                    _ = try? await harness.send(RecordEntry(name: "x\(index)", amount: 0, failAfterWrite: true))
                }
            }
            try await group.waitForAll()
        }
        try await harness.restart(modules: [TestLedger()])
        #expect(harness.journal.headSeq == 50)
        for index in 0..<20 { _ = try await harness.send(RecordEntry(name: "after\(index)", amount: index)) }

        let seqs = try await harness.journaled().compactMap(\.seq)
        #expect(seqs == Array(1...70))
    }

    @Test func eventsCarryTheCommandsIDAsCorrelation() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        _ = try await harness.send(RecordEntry(name: "a", amount: 1), requestID: "c-17")
        let event = try #require(try await harness.journaled().first)
        #expect(event.correlationID == "c-17")
        #expect(event.source == "ledger")
        #expect(event.topic == "ledger.entry.recorded")
    }

    /// GRDB sets `synchronous = NORMAL` when it turns WAL on; the writer must still sync every commit.
    @Test func theWriterSyncsEveryCommit() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let writer = try await harness.journal.pool.write { db in
            try Int.fetchOne(db, sql: "PRAGMA synchronous")
        }
        #expect(writer == 2, "PRAGMA synchronous on the writer connection: 2 (FULL)")
        let mode = try await harness.journal.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    /// A new database gets the journal's page size; SQLite's default would leave bulk writes a fifth slower.
    @Test func aNewDatabaseUsesTheJournalsPageSize() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let size = try await harness.journal.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") }
        #expect(size == Journal.pageSize)
        #expect(Journal.pageSize == 16_384)
    }

    /// The journal binds each field itself: what replay reads back must be the envelope subscribers got.
    @Test func journaledEventsReadBackAsTheyWereDelivered() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let subscription = harness.bus.subscribe(
            to: EntryRecorded.self, subscriber: "test", options: MailboxOptions())
        _ = try await harness.send(RecordEntry(name: "Huế \"quoted\"", amount: 1), requestID: "r-1")
        _ = try await harness.send(RecordEntry(name: "", amount: 2, json: .valid))
        var delivered: [Envelope<EntryRecorded>] = []
        var batch: [Envelope<EntryRecorded>] = []
        while delivered.count < 2, await subscription.mailbox.receive(into: &batch) { delivered += batch }

        let journaled = try await harness.journaled()
        #expect(journaled.count == 2)
        for (stored, sent) in zip(journaled, delivered) {
            #expect(stored.seq == sent.seq)
            #expect(stored.id == sent.id)
            #expect(stored.topic == sent.topic)
            #expect(stored.source == sent.source)
            #expect(stored.correlationID == sent.correlationID)
            #expect(abs(stored.time.timeIntervalSince(sent.time)) < 0.000_001)
            #expect(
                stored.payload
                    == .object([
                        "id": .int(sent.payload.id), "name": .string(sent.payload.name),
                        "amount": .int(Int64(sent.payload.amount)),
                    ]))
        }
        #expect(journaled.map(\.correlationID) == ["r-1", nil])
    }

    @Test func eventsReachSubscribersOnlyAfterCommitAndInSeqOrder() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let subscription = harness.bus.subscribe(
            to: EntryRecorded.self,
            subscriber: "test",
            options: MailboxOptions()
        )
        for index in 0..<20 { _ = try await harness.send(RecordEntry(name: "e\(index)", amount: index)) }
        _ = try? await harness.send(RecordEntry(name: "rolled back", amount: 0, failAfterWrite: true))
        var received: [Envelope<EntryRecorded>] = []
        var batch: [Envelope<EntryRecorded>] = []
        while received.count < 20, await subscription.mailbox.receive(into: &batch) { received += batch }
        #expect(received.compactMap(\.seq) == Array(1...20))
        #expect(!received.contains { $0.payload.name == "rolled back" })
    }

    @Test func eventsEmittedAsJSONAreJournaledAsGivenAndDecodedForTypedSubscribers() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let subscription = harness.bus.subscribe(
            to: EntryRecorded.self, subscriber: "test", options: MailboxOptions())
        _ = try await harness.send(RecordEntry(name: "typed", amount: 1))
        _ = try await harness.send(RecordEntry(name: "as json", amount: 2, json: .valid))
        var received: [Envelope<EntryRecorded>] = []
        var batch: [Envelope<EntryRecorded>] = []
        while received.count < 2, await subscription.mailbox.receive(into: &batch) { received += batch }
        #expect(received.map(\.payload.name) == ["typed", "as json"])
        #expect(received.map(\.seq) == [1, 2])
        #expect(try await harness.journaled().map { $0.payload["name"] } == ["typed", "as json"])
        #expect(harness.bus.undecodableEvents == 0)
    }

    @Test func jsonThatIsNotItsTypeIsJournaledButNotDeliveredTyped() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let subscription = harness.bus.subscribe(
            to: EntryRecorded.self, subscriber: "test", options: MailboxOptions())
        _ = try await harness.send(RecordEntry(name: "bad", amount: 1, json: .invalid))
        _ = try await harness.send(RecordEntry(name: "good", amount: 2, json: .valid))
        var batch: [Envelope<EntryRecorded>] = []
        _ = await subscription.mailbox.receive(into: &batch)
        #expect(batch.map(\.payload.name) == ["good"])
        #expect(harness.bus.undecodableEvents == 1)
        #expect(try await harness.journaled().first?.payload["entry"] == "not one")
    }

    @Test func eventsEmittedAsJSONAreNotDecodedWithoutATypedSubscriber() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        _ = try await harness.send(RecordEntry(name: "bad", amount: 1, json: .invalid))
        _ = try await harness.send(RecordEntry(name: "marker", amount: 2))
        // Delivery is after commit: wait until the dispatcher has handled both.
        let marker = harness.bus.subscribe(
            to: EntryRecorded.self, subscriber: "late", options: MailboxOptions())
        _ = try await harness.send(RecordEntry(name: "after", amount: 3))
        var batch: [Envelope<EntryRecorded>] = []
        _ = await marker.mailbox.receive(into: &batch)
        #expect(batch.map(\.payload.name) == ["after"])
        #expect(harness.bus.undecodableEvents == 0, "an event nobody subscribed to was decoded")
    }

    @Test func theWriterCheckpointsTheLogOnceEnoughIsWritten() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let database = harness.journal.path
        func size() -> Int {
            (try? FileManager.default.attributesOfItem(atPath: database)[.size] as? Int) ?? 0
        }
        let before = size()
        // 3 MiB of event payloads: past the 2 MiB after which the writer copies the log into the database.
        let name = String(repeating: "x", count: 64 * 1024)
        for index in 0..<48 { _ = try await harness.send(RecordEntry(name: "\(index)\(name)", amount: index)) }
        // Without a checkpoint every page stays in the -wal file until the database closes.
        #expect(try await eventually { size() > before + 2 * 1024 * 1024 }, "the database file is \(size()) bytes")
    }

    @Test func concurrentWritesShareTransactions() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let before = harness.journal.transactionCount
        try await withThrowingTaskGroup { group in
            for index in 0..<500 {
                group.addTask { _ = try await harness.send(RecordEntry(name: "e\(index)", amount: index)) }
            }
            try await group.waitForAll()
        }
        let transactions = harness.journal.transactionCount - before
        #expect(transactions < 500, "500 concurrent writes took \(transactions) transactions")
        #expect(try await harness.send(CountEntries()) == 500)
    }

    @Test func aRetriedCommandWithTheSameKeyReturnsTheFirstReplyAndChangesNothing() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let first = try await harness.send(RecordEntry(name: "once", amount: 5), idempotencyKey: "k-1")
        let again = try await harness.send(RecordEntry(name: "once", amount: 5), idempotencyKey: "k-1")
        #expect(first == again)
        try await harness.restart(modules: [TestLedger()])
        let afterRestart = try await harness.send(RecordEntry(name: "once", amount: 5), idempotencyKey: "k-1")
        #expect(afterRestart == first)
        #expect(try await harness.send(CountEntries()) == 1)
        #expect(try await harness.journaled().count == 1)

        // Concurrent duplicates run the command once.
        let replies = try await withThrowingTaskGroup(of: EntryRecorded.self) { group in
            for _ in 0..<10 {
                group.addTask { try await harness.send(RecordEntry(name: "burst", amount: 1), idempotencyKey: "k-2") }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(replies.map(\.id)).count == 1)
        #expect(try await harness.send(CountEntries()) == 2)
    }

    @Test func pastTheKeysHeldInMemoryTheyAreIndexedAndStillAnswered() async throws {
        let harness = try await TestHarness(modules: [TestLedger()]) { $0.idempotencyKeysInMemory = 3 }
        defer { Task { await harness.close() } }
        var first: [EntryRecorded] = []
        for index in 0..<5 {
            first.append(
                try await harness.send(RecordEntry(name: "e\(index)", amount: index), idempotencyKey: "k\(index)"))
        }
        // The restart's purge finds 5 keys, more than 3: they are indexed on disk and looked up there.
        try await harness.restart(modules: [TestLedger()])
        let indexed = try await harness.journal.pool.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT name FROM sqlite_master
                    WHERE name IN ('bus_idempotency_by_key', 'bus_journal_by_idempotency_key') ORDER BY name
                    """)
        }
        #expect(indexed == ["bus_idempotency_by_key", "bus_journal_by_idempotency_key"])
        for index in 0..<5 {
            let again = try await harness.send(
                RecordEntry(name: "e\(index)", amount: index), idempotencyKey: "k\(index)")
            #expect(again == first[index])
        }
        #expect(try await harness.send(CountEntries()) == 5)
    }

    @Test func aKeyIsKeptOnItsWritesLastEventOrWithoutEventsInTheKeyTable() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let recorded = try await harness.send(RecordEntry(name: "a", amount: 1), idempotencyKey: "with-event")
        let due = harness.clock.now().addingTimeInterval(3600)
        let reminded = try await harness.send(SetReminder(key: "r", due: due), idempotencyKey: "without-event")
        let (onEvents, inTable) = try await harness.journal.pool.read { db in
            (
                try Row.fetchAll(
                    db, sql: "SELECT idempotency_key, idempotency_command, idempotency_reply FROM bus_journal"
                ).map { [$0["idempotency_key"], $0["idempotency_command"], $0["idempotency_reply"]] as [String?] },
                try String.fetchAll(db, sql: "SELECT key FROM bus_idempotency")
            )
        }
        #expect(onEvents.count == 1)
        #expect(onEvents.first?[0] == "with-event")
        #expect(onEvents.first?[1] == "ledger.probe.record")
        let reply = onEvents.first?[2]
        #expect(try reply.map { try ConcordJSON.decoder().decode(EntryRecorded.self, from: Data($0.utf8)) } == recorded)
        #expect(inTable == ["without-event"])
        // Both are found after a restart, which reads the keys from both places.
        try await harness.restart(modules: [TestLedger()])
        #expect(try await harness.send(RecordEntry(name: "a", amount: 1), idempotencyKey: "with-event") == recorded)
        #expect(try await harness.send(SetReminder(key: "r", due: due), idempotencyKey: "without-event") == reminded)
        #expect(try await harness.send(CountEntries()) == 1)
        // A key of one command is refused for another, wherever it is kept.
        await #expect(throws: ConcordError.self) {
            _ = try await harness.send(SetReminder(key: "r", due: due), idempotencyKey: "with-event")
        }
    }

    @Test func keysPastTheRetentionAreClearedFromEventsAndTheirEventsKept() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        _ = try await harness.send(RecordEntry(name: "old", amount: 1), idempotencyKey: "old")
        harness.clock.advance(by: 24 * 3600 + 1)
        _ = try await harness.send(RecordEntry(name: "new", amount: 2), idempotencyKey: "new")
        // The purge at start-up clears the expired key and moves keys_seq to the first event still keeping one.
        try await harness.restart(modules: [TestLedger()])
        let (keys, keysSeq) = try await harness.journal.pool.read { db in
            (
                try Row.fetchAll(db, sql: "SELECT seq, idempotency_key FROM bus_journal ORDER BY seq")
                    .map { ($0["seq"] as Int64, $0["idempotency_key"] as String?) },
                try String.fetchOne(db, sql: "SELECT value FROM bus_meta WHERE key = 'keys_seq'")
            )
        }
        #expect(keys.map(\.0) == [1, 2])
        #expect(keys.map(\.1) == [nil, "new"])
        #expect(keysSeq == "2")
        _ = try await harness.send(RecordEntry(name: "old", amount: 1), idempotencyKey: "old")
        #expect(try await harness.send(CountEntries()) == 3)
    }

    @Test func keysWrittenBeforeTheAppendOnlyTableAreKeptByItsMigrations() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        // Schema 2 kept every key in its table, keyed by the key; a command with no event keeps its key there still.
        let due = harness.clock.now().addingTimeInterval(3600)
        let first = try await harness.send(SetReminder(key: "r", due: due), idempotencyKey: "old-key")
        _ = try await harness.send(RecordEntry(name: "a", amount: 1))
        try await harness.journal.pool.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE bus_idempotency_v2 (
                        key TEXT PRIMARY KEY NOT NULL, command TEXT NOT NULL, reply TEXT, created_at REAL NOT NULL);
                    INSERT INTO bus_idempotency_v2 SELECT key, command, reply, created_at FROM bus_idempotency;
                    DROP TABLE bus_idempotency;
                    ALTER TABLE bus_idempotency_v2 RENAME TO bus_idempotency;
                    ALTER TABLE bus_journal DROP COLUMN idempotency_key;
                    ALTER TABLE bus_journal DROP COLUMN idempotency_command;
                    ALTER TABLE bus_journal DROP COLUMN idempotency_reply;
                    DELETE FROM bus_meta WHERE key = 'keys_seq';
                    DELETE FROM grdb_migrations WHERE identifier IN ('bus.v3', 'bus.v4');
                    UPDATE bus_meta SET value = '2' WHERE key = 'schema_version';
                    """)
        }
        try await harness.restart(modules: [TestLedger()])
        #expect(try await harness.send(SetReminder(key: "r", due: due), idempotencyKey: "old-key") == first)
        let (keys, keysSeq, version) = try await harness.journal.pool.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bus_idempotency"),
                try String.fetchOne(db, sql: "SELECT value FROM bus_meta WHERE key = 'keys_seq'"),
                try String.fetchOne(db, sql: "SELECT value FROM bus_meta WHERE key = 'schema_version'")
            )
        }
        #expect(keys == 1)
        // No event before the migration keeps a key: they start after the last one.
        #expect(keysSeq == "2")
        #expect(version == "4")
    }

    @Test func keysExpireAfter24Hours() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let first = try await harness.send(RecordEntry(name: "a", amount: 1), idempotencyKey: "k")
        harness.clock.advance(by: 24 * 3600 + 1)
        let later = try await harness.send(RecordEntry(name: "a", amount: 1), idempotencyKey: "k")
        #expect(later != first)
        #expect(try await harness.send(CountEntries()) == 2)
    }

    @Test func aFailedCommandDoesNotConsumeItsKey() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        await #expect(throws: TestLedger.Failure.self) {
            _ = try await harness.send(RecordEntry(name: "a", amount: 1, failAfterWrite: true), idempotencyKey: "k")
        }
        _ = try await harness.send(RecordEntry(name: "a", amount: 1), idempotencyKey: "k")
        #expect(try await harness.send(CountEntries()) == 1)
    }

    @Test func aDatabaseFromANewerSchemaIsRefusedAndLeftAlone() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        await harness.runtime.shutdown()
        let path = harness.directory.appendingPathComponent("concord.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "UPDATE bus_meta SET value = '99' WHERE key = 'schema_version'")
        }
        try queue.close()
        let options = harness.runtime.options
        let error = #expect(throws: StoreError.self) {
            _ = try Runtime(modules: [], options: options, logger: harness.logs.logger())
        }
        #expect(error?.description.contains("newer") == true)
        #expect(error?.description.contains(path) == true)
        let value = try await DatabaseQueue(path: path).read { db in
            try String.fetchOne(db, sql: "SELECT value FROM bus_meta WHERE key = 'schema_version'")
        }
        #expect(value == "99")
        try? FileManager.default.removeItem(at: harness.directory)
    }

    @Test func aModuleWhoseTablesANewerVersionMigratedFailsToStartAlone() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        _ = try await harness.journal.write(module: "ledger") { transaction in
            try transaction.db.execute(sql: "INSERT INTO grdb_migrations(identifier) VALUES ('ledger.v9')")
        }
        try await harness.restart(modules: [TestLedger()])
        let ledger = try #require(harness.runtime.moduleStates.first { $0.name == "ledger" })
        #expect(ledger.state == .failed)
        #expect(ledger.error?.contains("ledger.v9") == true)
        #expect(harness.runtime.moduleStates.first { $0.name == "system" }?.state == .running)
    }

    @Test func replayBySubjectFindsEveryEventNamingTheIDAndOnlyThose() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let id = EntityID.next()
        _ = try await harness.send(RecordEntry(name: id.uppercased(), amount: 1))
        _ = try await harness.send(RecordEntry(name: "unrelated", amount: 2))
        _ = try await harness.send(RecordEntry(name: id, amount: 3))
        let subject = try #require(UUID(uuidString: id))
        let found = try await harness.journal.replay(after: 0, prefixes: nil, limit: 10, subject: subject)
        #expect(found.map(\.seq) == [1, 3])
        #expect(
            try await harness.journal.replay(after: 1, prefixes: nil, limit: 10, subject: subject).map(\.seq) == [3])
        #expect(try await harness.journal.replay(after: 0, prefixes: ["other."], limit: 10, subject: subject).isEmpty)
        let refused = await #expect(throws: ConcordError.self) {
            _ = try await harness.send(ReplayEvents(afterSeq: 0, subject: "not-an-id"))
        }
        #expect(refused?.message.hasPrefix("args.subject: expected an entity's id") == true)
    }

    @Test func aJournalWrittenBeforeTheSubjectIndexIsIndexedWhenOpened() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let id = EntityID.next()
        _ = try await harness.send(RecordEntry(name: id, amount: 1))
        // Back to the bus's schema 1: no index, and its migration not yet applied.
        try await harness.journal.pool.write { db in
            try db.execute(
                sql: """
                    DROP TABLE bus_subjects;
                    DELETE FROM bus_meta WHERE key = 'subjects_seq';
                    DELETE FROM grdb_migrations WHERE identifier = 'bus.v2';
                    UPDATE bus_meta SET value = '1' WHERE key = 'schema_version';
                    """)
        }
        try await harness.restart(modules: [TestLedger()])
        let subject = try #require(UUID(uuidString: id))
        #expect(
            try await harness.journal.replay(after: 0, prefixes: nil, limit: 10, subject: subject).map(\.seq) == [1])
    }
}
