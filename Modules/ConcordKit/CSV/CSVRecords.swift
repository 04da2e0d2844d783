import Foundation

/// The records of a piece of CSV (RFC 4180), each with the file line it starts on.
///
/// Read byte by byte over UTF-8: a record ends at LF or CRLF outside quotes (a lone CR is data); fields are separated by commas;
/// a field that starts with `"` runs to the next `"` not doubled, and `""` inside it is one `"`. A `"` inside a
/// field that does not start with one is kept as it is. Empty lines are skipped (their lines still count).
///
/// The CSV libraries at hand read a character or a Unicode scalar at a time, near 25 MB/s here; this reads the
/// bytes at several times that, which a 250 000-row import needs.
///
/// The one CSV reader of the project: the registry's import reads with it, and `concordctl import` cuts files
/// with it before sending them.
public enum CSVRecords {
    /// A record, or what is wrong with it.
    public struct Record: Sendable {
        public var line: Int
        public var fields: [String]
        /// Why the record cannot be read; its fields are then what could be read.
        public var problem: String?
    }

    /// A run of whole records cut from a text, with the line it starts on and how many records it holds.
    public struct Piece: Sendable {
        public var line: Int
        public var text: Substring
        public var records: Int
    }

    public static func read(_ text: Substring, firstLine: Int) -> [Record] {
        var text = text
        return text.withUTF8 { bytes in read(bytes, firstLine: firstLine) }
    }

