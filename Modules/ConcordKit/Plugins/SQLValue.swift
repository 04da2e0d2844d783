import Foundation

/// A value bound to, or read from, SQL across the plugin boundary: SQLite's null, integer, real and text.
public enum SQLValue: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral
{
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .real(value) }
    public init(nilLiteral: ()) { self = .null }

    /// Text, or null for `nil`.
    public init(_ text: String?) { self = text.map(SQLValue.text) ?? .null }
    /// An integer, or null for `nil`.
    public init(_ integer: Int?) { self = integer.map { .integer(Int64($0)) } ?? .null }

    /// The value as JSON: null, an integer, a number or a string.
    public var json: JSONValue {
        switch self {
        case .null: .null
        case .integer(let value): .int(value)
        case .real(let value): .double(value)
        case .text(let value): .string(value)
        }
    }

    /// The value a JSON scalar stands for; `nil` for arrays and objects, which SQL does not store.
    public init?(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let value): self = .integer(value ? 1 : 0)
        case .int(let value): self = .integer(value)
        case .double(let value): self = .real(value)
        case .string(let value): self = .text(value)
        case .array, .object: return nil
        }
    }
}

/// One row a query returned, by column name.
public struct SQLRow: Sendable, Hashable {
    public var columns: [String: SQLValue]

    public init(columns: [String: SQLValue]) { self.columns = columns }

    public subscript(column: String) -> SQLValue { columns[column] ?? .null }

    /// The column as text; throws naming the column when it is null or not text.
    public func string(_ column: String) throws -> String {
        guard case .text(let value) = self[column] else { throw mismatch(column, "text") }
        return value
    }

    /// The column as text, or `nil` when it is null.
    public func optionalString(_ column: String) throws -> String? {
        if case .null = self[column] { return nil }
        return try string(column)
    }

    /// The column as an integer; throws naming the column when it is null or not an integer.
    public func int(_ column: String) throws -> Int64 {
        guard case .integer(let value) = self[column] else { throw mismatch(column, "an integer") }
        return value
    }

    /// The column as a number (an integer column is converted).
    public func double(_ column: String) throws -> Double {
        switch self[column] {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        default: throw mismatch(column, "a number")
        }
    }

    private func mismatch(_ column: String, _ expected: String) -> ConcordError {
        ConcordError(.internal, "column \(column): expected \(expected), got \(self[column])")
    }
}

/// What an `execute` changed.
public struct SQLChanges: Sendable, Equatable {
    /// Rows inserted, updated or deleted by the statement.
    public var changes: Int
    /// The rowid of the last row inserted on the connection.
    public var lastInsertRowID: Int64

    public init(changes: Int, lastInsertRowID: Int64) {
        self.changes = changes
        self.lastInsertRowID = lastInsertRowID
    }
}
