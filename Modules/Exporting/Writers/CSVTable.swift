import ConcordKit
import Foundation

/// A column of a CSV table: its name, its Table Schema type and constraints, and how a row gives its value.
/// The header, the schema in `datapackage.json` and every row come from the same list, so they cannot disagree.
struct Column<Row>: Sendable {
    var name: String
    /// A Table Schema type: `string`, `integer`, `number`, `boolean`, `date`, `datetime`, `geopoint`, `object`.
    var type: String
    var description: String
    var required = false
    /// The values an enum column may hold.
    var values: [String]? = nil
    var pattern: String? = nil
    var value: @Sendable (Row) -> String?

    /// The Table Schema field.
    var schema: JSONValue {
        var field: JSONObject = ["name": .string(name), "type": .string(type), "description": .string(description)]
        var constraints: JSONObject = [:]
        if required { constraints["required"] = true }
        if let values { constraints["enum"] = .array(values.map(JSONValue.string)) }
        if let pattern { constraints["pattern"] = .string(pattern) }
        if !constraints.isEmpty { field["constraints"] = .object(constraints) }
        return .object(field)
    }
}

/// A table of one resource of the data package.
struct TableDefinition<Row>: Sendable {
    struct ForeignKey: Sendable {
        var fields: [String]
        var resource: String
        var reference: [String]
    }

    var name: String
    var title: String
    var columns: [Column<Row>]
    var primaryKey: [String]
    var foreignKeys: [ForeignKey] = []

    var file: String { "\(name).csv" }

    /// The resource's entry in `datapackage.json`, with its Table Schema.
    func resource(_ digest: ExportFileDigest) -> JSONValue {
        var schema: JSONObject = [
            "fields": .array(columns.map(\.schema)),
            "primaryKey": .array(primaryKey.map(JSONValue.string)),
        ]
        if !foreignKeys.isEmpty {
            schema["foreignKeys"] = .array(
                foreignKeys.map { key in
                    .object([
                        "fields": .array(key.fields.map(JSONValue.string)),
                        "reference": .object([
                            "resource": .string(key.resource), "fields": .array(key.reference.map(JSONValue.string)),
                        ]),
                    ])
                })
        }
        return .object([
            "name": .string(name), "title": .string(title), "path": .string(file), "profile": "tabular-data-resource",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "bytes": .int(Int64(digest.bytes)),
            "hash": .string("sha256:\(digest.sha256)"), "schema": .object(schema),
        ])
    }
}

/// Writes one table as RFC 4180 CSV: a header, then rows; fields holding a comma, a quote or a line break are
/// quoted with quotes doubled, absent values are empty.
final class CSVWriter<Row> {
    let table: TableDefinition<Row>
    private let file: OutputFile
    private(set) var rows = 0
    private var line = ""

    init(_ table: TableDefinition<Row>, in folder: URL) throws {
        self.table = table
        file = try OutputFile(name: table.file, in: folder)
        try write(table.columns.map(\.name))
    }

    func append(_ row: Row) throws {
        try write(table.columns.map { $0.value(row) })
        rows += 1
    }

    func commit() throws -> ExportFileDigest { try file.commit() }

    private func write(_ fields: [String?]) throws {
        line.removeAll(keepingCapacity: true)
        for (index, field) in fields.enumerated() {
            if index > 0 { line.append(",") }
            guard let field else { continue }
            Self.appendField(field, to: &line)
        }
        line.append("\r\n")
        try file.write(line)
    }

    static func appendField(_ field: String, to line: inout String) {
        let needsQuotes = field.utf8.contains { byte in
            byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\n")
                || byte == UInt8(ascii: "\r")
        }
        guard needsQuotes else {
            line.append(field)
            return
        }
        line.append("\"")
        if field.utf8.contains(UInt8(ascii: "\"")) {
            for character in field {
                if character == "\"" { line.append("\"") }
                line.append(character)
            }
        } else {
            line.append(field)
        }
        line.append("\"")
    }
}
