import ConcordKit
import Foundation
import GRDB
import Ledger

/// The example ledger with what the bus's tests need besides: a record command (`ledger.probe.record`) that can
/// wait first, fail after its write, or emit its event as JSON only (valid, or JSON that is not the event).
struct TestLedger: Module {
    struct RecordProbe: Command {
        static let topic: Topic = "ledger.probe.record"
        typealias Reply = EntryRecorded

        var name: String
        var amount: Int
        var failAfterWrite: Bool?
        /// Emit the event as JSON only: `valid`, or `invalid` (JSON that is not an `EntryRecorded`).
        var json: JSONEmission?

        enum JSONEmission: String, Codable, Sendable {
            case valid, invalid
        }

        enum CodingKeys: String, CodingKey {
            case name, amount, json
            case failAfterWrite = "fail_after_write"
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String { "failed on purpose after writing" }
    }

    var base = LedgerModule()
    /// Delays every `RecordProbe`, to keep commands in flight.
    var handlerDelay: Duration?

    init(name: String = "ledger", handlerDelay: Duration? = nil) {
        self.base = LedgerModule(name: name)
        self.handlerDelay = handlerDelay
    }

    var descriptor: ModuleDescriptor { base.descriptor }
    var migrations: [Migration] { base.migrations }

    func start(context: ModuleContext) async throws {
        try await base.start(context: context)
        let delay = handlerDelay
        try context.handle(RecordProbe.self, runsOn: .inline) { command, _ in
            if let delay { try await Task.sleep(for: delay) }
            return try await context.store.write { transaction in
                try transaction.db.execute(
                    sql: "INSERT INTO ledger_entries(name, amount) VALUES (?, ?)",
                    arguments: [command.name, command.amount]
                )
                let event = EntryRecorded(
                    id: transaction.db.lastInsertedRowID, name: command.name, amount: command.amount)
                switch command.json {
                case nil: transaction.emit(event)
                case .valid: transaction.emit(EntryRecorded.self, json: try JSONStreamEncoder.encode(event))
                case .invalid: transaction.emit(EntryRecorded.self, json: Data(#"{"entry":"not one"}"#.utf8))
                }
                if command.failAfterWrite == true { throw Failure() }
                return event
            }
        }
    }
}

/// A module whose start fails.
struct BrokenModule: Module {
    struct Broken: Error, CustomStringConvertible {
        var description: String { "cannot reach its configuration" }
    }

    var descriptor: ModuleDescriptor { ModuleDescriptor(name: "broken", version: "0.0.1") }

    func start(context: ModuleContext) async throws { throw Broken() }
}
