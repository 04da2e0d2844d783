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

    /// `text` cut into at most `count` pieces of whole records, about equal in size, each with the line it
    /// starts on: a newline ends a record only outside quotes (an escaped quote, `""`, toggles twice).
    static func split(_ text: String, firstLine: Int, into count: Int) -> [(line: Int, text: Substring)] {
        let utf8 = text.utf8
        let target = utf8.count / max(count, 1)
        guard count > 1, target > 0 else { return [(firstLine, text[...])] }
        var pieces: [(line: Int, text: Substring)] = []
        var start = utf8.startIndex
        var startLine = firstLine
        var line = firstLine
        var quoted = false
        var size = 0
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            utf8.formIndex(after: &index)
            size += 1
            if byte == UInt8(ascii: "\"") {
                quoted.toggle()
            } else if byte == UInt8(ascii: "\n") {
                line += 1
                if !quoted, size >= target, pieces.count < count - 1 {
                    pieces.append((startLine, text[start..<index]))
                    start = index
                    startLine = line
                    size = 0
                }
            }
        }
        if start != utf8.endIndex || pieces.isEmpty { pieces.append((startLine, text[start...])) }
        return pieces
    }
}