    private static let comma = UInt8(ascii: ","), quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    private static func read(_ bytes: UnsafeBufferPointer<UInt8>, firstLine: Int) -> [Record] {
        var records: [Record] = []
        var scanner = Scanner(bytes: bytes, line: firstLine)
        var fields: [String] = []
        var unescaped: [UInt8] = []
        while !scanner.atEnd {
            let recordLine = scanner.line
            // An empty line is no record.
            if scanner.atNewline {
                scanner.skipNewline()
                continue
            }
            fields.removeAll(keepingCapacity: true)
            var problem: String?
            repeat {
                if scanner.next == quote {
                    let opened = scanner.line
                    unescaped.removeAll(keepingCapacity: true)
                    if !scanner.readQuoted(into: &unescaped) {
                        problem =
                            problem ?? "field \(fields.count + 1): the quote opened on line \(opened) is never closed"
                    }
                    fields.append(String(decoding: unescaped, as: UTF8.self))
                    if !scanner.atFieldEnd {
                        problem =
                            problem
                            ?? "field \(fields.count): expected a comma or the end of the line after its closing quote"
                        // Read on to the end of the field, so the next one starts where it should.
                        scanner.skipToFieldEnd()
                    }
                } else {
                    let start = scanner.index
                    scanner.skipToFieldEnd()
                    fields.append(
                        String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<scanner.index]), as: UTF8.self))
                }
            } while scanner.skipComma()
            if !scanner.atEnd { scanner.skipNewline() }
            records.append(Record(line: recordLine, fields: fields, problem: problem))
        }
        return records
    }

    /// A position in the bytes, with the line it is on.
    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        var line: Int

        init(bytes: UnsafeBufferPointer<UInt8>, line: Int) {
            self.bytes = bytes
            self.line = line
        }

        var atEnd: Bool { index == bytes.count }

        /// The byte at the position; `nil` at the end.
        var next: UInt8? { atEnd ? nil : bytes[index] }

        /// Whether a line ends here: LF, or CR followed by LF.
        var atNewline: Bool {
            !atEnd && (bytes[index] == lf || (bytes[index] == cr && index + 1 < bytes.count && bytes[index + 1] == lf))
        }

        /// Whether a field ends here: a comma, a line end, or the end.
        var atFieldEnd: Bool { atEnd || bytes[index] == comma || atNewline }

        mutating func skipToFieldEnd() {
            while !atFieldEnd { index += 1 }
        }

        /// Steps over a comma, if one is here.
        mutating func skipComma() -> Bool {
            guard next == comma else { return false }
            index += 1
            return true
        }

        mutating func skipNewline() {
            index += bytes[index] == cr ? 2 : 1
            line += 1
        }

        /// Reads a quoted field from its opening quote to just after its closing one, a doubled quote as one, into
        /// `field`; `false` when the quote is never closed (`field` then holds the rest of the bytes).
        mutating func readQuoted(into field: inout [UInt8]) -> Bool {
            index += 1
            var start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == quote {
                    field.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                    guard index + 1 < bytes.count, bytes[index + 1] == quote else {
                        index += 1
                        return true
                    }
                    field.append(quote)
                    index += 2
                    start = index
                    continue
                }
                if byte == lf { line += 1 }
                index += 1
            }
            field.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
            return false
        }
    }

    /// `text` cut between records into pieces, each ending after the record that brings it to `maxRecords` records
    /// or `maxBytes` bytes, and at most `maxPieces` of them (the last takes the rest). A newline ends a record only
    /// outside quotes (an escaped quote, `""`, toggles twice); an empty line counts as a record here.
    public static func split(
        _ text: Substring, firstLine: Int, maxRecords: Int = .max, maxBytes: Int = .max, maxPieces: Int = .max
    ) -> [Piece] {
        // Cut over the bytes (stepping through a `Substring.UTF8View` costs several times as much), then made
        // into substrings by offset, which is constant time in UTF-8.
        var contiguous = text
        let (cuts, last) = contiguous.withUTF8 { bytes in
            cutOffsets(bytes, firstLine: firstLine, maxRecords: maxRecords, maxBytes: maxBytes, maxPieces: maxPieces)
        }
        let utf8 = text.utf8
        var pieces: [Piece] = []
        pieces.reserveCapacity(cuts.count + 1)
        var start = utf8.startIndex
        var startOffset = 0
        for cut in cuts {
            let end = utf8.index(start, offsetBy: cut.end - startOffset)
            pieces.append(Piece(line: cut.line, text: text[start..<end], records: cut.records))
            start = end
            startOffset = cut.end
        }
        if start != utf8.endIndex || pieces.isEmpty {
            let rest = text[start...]
            pieces.append(Piece(line: last.line, text: rest, records: last.records + (rest.utf8.last == lf ? 0 : 1)))
        }
        return pieces
    }

    /// Where `split` cuts: the end offset of each piece but the last, with the line it starts on and its records;
    /// and the line and records of what follows the last cut.
    private static func cutOffsets(
        _ bytes: UnsafeBufferPointer<UInt8>, firstLine: Int, maxRecords: Int, maxBytes: Int, maxPieces: Int
    ) -> (cuts: [(end: Int, line: Int, records: Int)], last: (line: Int, records: Int)) {
        var cuts: [(end: Int, line: Int, records: Int)] = []
        var startLine = firstLine
        var line = firstLine
        var quoted = false
        var pieceStart = 0
        var records = 0
        for index in bytes.indices {
            let byte = bytes[index]
            if byte == quote {
                quoted.toggle()
            } else if byte == lf {
                line += 1
                guard !quoted else { continue }
                records += 1
                let end = index + 1
                if records >= maxRecords || end - pieceStart >= maxBytes, cuts.count < maxPieces - 1 {
                    cuts.append((end, startLine, records))
                    pieceStart = end
                    startLine = line
                    records = 0
                }
            }
        }
        return (cuts, (startLine, records))
    }

    /// `text` cut into at most `count` pieces of whole records, about equal in size (for reading in parallel).
    public static func split(_ text: String, firstLine: Int, into count: Int) -> [Piece] {
        let target = text.utf8.count / max(count, 1)
        guard count > 1, target > 0 else { return [Piece(line: firstLine, text: text[...], records: 0)] }
        return split(text[...], firstLine: firstLine, maxBytes: target, maxPieces: count)
    }

    /// The first record of `text` as column names (trimmed of spaces), and the text after it: the header line of
    /// a CSV file, where a quoted name may hold a comma. `nil` when `text` has no complete first line.
    public static func header(of text: String) -> (columns: [String], line: Int, rest: Substring)? {
        let first = split(text[...], firstLine: 1, maxRecords: 1, maxPieces: 2)
        guard first.count == 2, let record = read(first[0].text, firstLine: 1).first else { return nil }
        return (record.fields.map { $0.trimmingCharacters(in: .whitespaces) }, first[1].line, first[1].text)
    }
}
