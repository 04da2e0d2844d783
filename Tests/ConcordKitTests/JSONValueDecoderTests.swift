import ConcordKit
import Foundation
import Testing

@Suite struct JSONValueDecoderTests {
    struct Membership: Codable, Equatable {
        enum Role: String, Codable { case member, observer }
        struct Seat: Codable, Equatable {
            var city: String
            var population: Int?
        }

        var network: String
        var role: Role
        var since: Date
        var seats: [Seat]
        var share: Double
        var count: UInt8
        var tags: [String: Bool]
        var note: String?
        var extra: JSONValue?
        var site: URL?
    }

    static let text = #"""
        {"network": "UMCI", "role": "observer", "since": "2024-02-27T09:30:00Z",
         "seats": [{"city": "Vientiane", "population": 948477}, {"city": "Luang Prabang", "population": null}],
         "share": 2, "count": 255, "tags": {"founding": true}, "note": null,
         "extra": {"a": [1, "b"]}, "site": "https://example.org/umci"}
        """#

    @Test func decodesWhatJSONDecoderDecodes() throws {
        let value = try #require(JSONValue.parse(Data(Self.text.utf8)))
        let viaValue = try JSONValueDecoder().decode(Membership.self, from: value)
        let viaText = try ConcordJSON.decoder().decode(Membership.self, from: Data(Self.text.utf8))
        #expect(viaValue == viaText)
        #expect(viaValue.seats[1].population == nil)
        #expect(viaValue.extra == .object(["a": [1, "b"]]))
    }

    /// The error names the field, as `JSONDecoder`'s does (and, for corrupted data, where `JSONDecoder` on Linux
    /// leaves the path empty): the bus turns it into a message naming the field.
    @Test(arguments: [
        (#"{"network": 5}"#, "type network"),
        (#"{"network": "UMCI", "role": "chair"}"#, "corrupted role"),
        (#"{"network": "UMCI", "role": "member", "since": "yesterday"}"#, "corrupted since"),
        (
            #"{"network": "UMCI", "role": "member", "since": "2024-02-27T09:30:00Z", "seats": [{"city": 1}]}"#,
            "type seats.0.city"
        ),
        (
            #"{"network": "UMCI", "role": "member", "since": "2024-02-27T09:30:00Z", "seats": [], "share": "x"}"#,
            "type share"
        ),
        (
            #"{"network": "UMCI", "role": "member", "since": "2024-02-27T09:30:00Z", "seats": [], "share": 1, "count": 256}"#,
            "corrupted count"
        ),
        (
            #"{"network": "UMCI", "role": "member", "since": "2024-02-27T09:30:00Z", "seats": [], "share": 1, "count": 1.5}"#,
            "corrupted count"
        ),
        (#"{"network": null}"#, "null network"),
        (#"{}"#, "missing network"),
    ])
    func failsNamingTheField(text: String, expected: String) throws {
        let value = try #require(JSONValue.parse(Data(text.utf8)))
        let fromValue = #expect(throws: DecodingError.self) {
            try JSONValueDecoder().decode(Membership.self, from: value)
        }
        #expect(Self.summary(fromValue) == expected)
        let fromText = #expect(throws: DecodingError.self) {
            try ConcordJSON.decoder().decode(Membership.self, from: Data(text.utf8))
        }
        let reference = Self.summary(fromText)
        if !reference.hasSuffix(" ") { #expect(reference == expected) }
    }

    static func summary(_ error: DecodingError?) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(_, let context)?: return "type " + path(context.codingPath)
        case .valueNotFound(_, let context)?: return "null " + path(context.codingPath)
        case .keyNotFound(let key, let context)?: return "missing " + path(context.codingPath + [key])
        case .dataCorrupted(let context)?: return "corrupted " + path(context.codingPath)
        default: return "none"
        }
    }
}
