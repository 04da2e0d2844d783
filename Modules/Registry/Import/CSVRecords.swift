import CSV
import ConcordKit

/// The records of a piece of CSV, each with the file line it starts on.
enum CSVRecords {
    static func read(_ text: String, firstLine: Int) throws -> [(line: Int, fields: [String])] {
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: false)
        } catch {
            throw ConcordError.badRequest("csv: cannot be read as CSV from line \(firstLine): \(error)")
        }
        var records: [(line: Int, fields: [String])] = []
        var line = firstLine
        while let fields = reader.next() {
            records.append((line, fields))
            // A quoted field may hold newlines; the next record starts after them.
            line +=
                1 + fields.reduce(0) { count, field in count + field.utf8.count(where: { $0 == UInt8(ascii: "\n") }) }
        }
        if let error = reader.error {
            throw ConcordError.badRequest("csv: cannot be read as CSV after line \(line): \(error)")
        }
        return records
    }
}
