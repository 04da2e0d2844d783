import ConcordKit
import Foundation
import Testing

@Suite struct JSONParserTests {
    @Test(arguments: [
        (
            #"{"a": [1, -2, 3.5, 1e3, true, false, null], "b": {"c": "d"}}"#,
            JSONValue.object([
                "a": [1, -2, .double(3.5), .double(1000), true, false, .null], "b": .object(["c": "d"]),
            ])
        ),
        (#"  "tab\tquote\"slash\/ é \u00e9 \ud83c\udf0f"  "#, .string("tab\tquote\"slash/ é é 🌏")),
        ("0", .int(0)),
        ("-0.5", .double(-0.5)),
        ("9223372036854775807", .int(Int64.max)),
        ("[]", .array([])),
        ("{}", .object([:])),
    ])
    func parsesWhatRFC8259Allows(text: String, expected: JSONValue) {
        #expect(JSONValue.parse(Data(text.utf8)) == expected)
    }

    @Test(arguments: [
        "", "{", "[1,]", #"{"a":1,}"#, "01", "1.", "-", "tru", #""unterminated"#, "{\"a\" 1}", "[1] 2",
        "\"\u{01}\"", #""\x""#, #""\ud800""#, "nul", "{'a': 1}",
    ])
    func refusesWhatItDoesNot(text: String) {
        #expect(JSONValue.parse(Data(text.utf8)) == nil)
    }

    @Test func refusesHostileNesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(JSONValue.parse(Data(deep.utf8)) == nil)
        let fine = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(JSONValue.parse(Data(fine.utf8)) != nil)
    }

    @Test func agreesWithFoundationOnLargeIntegersAndDoubles() throws {
        let text = #"[12345678901234567890, 1.5e300, -7]"#
        guard case .array(let values) = JSONValue.parse(Data(text.utf8)) else {
            Issue.record("not parsed")
            return
        }
        #expect(values[0] == .double(Double("12345678901234567890")!))
        #expect(values[1] == .double(1.5e300))
        #expect(values[2] == .int(-7))
    }
}
