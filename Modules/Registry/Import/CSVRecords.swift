import ConcordKit

/// The records of a piece of CSV (RFC 4180), each with the file line it starts on.
///
/// Read byte by byte over UTF-8: a record ends at LF or CRLF outside quotes (a lone CR is data); fields are separated by commas;
/// a field that starts with `"` runs to the next `"` not doubled, and `""` inside it is one `"`. A `"` inside a
/// field that does not start with one is kept as it is. Empty lines are skipped (their lines still count).
///
/// The CSV libraries at hand read a character or a Unicode scalar at a time, near 25 MB/s here; this reads the
/// bytes at several times that, which a 250 000-row import needs.
enum CSVRecords {
    /// A record, or what is wrong with it.
    struct Record: Sendable {
        var line: Int
        var fields: [String]
        /// Why the record cannot be read; its fields are then what could be read.
        var problem: String?
    }

    static func read(_ text: Substring, firstLine: Int) -> [Record] {
        var text = text
        return text.withUTF8 { bytes in read(bytes, firstLine: firstLine) }
    }

    private static let comma = UInt8(ascii: ","), quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    private static func read(_ bytes: UnsafeBufferPointer<UInt8>, firstLine: Int) -> [Record] {
        var records: [Record] = []
        var line = firstLine
        var index = 0
        let end = bytes.count
        var fields: [String] = []
        var unescaped: [UInt8] = []
        while index < end {
            let recordLine = line
            // An empty line is no record.
            if isNewline(bytes, at: index) {
                index = skipNewline(bytes, at: index)
                line += 1
                continue
            }
            fields.removeAll(keepingCapacity: true)
            var problem: String?
            var endOfRecord = false
            while !endOfRecord {
                if index < end, bytes[index] == quote {
                    // Quoted: up to the closing quote; a doubled quote is one.
                    let opened = line
                    unescaped.removeAll(keepingCapacity: true)
                    index += 1
                    var start = index
                    var closed = false
                    while index < end {
                        let byte = bytes[index]
                        if byte == quote {
                            unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                            if index + 1 < end, bytes[index + 1] == quote {
                                unescaped.append(quote)
                                index += 2
                                start = index
                                continue
                            }
                            index += 1
                            closed = true
                            break
                        }
                        if byte == lf { line += 1 }
                        index += 1
                    }
                    if !closed {
                        unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                        problem =
                            problem ?? "field \(fields.count + 1): the quote opened on line \(opened) is never closed"
                    }
                    fields.append(String(decoding: unescaped, as: UTF8.self))
                    if index < end, bytes[index] != comma, !isNewline(bytes, at: index) {
                        problem =
                            problem
                            ?? "field \(fields.count): expected a comma or the end of the line after its closing quote"
                        // Read on to the end of the field, so the next one starts where it should.
                        while index < end, bytes[index] != comma, !isNewline(bytes, at: index) { index += 1 }
                    }
                } else {
                    let start = index
                    while index < end, bytes[index] != comma, !isNewline(bytes, at: index) { index += 1 }
                    fields.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
                }
                if index < end, bytes[index] == comma {
                    index += 1
                } else {
                    endOfRecord = true
                }
            }
            if index < end {
                index = skipNewline(bytes, at: index)
                line += 1
            }
            records.append(Record(line: recordLine, fields: fields, problem: problem))
        }
        return records
    }

    /// Whether a line ends at `index`: LF, or CR followed by LF.
    @inline(__always)
    private static func isNewline(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        bytes[index] == lf || (bytes[index] == cr && index + 1 < bytes.count && bytes[index + 1] == lf)
    }

    /// The index after the line ending at `index`.
    private static func skipNewline(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        bytes[index] == cr ? index + 2 : index + 1
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
