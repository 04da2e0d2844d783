import ConcordKit
import Foundation
import Testing

@Suite struct JSONSchemaTests {
    enum Kind: String, Codable, CaseIterable { case city, partner }

    struct Inner: Codable { var lat: Double }

    struct Sample: Codable {
        var name: String
        var population: Int?
        var kind: Kind
        var tags: [String]
        var location: Inner
        var founded: Date
        var extra: [String: Int]

        enum CodingKeys: String, CodingKey {
            case name, population, kind, tags, location, founded
            case extra = "extra_counts"
        }
    }

    @Test func describesPropertiesTypesAndRequiredFields() throws {
        let schema = JSONSchema.of(Sample.self)
        #expect(schema["type"] == "object")
        #expect(schema["additionalProperties"] == false)
        let properties = try #require(schema["properties"])
        #expect(properties["name"] == .object(["type": "string"]))
        #expect(properties["kind"] == .object(["enum": ["city", "partner"]]))
        #expect(properties["tags"] == .object(["type": "array", "items": .object(["type": "string"])]))
        #expect(properties["location"]?["properties"]?["lat"] == .object(["type": "number"]))
        #expect(properties["founded"] == .object(["type": "string", "format": "date-time"]))
        #expect(properties["extra_counts"]?["additionalProperties"] == .object(["type": "integer"]))
        #expect(properties["population"] == .object(["type": "integer"]))
        guard case .array(let required) = schema["required"] else {
            Issue.record("no required list in \(schema)")
            return
        }
        #expect(Set(required) == ["name", "kind", "tags", "location", "founded", "extra_counts"])
    }

    @Test func emptyMessageHasNoProperties() {
        struct Empty: Codable {}
        #expect(JSONSchema.of(Empty.self)["properties"] == .object([:]))
    }
}
