public import ConcordKit
public import Foundation
public import GRDB
public import Logging
import Synchronization

/// The durable journal: one SQLite database (WAL, `synchronous=FULL`) holding every module's tables,
/// the events with their gapless `seq`, durable timers and idempotency keys.
///
/// All writes go through one writer that groups whatever is waiting into one transaction and one fsync,
/// each write in its own savepoint. Events get their `seq` inside the transaction and are handed on
/// (``committed``) only after it commits, so a `seq` once seen is never reused, not even after a crash.
public final class Journal: Sendable {
    /// A write waiting for the writer: the body, the result and the continuation of the task that waits for
    /// the commit.
    protocol WriteJob: AnyObject, Sendable {
        var module: String { get }
        var correlationID: String? { get }
        /// The idempotent command this write belongs to: its key (and its reply, when this write returns it) are
        /// written with the write.
        var capture: ReplyCapture? { get }
        /// The reply JSON this write returned, once it has run; `nil` when its result is not the reply.
        var replyJSON: Data? { get }
        /// Where the write kept its idempotency key, once it has run.
        var idempotencyRow: KeyRow? { get set }

        func run(_ transaction: WriteTransaction) throws
        func finish(_ error: (any Error)?)
    }

    /// `@unchecked Sendable`: `continuation` is set before the job is queued, and `value` and `replyJSON` are
    /// set by the writer before `finish`; the mailbox's lock and the continuation order these accesses.
    final class TypedWriteJob<T: Sendable>: WriteJob, @unchecked Sendable {
        let module: String
        let correlationID: String?
        let capture: ReplyCapture?
        let body: @Sendable (WriteTransaction) throws -> T
        var value: T?
        var replyJSON: Data?
        var idempotencyRow: KeyRow?
        var continuation: UnsafeContinuation<T, any Error>?

        init(
            module: String,
            correlationID: String?,
            capture: ReplyCapture?,
            body: @escaping @Sendable (WriteTransaction) throws -> T
        ) {
            self.module = module
            self.correlationID = correlationID
            self.capture = capture
            self.body = body
        }

        func run(_ transaction: WriteTransaction) throws {
            let value = try body(transaction)
            self.value = value
            replyJSON = capture?.reply(from: value)
        }

        func finish(_ error: (any Error)?) {
            if let error {
                continuation?.resume(throwing: error)
            } else if let value {
                if let capture, let idempotencyRow { capture.committed(value, json: replyJSON, row: idempotencyRow) }
                continuation?.resume(returning: value)
            }
            continuation = nil
        }
    }

    /// A ``WriteSession`` waiting for its turn at the writer; the writer runs it instead of running it as a write.
    final class SessionJob: WriteJob, Sendable {
        let session: JournalSession
        let opened = Promise<any WriteSession>()
        var module: String { session.module }
        var correlationID: String? { nil }
        var capture: ReplyCapture? { nil }
        var replyJSON: Data? { nil }
        var idempotencyRow: KeyRow? {
            get { nil }
            set {}
        }

        init(session: JournalSession) {
            self.session = session
        }

        func run(_ transaction: WriteTransaction) throws {}

        func finish(_ error: (any Error)?) {
            opened.fulfill(.failure(error ?? ConcordError.unavailable("the write session did not open")))
        }
    }

    /// The page size of a new database: rows here are documents of half a kilobyte and more (events, registry
    /// entities), and bulk writes of them go a fifth faster with 16 KiB pages than with SQLite's 4 KiB.
    static let pageSize = 16_384

    /// The schema version of the bus's own tables this build writes.
    static let schemaVersion = 4

    public let path: String
    let pool: DatabasePool
    private let clock: any WallClock
    private let logger: Logger
    private let maxBatch: Int
    private let jobs: Mailbox<any WriteJob>
    private let head: Atomic<UInt64>
    private let transactions = Atomic<UInt64>(0)
    private let writer = Mutex<Task<Void, Never>?>(nil)
    private let timersChanged = Mutex<(@Sendable () -> Void)?>(nil)
    /// The session holding the writer, if one is.
    private let active = Mutex<JournalSession?>(nil)
    private let closing = Atomic<Bool>(false)

