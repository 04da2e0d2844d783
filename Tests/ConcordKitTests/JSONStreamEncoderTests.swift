import ConcordKit
import Foundation
import Testing

/// The streaming encoder must write what `JSONEncoder` writes, value for value.
@Suite struct JSONStreamEncoderTests {
    struct Empty: Codable, Equatable {}

    enum Kind: String, Codable { case city, localGovernment = "local_government" }

    struct Point: Codable, Equatable {
        var latitude: Double
        var longitude: Double
    }

    struct Record: Codable, Equatable {
        var name: String
        var kind: Kind
        var population: Int64?
        var ratio: Double
        var flags: [Bool]
        var points: [Point]
        var nested: [[Int]]
        var empty: Empty
        var emptyList: [String]
        var names: [String: String]
        var optionals: [Int?]
        var when: Date
        var missing: String?
        var last: Point?

        enum CodingKeys: String, CodingKey {
            case name, kind, population, ratio, flags, points, nested, empty, names, optionals, when, missing, last
            case emptyList = "empty_list"
        }
    }

    static let record = Record(
        name: "Huế \"old\" capital\\ / \n\t\u{1} ✓", kind: .localGovernment, population: 652_572, ratio: 0.1,
        flags: [true, false],
        points: [Point(latitude: 16.46, longitude: 107.59), Point(latitude: 20, longitude: -3.5e-7)],
        nested: [[1, 2], [], [Int.max, Int.min]], empty: Empty(), emptyList: [], names: ["ru": "Хюэ", "vi": "Huế"],
        optionals: [1, nil, 3], when: Date(timeIntervalSince1970: 1_795_341_600), missing: nil,
        last: Point(latitude: 1e20, longitude: 0))

    func parsed(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
    }

    @Test func writesTheSameValuesAsJSONEncoder() throws {
        let streamed = try JSONStreamEncoder.encode(Self.record)
        let foundation = try ConcordJSON.encoder().encode(Self.record)
        #expect(try parsed(streamed) == parsed(foundation), "\(String(decoding: streamed, as: UTF8.self))")
        #expect(try ConcordJSON.decoder().decode(Record.self, from: streamed) == Self.record)
    }

    /// Keys come in declaration order (JSONEncoder on Linux orders them as a dictionary does).
    @Test func writesKeysInDeclarationOrderWithJSONEncodersEscapes() throws {
        struct Plain: Codable {
            var id: String
            var tags: [String]
            var inner: [String: [Int]]?
            var point: Point
            var kind: Kind
        }
        let value = Plain(
            id: "a/b", tags: ["x", "y\u{7}"], inner: nil, point: Point(latitude: 20, longitude: -4), kind: .city)
        let streamed = try JSONStreamEncoder.encode(value)
        #expect(
            String(decoding: streamed, as: UTF8.self)
                == #"{"id":"a/b","tags":["x","y\u0007"],"point":{"latitude":20,"longitude":-4},"kind":"city"}"#)
        #expect(try parsed(streamed) == parsed(ConcordJSON.encoder().encode(value)))
    }

    @Test func encodesTopLevelScalarsAndCollections() throws {
        #expect(String(decoding: try JSONStreamEncoder.encode("a\"b"), as: UTF8.self) == #""a\"b""#)
        #expect(String(decoding: try JSONStreamEncoder.encode([1, 2]), as: UTF8.self) == "[1,2]")
        #expect(String(decoding: try JSONStreamEncoder.encode(Empty()), as: UTF8.self) == "{}")
        #expect(String(decoding: try JSONStreamEncoder.encode([[Empty()]]), as: UTF8.self) == "[[{}]]")
        #expect(throws: EncodingError.self) { try JSONStreamEncoder.encode([Double.nan]) }
    }

    /// Integers are written digit by digit; every width and both ends of each range must read as `String(_:)`.
    @Test func writesIntegersOfEveryWidthAsTheirDecimalText() throws {
        struct Integers: Encodable {
            var int: [Int] = [0, 7, -1, 10, -10, 99, 100, 1_000_000, Int.max, Int.min]
            var int8: [Int8] = [.min, -1, 0, .max]
            var uint8: [UInt8] = [0, 9, .max]
            var int32: [Int32] = [.min, .max]
            var uint64: [UInt64] = [0, 10, 18_446_744_073_709_551_615]
            var doubles: [Double] = [-3, 0, 1_000, -999_999_999_999_999]
        }
        let text = String(decoding: try JSONStreamEncoder.encode(Integers()), as: UTF8.self)
        let value = Integers()
        func list(_ items: [some CustomStringConvertible]) -> String {
            "[" + items.map(\.description).joined(separator: ",") + "]"
        }
        let expected =
            #"{"int":\#(list(value.int)),"int8":\#(list(value.int8)),"uint8":\#(list(value.uint8)),"#
            + #""int32":\#(list(value.int32)),"uint64":\#(list(value.uint64)),"#
            + #""doubles":[-3,0,1000,-999999999999999]}"#
        #expect(text == expected)
    }

    @Test func encodesJSONValuesAsTheyAre() throws {
        let value: JSONValue = .object(["a": .array([.int(1), .null, .string("x"), .bool(true)]), "b": .object([:])])
        #expect(try parsed(JSONStreamEncoder.encode(value)) == value)
    }
}
