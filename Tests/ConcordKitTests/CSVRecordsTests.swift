import ConcordKit
import Testing

/// The project's CSV reader (the registry's import, concordctl import), against RFC 4180 and the lines an operator is told about.
@Suite struct CSVRecordsTests {
    static func read(_ text: String, firstLine: Int = 2) -> [CSVRecords.Record] {
        CSVRecords.read(text[...], firstLine: firstLine)
    }

    @Test func fieldsAreSplitAtCommasAndRecordsAtLineEnds() {
        let records = Self.read("Osh,city,KG\nHuế,,VN\r\n,,\nlast,one,")
        #expect(
            records.map(\.fields) == [["Osh", "city", "KG"], ["Huế", "", "VN"], ["", "", ""], ["last", "one", ""]])
        #expect(records.map(\.line) == [2, 3, 4, 5])
        #expect(records.allSatisfy { $0.problem == nil })
    }

    @Test func quotedFieldsHoldCommasQuotesAndNewlinesAndMoveTheLinesAfterThem() {
        let text = "\"Dushanbe, capital\",\"say \"\"hi\"\"\"\n\"two\r\nlines\nthree\",x\n\"\",\"\"\"\"\nnext,one\n"
        let records = Self.read(text, firstLine: 10)
        #expect(
            records.map(\.fields) == [
                ["Dushanbe, capital", "say \"hi\""], ["two\r\nlines\nthree", "x"], ["", "\""], ["next", "one"],
            ])
        #expect(records.map(\.line) == [10, 11, 14, 15])
    }

    @Test func emptyLinesAreSkippedButCounted() {
        let records = Self.read("\na,b\n\r\n\nc,d\n\n")
        #expect(records.map(\.fields) == [["a", "b"], ["c", "d"]])
        #expect(records.map(\.line) == [3, 6])
    }

    @Test func aQuoteInsideAnUnquotedFieldIsKeptAndALoneCarriageReturnIsData() {
        let records = Self.read("5\" pipe,x\ra\n")
        #expect(records.map(\.fields) == [["5\" pipe", "x\ra"]])
    }

    @Test func aMalformedRecordNamesItsFieldAndTheNextRecordIsReadAsUsual() {
        let records = Self.read("\"Osh\"x,city\nTalas,city\n\"open,city\nBatken,city\n")
        #expect(records.count == 3)
        #expect(records[0].problem == "field 1: expected a comma or the end of the line after its closing quote")
        #expect(records[0].fields == ["Osh", "city"])
        #expect(records[1].fields == ["Talas", "city"])
        #expect(records[1].problem == nil)
        #expect(records[2].line == 4)
        #expect(records[2].problem == "field 1: the quote opened on line 4 is never closed")
    }

    @Test func splitCutsOnlyBetweenRecordsAndKeepsTheirLines() {
        let text = "a,1\n\"b\nb\",2\nc,3\nd,4\n"
        for count in 1...6 {
            let parts = CSVRecords.split(text, firstLine: 2, into: count)
            #expect(parts.map(\.text).joined() == text[...])
            let records = parts.flatMap { CSVRecords.read($0.text, firstLine: $0.line) }
            #expect(records.map(\.fields) == [["a", "1"], ["b\nb", "2"], ["c", "3"], ["d", "4"]], "\(count) parts")
            #expect(records.map(\.line) == [2, 3, 5, 6], "\(count) parts")
        }
    }

    @Test func piecesHoldAtMostTheirRecordsAndBytesAndCountThem() {
        let text = "a,1\n\"b\nb\",2\nc,3\nd,4"
        let pieces = CSVRecords.split(text[...], firstLine: 2, maxRecords: 2)
        #expect(pieces.map(\.records) == [2, 2])
        #expect(pieces.map(\.line) == [2, 5])
        #expect(pieces.map(\.text).joined() == text[...])
        let small = CSVRecords.split(text[...], firstLine: 2, maxBytes: 1)
        #expect(small.count == 4, "a piece ends after each record once it is past the byte limit")
    }

    @Test func aHeaderCellMayHoldAQuotedCommaAndTheRowsStartAfterIt() throws {
        let header = try #require(CSVRecords.header(of: "name,\"focal, point\" , country\r\nOsh,x,KG\n"))
        #expect(header.columns == ["name", "focal, point", "country"])
        #expect(header.line == 2)
        #expect(header.rest == "Osh,x,KG\n")
        let spanning = try #require(CSVRecords.header(of: "\"two\nlines\",b\nrow,1\n"))
        #expect(spanning.columns == ["two\nlines", "b"])
        #expect(spanning.line == 3)
        #expect(CSVRecords.header(of: "only a header") == nil)
    }
}