    /// Committed events whose subjects are not indexed yet, in `seq` order; only the writer touches it.
    private let unindexed = Mutex<[CommittedEvent]>([])
    /// Every event up to this seq has its subjects in `bus_subjects`.
    private let indexed: Atomic<UInt64>
    /// The seq `bus_meta.subjects_seq` holds, where indexing starts again when the journal opens.
    private let indexedOnDisk: Atomic<UInt64>
    /// How far the index may run ahead of `subjects_seq` before it is written: at most this many events are read
    /// again at open, and a group commit does not write the meta row's page every time.
    static let subjectsSeqInterval: UInt64 = 4096
    private let indexWaiters = Mutex<[(seq: UInt64, continuation: CheckedContinuation<Void, Never>)]>([])

    /// Committed events, in `seq` order, for the dispatcher that delivers them on the bus.
    public let committed: Mailbox<CommittedEvent>

    /// Event types by topic, to decode journaled payloads (timers) back into typed events.
    private let eventTypes = Mutex<[String: any Event.Type]>([:])

    /// The topics each module declared it publishes; a write of a module listed here emits only those.
    private let declared = Mutex<[String: Set<String>]>([:])

    /// Opens (creating if needed) the database at `path` and migrates the bus's tables.
    ///
    /// - Parameters:
    ///   - maxBatch: the most writes committed in one transaction; 1 commits each on its own.
    ///   - eventsAwaitingDelivery: the capacity of ``committed``; the writer waits for room past it.
    public init(
        path: String, clock: any WallClock, logger: Logger, maxBatch: Int = 1024, eventsAwaitingDelivery: Int = 65_536
    ) throws {
        self.path = path
        self.clock = clock
        self.logger = logger
        self.maxBatch = max(1, maxBatch)
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            if !db.configuration.readonly {
                // Takes effect only while the file is new (before WAL is on and the first table is made).
                try db.execute(sql: "PRAGMA page_size = \(Self.pageSize)")
                // The writer checkpoints after it has answered (see checkpointIfDue), not inside a commit.
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
                try db.execute(sql: "PRAGMA cache_size = -32768")
            }
        }
        configuration.busyMode = .timeout(5)
        // A write session keeps its transaction open from one access to the writer to the next.
        configuration.allowsUnsafeTransactions = true
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // After the pool is open: switching the writer to WAL sets `synchronous = NORMAL` on it, which would
            // acknowledge commits that a power cut could still take away. FULL syncs the log at every commit.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        } catch {
            throw StoreError.corrupt(path, reason: "\(error)")
        }
        let found = try pool.read { db -> Int? in
            guard try db.tableExists("bus_meta") else { return nil }
            return try Int.fetchOne(db, sql: "SELECT value FROM bus_meta WHERE key = 'schema_version'")
        }
        if let found, found > Self.schemaVersion {
            throw StoreError.newerSchema(path, found: "bus schema \(found)", supported: "\(Self.schemaVersion)")
        }
        try Self.migrator.migrate(pool)
        let last = try pool.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM bus_journal") ?? 0 }
        head = Atomic(UInt64(last))
        // Events committed just before a crash may not be indexed yet (see indexSubjects): index them now.
        do {
            let through = try pool.write { db in try Self.indexSubjectsNotYetIndexed(in: db) }
            indexed = Atomic(through)
            indexedOnDisk = Atomic(through)
        } catch {
            throw StoreError.corrupt(path, reason: "\(error)")
        }
        jobs = Mailbox(options: MailboxOptions(capacity: 16_384, overflow: .block))
        committed = Mailbox(options: MailboxOptions(capacity: max(1, eventsAwaitingDelivery), overflow: .block))
        let task = Task { [unowned self] in await self.runWriter() }
        writer.withLock { $0 = task }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("bus.v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE bus_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    CREATE TABLE bus_journal (
                        seq INTEGER PRIMARY KEY NOT NULL,
                        id BLOB NOT NULL,
                        topic TEXT NOT NULL,
                        time REAL NOT NULL,
                        source TEXT NOT NULL,
                        correlation_id TEXT,
                        payload TEXT NOT NULL
                    );
                    CREATE TABLE bus_timers (
                        module TEXT NOT NULL,
                        key TEXT NOT NULL,
                        due_at REAL NOT NULL,
                        topic TEXT NOT NULL,
                        payload TEXT NOT NULL,
                        PRIMARY KEY (module, key)
                    );
                    CREATE INDEX bus_timers_due ON bus_timers(due_at);
                    CREATE TABLE bus_idempotency (
                        key TEXT PRIMARY KEY NOT NULL,
                        command TEXT NOT NULL,
                        reply TEXT,
                        created_at REAL NOT NULL
                    );
                    """
            )
            try db.execute(sql: "INSERT INTO bus_meta(key, value) VALUES ('schema_version', '1')")
        }
        migrator.registerMigration("bus.v2") { db in
            // The entities each event names (see EventSubjects), as 16-byte UUIDs, for events.replay's `subject`;
            // journals written before are indexed here.
            try db.execute(
                sql: """
                    CREATE TABLE bus_subjects (
                        subject BLOB NOT NULL,
                        seq INTEGER NOT NULL,
                        PRIMARY KEY (subject, seq)
                    ) WITHOUT ROWID;
                    UPDATE bus_meta SET value = '2' WHERE key = 'schema_version';
                    """
            )
            try db.execute(sql: "INSERT INTO bus_meta(key, value) VALUES ('subjects_seq', '0')")
        }
        migrator.registerMigration("bus.v3") { db in
            // Written in the order of the commands (no index on the key): an idempotent command's commit appends
            // to the table's last page instead of dirtying a page of a key index (16 KiB) per command. The keys
            // are looked up in memory (IdempotencyLedger), and indexed on disk only when there are too many.
            try db.execute(
                sql: """
                    CREATE TABLE bus_idempotency_log (
                        seq INTEGER PRIMARY KEY,
                        key TEXT NOT NULL,
                        command TEXT NOT NULL,
                        reply TEXT,
                        created_at REAL NOT NULL
                    );
                    INSERT INTO bus_idempotency_log(key, command, reply, created_at)
                        SELECT key, command, reply, created_at FROM bus_idempotency ORDER BY created_at;
                    DROP TABLE bus_idempotency;
                    ALTER TABLE bus_idempotency_log RENAME TO bus_idempotency;
                    UPDATE bus_meta SET value = '3' WHERE key = 'schema_version';
                    """
            )
        }
        migrator.registerMigration("bus.v4") { db in
            // An idempotent write that emits events keeps its key (and reply) on its last event's row, a page the
            // commit writes anyway, instead of a row of bus_idempotency on a page of its own (16 KiB per commit).
            // Keys older than the retention are cleared from events from `keys_seq` on (IdempotencyLedger).
            try db.execute(
                sql: """
                    ALTER TABLE bus_journal ADD COLUMN idempotency_key TEXT;
                    ALTER TABLE bus_journal ADD COLUMN idempotency_command TEXT;
                    ALTER TABLE bus_journal ADD COLUMN idempotency_reply TEXT;
                    INSERT INTO bus_meta(key, value)
                        VALUES ('keys_seq', (SELECT COALESCE(MAX(seq), 0) + 1 FROM bus_journal));
                    UPDATE bus_meta SET value = '4' WHERE key = 'schema_version';
                    """
            )
        }
        return migrator
    }

    /// The `seq` of the newest committed event (0 when the journal is empty).
    public var headSeq: UInt64 { head.load(ordering: .acquiring) }

    /// How many transactions the writer has committed, to observe grouping.
    public var transactionCount: UInt64 { transactions.load(ordering: .relaxed) }

    /// Makes topics decodable back into typed events (for timers).
    public func registerEventTypes(_ types: [any Event.Type]) {
        eventTypes.withLock { table in
            for type in types { table[type.topic.rawValue] = type }
        }
    }

    /// Declares the events `module` publishes: from now on a write of `module` that emits or schedules any other
    /// fails, naming the module and the event.
    ///
    /// `untyped` are the events it publishes that have no Swift type here (a plugin's): their timers fire as
    /// ``UntypedEvent``s.
    public func declare(module: String, publishes types: [any Event.Type], untyped: [Topic] = []) {
        registerEventTypes(types)
        eventTypes.withLock { table in
            for topic in untyped { table[topic.rawValue] = UntypedEvent.self }
        }
        let topics = Set(types.map { $0.topic.rawValue } + untyped.map(\.rawValue))
        declared.withLock { $0[module] = topics }
    }

    /// Throws when `module` declared its events and `topic` is not one of them.
    private static func check(_ topic: Topic, of module: String, declared: [String: Set<String>]) throws {
        guard let allowed = declared[module], !allowed.contains(topic.rawValue) else { return }
        throw ConcordError(
            .internal,
            "module \"\(module)\" emitted \(topic), which is not among the events its descriptor publishes; "
                + "add it to ModuleDescriptor.publishes"
        )
    }

    func eventType(for topic: String) -> (any Event.Type)? {
        eventTypes.withLock { $0[topic] }
    }

    var knownEventTopics: [String] { eventTypes.withLock { Array($0.keys) } }

    func onTimersChanged(_ action: @escaping @Sendable () -> Void) {
        timersChanged.withLock { $0 = action }
    }

    // MARK: Writing

    /// Runs `body` for `module` in the next group transaction; returns after it commits.
    public func write<T: Sendable>(
        module: String,
        _ body: @escaping @Sendable (WriteTransaction) throws -> T
    ) async throws -> T {
        let job = makeJob(module: module, keepingIdempotency: true, body: body)
        return try await withUnsafeThrowingContinuation { continuation in
            job.continuation = continuation
            queue(job)
        }
    }

    /// A write of `module` under the command being handled: its request id becomes the events' correlation id,
    /// and, when `keepingIdempotency`, the command's idempotency key (and reply) are written with it.
    func makeJob<T: Sendable>(
        module: String,
        keepingIdempotency: Bool,
        body: @escaping @Sendable (WriteTransaction) throws -> T
    ) -> TypedWriteJob<T> {
        TypedWriteJob(
            module: module,
            correlationID: CommandContext.current?.requestID,
            capture: keepingIdempotency ? ReplyCapture.current : nil,
            body: body
        )
    }

    private func queue(_ job: any WriteJob) {
        guard !jobs.sendIfRoom(job) else { return }
        // The queue is full (the writer is behind) or closed: wait for room off this path.
        let jobs = self.jobs
        Task {
            if await !jobs.send(job) {
                job.finish(ConcordError.unavailable("the journal is closing and takes no more writes"))
            }
        }
    }

    /// Takes the writer for a ``WriteSession`` of `module`, after the writes queued before it.
    public func beginSession(module: String, idleTimeout: Duration) async throws -> any WriteSession {
        let job = SessionJob(session: JournalSession(journal: self, module: module, idleTimeout: idleTimeout))
        queue(job)
        return try await job.opened.value
    }

    /// Applies a module's migrations, refusing a database that a newer version of the module wrote.
    public func migrate(module: String, migrations: [Migration]) throws {
        guard !migrations.isEmpty else { return }
        var migrator = DatabaseMigrator()
        for migration in migrations {
            migrator.registerMigration("\(module).\(migration.name)") { db in try migration.migrate(db) }
        }
        let known = Set(migrations.map { "\(module).\($0.name)" })
        let foreign = try pool.read { db -> [String] in
            guard try db.tableExists("grdb_migrations") else { return [] }
            return try String.fetchAll(
                db,
                sql: "SELECT identifier FROM grdb_migrations WHERE identifier LIKE ? ESCAPE '\\'",
                arguments: [module.replacingOccurrences(of: "_", with: "\\_") + ".%"]
            )
        }
        if let newer = foreign.first(where: { !known.contains($0) }) {
            throw StoreError.newerSchema(path, found: "migration \(newer)", supported: known.sorted().last ?? "none")
        }
        try migrator.migrate(pool)
    }

    private func runWriter() async {
        var batch: [any WriteJob] = []
        var unCheckpointed = 0
        while await jobs.receive(into: &batch) {
            var start = 0
            while start < batch.count {
                // A session takes the writer on its own, in its turn; the writes queued before it are grouped.
                if let session = batch[start] as? SessionJob {
                    unCheckpointed += await run(session.session, opened: session.opened)
                    await checkpointIfDue(written: &unCheckpointed)
                    start += 1
                    continue
                }
                var end = start
                while end < min(start + maxBatch, batch.count), !(batch[end] is SessionJob) { end += 1 }
                unCheckpointed += await commit(Array(batch[start..<end]))
                await checkpointIfDue(written: &unCheckpointed)
                start = end
            }
            // Let the writers that were just acknowledged queue their next write, so the next group is full.
            await Task.yield()
            // Nothing waits: index what was committed on its own, so a replay by subject need not wait for a write.
            if jobs.depth == 0 { await indexPending() }
        }
        await indexPending()
    }

    // MARK: The subject index

    /// The index of the entities events name (`bus_subjects`) is written after the events' commit was answered:
    /// with the next group of writes (in its transaction and fsync), or on its own once no write waits. So neither
    /// a command nor a bulk import waits for it; `events.replay` with a subject waits until it has caught up, and
    /// events committed but not indexed before a crash are indexed when the journal opens.
    private func indexPending() async {
        let pending = unindexed.withLock { $0 }
        guard !pending.isEmpty else { return }
        let onDisk = indexedOnDisk.load(ordering: .relaxed)
        do {
            try await pool.write { db in try Self.indexSubjects(of: pending, in: db, onDisk: onDisk) }
            markIndexed(pending)
        } catch {
            logger.error("indexing the subjects of events failed; it is tried again", metadata: ["error": "\(error)"])
        }
    }

    private func markIndexed(_ events: [CommittedEvent]) {
        guard let last = events.last?.envelope.seq else { return }
        unindexed.withLock { $0.removeFirst(events.count) }
        indexed.store(last, ordering: .releasing)
        if last - indexedOnDisk.load(ordering: .relaxed) >= Self.subjectsSeqInterval {
            indexedOnDisk.store(last, ordering: .relaxed)
        }
        let ready = indexWaiters.withLock { waiters in
            let ready = waiters.filter { $0.seq <= last }
            waiters.removeAll { $0.seq <= last }
            return ready
        }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// Returns once every event up to `seq` has its subjects indexed.
    func waitUntilIndexed(through seq: UInt64) async {
        guard indexed.load(ordering: .acquiring) < seq else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = indexWaiters.withLock { waiters -> Bool in
                if indexed.load(ordering: .acquiring) >= seq { return true }
                waiters.append((seq, continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Indexes `events`; moves `subjects_seq` on once it is `subjectsSeqInterval` behind (`markIndexed` does the
    /// same arithmetic for the value it remembers).
    private static func indexSubjects(of events: [CommittedEvent], in db: Database, onDisk: UInt64) throws {
        guard let last = events.last?.envelope.seq else { return }
        let statements = try JournalStatements(db)
        for event in events {
            try statements.insertSubjects(seq: event.envelope.seq ?? 0, payload: event.payloadJSON)
        }
        if last - onDisk >= subjectsSeqInterval { try saveSubjectsSeq(last, in: db) }
    }

    private static func saveSubjectsSeq(_ seq: UInt64, in db: Database) throws {
        try db.execute(sql: "UPDATE bus_meta SET value = ? WHERE key = 'subjects_seq'", arguments: ["\(seq)"])
    }

    /// Indexes the events after the last indexed one (at open); returns the seq indexed through.
    private static func indexSubjectsNotYetIndexed(in db: Database) throws -> UInt64 {
        let through = UInt64(
            try String.fetchOne(db, sql: "SELECT value FROM bus_meta WHERE key = 'subjects_seq'").flatMap { Int64($0) }
                ?? 0)
        let statements = try JournalStatements(db)
        var last = through
        let events = try Row.fetchCursor(
            db, sql: "SELECT seq, payload FROM bus_journal WHERE seq > ? ORDER BY seq", arguments: [Int64(through)])
        while let event = try events.next() {
            let seq = UInt64(event["seq"] as Int64)
            let payload: String = event["payload"]
            try statements.insertSubjects(seq: seq, payload: Data(payload.utf8))
            last = seq
        }
        if last != through { try saveSubjectsSeq(last, in: db) }
        return last
    }

    private struct CommitOutcome: Sendable {
        /// Each job's error, or `nil` for those that committed.
        var errors: [(any Error)?] = []
        var envelopes: [CommittedEvent] = []
        var lastSeq: UInt64
        var timersChanged = false
        /// The bytes of event payloads written, to estimate how far the write-ahead log grew.
        var payloadBytes = 0
    }

    /// About SQLite's default of 1000 pages of log: rows and indexes take some two to three times the payloads.
    static let checkpointAfterBytes = 1 << 21

    /// Copies the write-ahead log into the database once enough was written: after the writes that filled it
    /// are acknowledged, so a large transaction is answered as soon as it is durable, not after copying.
    ///
    /// - Parameter written: event payload bytes written since the last checkpoint; reset when it runs.
    private func checkpointIfDue(written: inout Int) async {
        guard written >= Self.checkpointAfterBytes else { return }
        written = 0
        do {
            try await pool.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
        } catch {
            logger.warning("checkpoint of the write-ahead log failed", metadata: ["error": "\(error)"])
        }
    }

    /// Commits `jobs` in one transaction and answers each; returns the event payload bytes written.
    private func commit(_ jobs: [any WriteJob]) async -> Int {
        let firstSeq = headSeq
        let now = clock.now()
        do {
            let declared = self.declared.withLock { $0 }
            let pending = unindexed.withLock { $0 }
            let onDisk = indexedOnDisk.load(ordering: .relaxed)
            let outcome = try await pool.write { db in
                // The subjects of the groups committed before are indexed in this one's transaction and fsync.
                try Self.indexSubjects(of: pending, in: db, onDisk: onDisk)
                return try Self.apply(jobs, in: db, after: firstSeq, now: now, declared: declared)
            }
            markIndexed(pending)
            published(outcome)
            await deliver(outcome) {
                for (job, error) in zip(jobs, outcome.errors) { job.finish(error) }
            }
            return outcome.payloadBytes
        } catch {
            logger.error("journal commit failed; no write of the group was applied", metadata: ["error": "\(error)"])
            for job in jobs { job.finish(error) }
            return 0
        }
    }

    /// Runs a session: opens its transaction, writes its steps as they come, and commits at its commit step or
    /// rolls back when it ends otherwise. Returns the event payload bytes committed.
    private func run(_ session: JournalSession, opened: Promise<any WriteSession>) async -> Int {
        // Made known before `closing` is read: `close` sets `closing` before it ends the active session, so one of
        // the two sees the other and a closing journal never waits out a session's idle timeout.
        active.withLock { $0 = session }
        defer { active.withLock { $0 = nil } }
        guard !closing.load(ordering: .sequentiallyConsistent) else {
            opened.fulfill(.failure(ConcordError.unavailable("the journal is closing and takes no more writes")))
            return 0
        }
        do {
            try await pool.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        } catch {
            opened.fulfill(.failure(error))
            return 0
        }
        opened.fulfill(.success(session))
        var written = CommitOutcome(lastSeq: headSeq)
        while let step = await session.next() {
            let job: any WriteJob
            switch step {
            case .write(let write): job = write
            case .commit(let commit): job = commit
            }
            let now = clock.now()
            let after = written.lastSeq
            let declared = self.declared.withLock { $0 }
            do {
                let outcome = try await pool.writeWithoutTransaction { db in
                    try Self.apply([job], in: db, after: after, now: now, declared: declared)
                }
                if let error = outcome.errors.first ?? nil { throw error }
                written.lastSeq = outcome.lastSeq
                written.envelopes += outcome.envelopes
                written.payloadBytes += outcome.payloadBytes
                written.timersChanged = written.timersChanged || outcome.timersChanged
                guard case .commit = step else { continue }
                try await pool.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
            } catch {
                session.end(error)
                job.finish(error)
                break
            }
            session.end(ConcordError.unavailable("the write session has committed"))
            published(written)
            await deliver(written) { job.finish(nil) }
            return written.payloadBytes
        }
        do {
            try await pool.writeWithoutTransaction { db in
                if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") }
            }
        } catch {
            logger.error("rolling back a write session failed", metadata: ["error": "\(error)"])
        }
        return 0
    }

    /// Makes what a transaction committed known: the head, its events to index, its timers. Then its events are
    /// handed to the dispatcher and its writes answered (``deliver(_:answer:)``).
    private func published(_ outcome: CommitOutcome) {
        transactions.add(1, ordering: .relaxed)
        if !outcome.envelopes.isEmpty { unindexed.withLock { $0 += outcome.envelopes } }
        head.store(outcome.lastSeq, ordering: .releasing)
        if outcome.timersChanged {
            timersChanged.withLock { $0 }?()
        }
    }

    /// Hands committed events to the dispatcher, in `seq` order: what fits in its mailbox before the writes are
    /// answered (`answer`), the rest after. So a subscriber that subscribes after a reply is not sent the events
    /// before it, unless a transaction had more events than the mailbox holds (a bulk import): its answer does not
    /// wait for them to be delivered. The writer waits for room before its next transaction either way, so slow
    /// subscribers hold writers back.
    private func deliver(_ outcome: CommitOutcome, answer: () -> Void) async {
        let handed = outcome.envelopes.isEmpty ? 0 : committed.sendWhatFits(outcome.envelopes)
        answer()
        guard handed < outcome.envelopes.count else { return }
        await committed.send(contentsOf: outcome.envelopes[handed...])
    }

    private static func apply(
        _ jobs: [any WriteJob],
        in db: Database,
        after firstSeq: UInt64,
        now: Date,
        declared: [String: Set<String>]
    ) throws -> CommitOutcome {
        var outcome = CommitOutcome(lastSeq: firstSeq)
        // Each write gets a savepoint of its own; the statements are prepared once per connection.
        let statements = try JournalStatements(db)
        for job in jobs {
            let transaction = WriteTransaction(db: db, module: job.module, now: now)
            var seq = outcome.lastSeq
            var envelopes: [CommittedEvent] = []
            var timersChanged = false
            var payloadBytes = 0
            do {
                try statements.beginWrite()
                do {
                    try job.run(transaction)
                    let last = transaction.events.indices.last
                    for (index, pending) in transaction.events.enumerated() {
                        try check(pending.topic, of: job.module, declared: declared)
                        seq += 1
                        let envelope = Envelope<(any Event)?>(
                            seq: seq,
                            topic: pending.topic,
                            time: now,
                            source: job.module,
                            correlationID: job.correlationID,
                            payload: pending.event
                        )
                        guard let payload = try pending.json ?? pending.event.map({ try JSONStreamEncoder.encode($0) })
                        else { preconditionFailure("a pending event has neither a value nor JSON") }
                        // The write's last event keeps its idempotency key, if it has one.
                        let key = index == last ? job.capture : nil
                        try statements.insertEvent(
                            seq: seq, id: envelope.id, topic: pending.topic.rawValue,
                            time: now.timeIntervalSince1970, source: job.module, correlationID: job.correlationID,
                            payload: payload,
                            key: key.map { ($0.key, $0.command, job.replyJSON) }
                        )
                        if key != nil { job.idempotencyRow = .event(Int64(seq)) }
                        envelopes.append(CommittedEvent(envelope: envelope, type: pending.type, payloadJSON: payload))
                        payloadBytes += payload.count
                    }
                    for change in transaction.timerChanges {
                        timersChanged = true
                        switch change {
                        case .schedule(let key, let due, let topic, let payload):
                            try check(topic, of: job.module, declared: declared)
                            try db.execute(
                                sql: """
                                    INSERT OR REPLACE INTO bus_timers(module, key, due_at, topic, payload)
                                    VALUES (?, ?, ?, ?, ?)
                                    """,
                                arguments: [
                                    job.module, key, due.timeIntervalSince1970, topic.rawValue,
                                    String(decoding: payload, as: UTF8.self),
                                ]
                            )
                        case .cancel(let key):
                            try db.execute(
                                sql: "DELETE FROM bus_timers WHERE module = ? AND key = ?",
                                arguments: [job.module, key]
                            )
                        }
                    }
                } catch {
                    try statements.undoWrite()
                    throw error
                }
                try statements.keepWrite()
                outcome.lastSeq = seq
                outcome.envelopes += envelopes
                outcome.payloadBytes += payloadBytes
                outcome.timersChanged = outcome.timersChanged || timersChanged
                outcome.errors.append(nil)
            } catch {
                outcome.errors.append(error)
                continue
            }
            // A write without events keeps its key in bus_idempotency; outside the write's savepoint, which would
            // copy that table's page as well. A failure to append the key is thrown out of the group, which is
            // rolled back, so no write is kept without its key.
            if let capture = job.capture, job.idempotencyRow == nil {
                job.idempotencyRow = .key(
                    try statements.insertKey(
                        capture.key, command: capture.command, reply: job.replyJSON, at: now.timeIntervalSince1970,
                        db: db))
            }
        }
        return outcome
    }

    // MARK: Reading

    /// Reads from a snapshot, concurrently with the writer.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    /// Journaled events with `seq` after `afterSeq` under any of `prefixes` (all when `nil`), in order.
    public func replay(
        after afterSeq: UInt64, prefixes: [String]?, limit: Int, subject: UUID? = nil
    ) async throws -> [Envelope<JSONValue>] {
        var sql = "SELECT seq, id, topic, time, source, correlation_id, payload FROM bus_journal WHERE seq > ?"
        var arguments: [(any DatabaseValueConvertible)?] = [Int64(clamping: afterSeq)]
        if let subject {
            await waitUntilIndexed(through: headSeq)
            sql += " AND seq IN (SELECT seq FROM bus_subjects WHERE subject = ? AND seq > ?)"
            arguments += [subject, Int64(clamping: afterSeq)]
        }
        if let prefixes, !prefixes.isEmpty, !prefixes.contains("") {
            sql += " AND (" + prefixes.map { _ in "substr(topic, 1, ?) = ?" }.joined(separator: " OR ") + ")"
            for prefix in prefixes {
                arguments.append(prefix.utf8.count)
                arguments.append(prefix)
            }
        }
        sql += " ORDER BY seq LIMIT ?"
        arguments.append(limit)
        let statementArguments = StatementArguments(arguments)
        let query = sql
        return try await pool.read { db in
            try Row.fetchAll(db, sql: query, arguments: statementArguments).map { row in
                let payload: String = row["payload"]
                return Envelope(
                    seq: UInt64(row["seq"] as Int64),
                    id: row["id"] as UUID,
                    // Checked as it was written; a journal edited by hand fails here with the topic it holds.
                    topic: try Topic(validating: row["topic"]),
                    time: Date(timeIntervalSince1970: row["time"]),
                    source: row["source"],
                    correlationID: row["correlation_id"],
                    payload: JSONValue.parse(Data(payload.utf8)) ?? .string(payload)
                )
            }
        }
    }

    /// Throws unless the database answers a read.
    public func checkHealth() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    // MARK: Closing

    /// Takes no more writes, commits what is queued, and closes the database.
    public func close() async {
        closing.store(true, ordering: .sequentiallyConsistent)
        jobs.close()
        // A session waiting for its client would keep the writer until its idle timeout.
        active.withLock { $0 }?
            .end(ConcordError.unavailable("the journal is closing; the write session was rolled back"))
        if let task = writer.withLock({ $0 }) { await task.value }
        committed.close()
        do {
            try pool.close()
        } catch {
            logger.warning("closing the database failed", metadata: ["error": "\(error)"])
        }
    }
}

/// An event as it was committed: the envelope, and its payload as the JSON the journal stored, so the wire can
/// send it without encoding it again.
public struct CommittedEvent: Sendable {
    /// The envelope; its payload is `nil` for an event emitted as JSON only, until ``typed()`` decodes it.
    public var envelope: Envelope<(any Event)?>
    public var type: any Event.Type
    public var payloadJSON: Data

    public init(envelope: Envelope<any Event>, payloadJSON: Data) {
        self.init(
            envelope: envelope.map { $0 }, type: Swift.type(of: envelope.payload), payloadJSON: payloadJSON)
    }

    init(envelope: Envelope<(any Event)?>, type: any Event.Type, payloadJSON: Data) {
        self.envelope = envelope
        self.type = type
        self.payloadJSON = payloadJSON
    }

    /// The envelope with its typed payload, decoded from the JSON when it was emitted as JSON only.
    public func typed() throws -> Envelope<any Event> {
        if let event = envelope.payload { return envelope.map { _ in event } }
        let eventType: any Event.Type = type
        let event = try Self.decode(eventType, from: payloadJSON)
        return envelope.map { _ in event }
    }

    private static func decode<E: Event>(_ type: E.Type, from json: Data) throws -> any Event {
        try ConcordJSON.decoder().decode(E.self, from: json)
    }
}
