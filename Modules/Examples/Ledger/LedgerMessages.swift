public import ConcordKit
public import Foundation

// The ledger's vocabulary. A real module keeps these in `Modules/Contracts/<Name>/`, where other modules and
// external tools find them; the example keeps them beside the module so it reads in one folder.

/// Records an entry (a due, a payment) under a name.
public struct RecordEntry: Command {
    public static let topic: Topic = "ledger.entry.record"
    public typealias Reply = EntryRecorded

    public var name: String
    /// In the smallest unit of the currency (cents); may be negative for a refund.
    public var amount: Int

    public init(name: String, amount: Int) {
        self.name = name
        self.amount = amount
    }
}

/// Asks how many entries there are.
public struct CountEntries: Query {
    public static let topic: Topic = "ledger.entries.count"
    public typealias Reply = Int

    public init() {}
}

/// Sets a durable reminder under `key`, due at `due`; setting the same key again moves it.
public struct SetReminder: Command {
    public static let topic: Topic = "ledger.reminder.set"
    public typealias Reply = Acknowledged

    public var key: String
    public var due: Date

    public init(key: String, due: Date) {
        self.key = key
        self.due = due
    }
}

/// Cancels the reminder under `key`, if it has not fired.
public struct CancelReminder: Command {
    public static let topic: Topic = "ledger.reminder.cancel"
    public typealias Reply = Acknowledged

    public var key: String

    public init(key: String) { self.key = key }
}

/// An entry was recorded.
public struct EntryRecorded: Event, Equatable {
    public static let topic: Topic = "ledger.entry.recorded"

    public var id: Int64
    public var name: String
    public var amount: Int

    public init(id: Int64, name: String, amount: Int) {
        self.id = id
        self.name = name
        self.amount = amount
    }
}

/// A reminder fell due.
public struct ReminderDue: Event, Equatable {
    public static let topic: Topic = "ledger.reminder.due"

    public var key: String

    public init(key: String) { self.key = key }
}
