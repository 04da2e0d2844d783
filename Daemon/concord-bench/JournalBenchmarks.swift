import Bus
import ConcordKit
import Foundation
import GRDB
import Logging

/// A module whose one command writes a row and emits an event: the shape of every mutating command.
struct BenchLedger: Module {
    struct WriteRow: Command {
        static let topic: Topic = "benchledger.row.write"
        typealias Reply = Int64
        var n: Int
    }

    struct RowWritten: Event {
        static let topic: Topic = "benchledger.row.written"
        var id: Int64
    }

    var descriptor: ModuleDescriptor {
        ModuleDescriptor(name: "benchledger", version: "1", publishes: [RowWritten.self])
    }

    var migrations: [Migration] {
        [
            Migration("v1") { db in
                try db.execute(sql: "CREATE TABLE benchledger_rows (id INTEGER PRIMARY KEY, n INTEGER)")
            }
        ]
    }

    func start(context: ModuleContext) async throws {
        try context.handle(WriteRow.self, runsOn: .inline) { command, _ in
            try await context.store.write { transaction in
                try transaction.db.cachedStatement(sql: "INSERT INTO benchledger_rows(n) VALUES (?)")
                    .execute(arguments: [command.n])
                let id = transaction.db.lastInsertedRowID
                transaction.emit(RowWritten(id: id))
                return id
            }
        }
    }
}

enum JournalBenchmarks {
    /// Acknowledged durable commands per second from `senders` concurrent senders for `duration`.
    ///
    /// With `idempotent`, every command carries a key of its own, so each is looked up and its reply kept.
    static func durableCommands(
        maxWritesPerTransaction: Int, senders: Int, duration: Duration, idempotent: Bool = false
    ) async throws -> (rate: Double, transactions: UInt64, commands: Int) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "concord-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let runtime = try Runtime(
            modules: [BenchLedger()],
            options: RuntimeOptions(dataDirectory: directory.path, maxWritesPerTransaction: maxWritesPerTransaction),
            logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        )
        await runtime.start()
        let bus = runtime.bus
        let transactionsBefore = runtime.journal.transactionCount
        let start = ContinuousClock.now
        let deadline = start + duration
        let acknowledged = try await withThrowingTaskGroup(of: Int.self) { group in
            for sender in 0..<senders {
                group.addTask {
                    var count = 0
                    while ContinuousClock.now < deadline {
                        let context = CommandContext(idempotencyKey: idempotent ? "bench-\(sender)-\(count)" : nil)
                        _ = try await bus.send(BenchLedger.WriteRow(n: sender), context: context)
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = seconds(since: start)
        let transactions = runtime.journal.transactionCount - transactionsBefore
        let head = runtime.journal.headSeq
        await runtime.shutdown()
        precondition(
            head == UInt64(acknowledged), "every acknowledged command has its event (\(head) vs \(acknowledged))")
        return (Double(acknowledged) / elapsed, transactions, acknowledged)
    }

    static func durable() async throws -> Report {
        let grouped = try await durableCommands(maxWritesPerTransaction: 1024, senders: 64, duration: .seconds(4))
        let single = try await durableCommands(maxWritesPerTransaction: 1, senders: 64, duration: .seconds(4))
        return Report(
            name: "journal.durable_commands",
            value: grouped.rate,
            unit: "commands/s",
            baseline: single.rate,
            ratio: grouped.rate / single.rate,
            target: ">= 20000, ratio >= 10",
            extra: [
                "senders": 64,
                "commands": Double(grouped.commands),
                "writes_per_transaction": Double(grouped.commands) / Double(max(1, grouped.transactions)),
                "baseline_commands": Double(single.commands),
            ]
        )
    }

    /// The same load with an idempotency key on every command, against the same load without keys (one commit per
    /// command either way: the key and reply are written in the command's transaction).
    static func durableIdempotent() async throws -> Report {
        // Alternating one-second rounds of each load: this machine's speed drifts over seconds, and one run of
        // each after the other measured the drift as much as the keys.
        var plain = (seconds: 0.0, commands: 0, transactions: UInt64(0))
        var keyed = (seconds: 0.0, commands: 0, transactions: UInt64(0))
        for _ in 0..<4 {
            let withoutKeys = try await durableCommands(
                maxWritesPerTransaction: 1024, senders: 64, duration: .seconds(1))
            plain.commands += withoutKeys.commands
            plain.seconds += Double(withoutKeys.commands) / withoutKeys.rate
            let withKeys = try await durableCommands(
                maxWritesPerTransaction: 1024, senders: 64, duration: .seconds(1), idempotent: true)
            keyed.commands += withKeys.commands
            keyed.seconds += Double(withKeys.commands) / withKeys.rate
            keyed.transactions += withKeys.transactions
        }
        let plainRate = Double(plain.commands) / plain.seconds
        let keyedRate = Double(keyed.commands) / keyed.seconds
        return Report(
            name: "journal.durable_commands_idempotent",
            value: keyedRate,
            unit: "commands/s",
            baseline: plainRate,
            ratio: keyedRate / plainRate,
            target: "ratio >= 0.8 against journal.durable_commands",
            extra: [
                "senders": 64,
                "rounds": 4,
                "commands": Double(keyed.commands),
                "writes_per_transaction": Double(keyed.commands) / Double(max(1, keyed.transactions)),
                "baseline_commands": Double(plain.commands),
            ]
        )
    }
}
