import ConcordKit
import Contracts
import Foundation
import Testing

@testable import Registry

/// The hand-written actor document against what `Codable` writes for the same record.
@Suite struct ActorDocumentTests {
    static func handWritten(_ actor: ActorRecord) throws -> String {
        var out = JSONBytes()
        try ActorDocument.write(actor, into: &out)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    static func encoded(_ actor: ActorRecord) throws -> String {
        String(decoding: try JSONStreamEncoder.encode(actor), as: UTF8.self)
    }

    static let full = ActorRecord(
        id: "01a2061d-107f-7144-940d-fc333e317d73",
        fields: ActorFields(
            name: "Thành phố \"Huế\"\\ \n\t\u{1}", otherNames: ["en": "Hue", "fr": "Hué", "ru": "Хюэ"], kind: .city,
            country: "VN", population: Int64.max, populationYear: 2024, capital: .state, timeZone: "Asia/Ho_Chi_Minh",
            coordinates: Coordinates(latitude: -16.4637, longitude: 107.0), languages: ["vi", "en"],
            focalPoints: [
                FocalPoint(name: "Nguyễn", title: "Director", email: "a@hue.example", phone: "+84 1", language: "vi"),
                FocalPoint(name: "Lê"),
            ]),
        region: "035", regionName: "South-eastern Asia", inactiveSince: "2026-11-30", inactiveReason: "merged \"x\"",
        version: 12)

    /// Every field set, none, and empty collections.
    static let samples = [
        full,
        ActorRecord(
            id: "x", fields: ActorFields(name: "Osh", kind: .localGovernment, country: "KG"), region: "143",
            regionName: "Central Asia", version: 1),
        ActorRecord(
            id: "y",
            fields: ActorFields(
                name: "", otherNames: [:], kind: .academia, country: "KZ", population: 0,
                coordinates:
                    Coordinates(latitude: 0.1, longitude: -180), languages: [], focalPoints: []),
            region: "143", regionName: "", version: 0),
    ]

    @Test(arguments: samples)
    func writesWhatCodableWrites(_ actor: ActorRecord) throws {
        #expect(try Self.handWritten(actor) == Self.encoded(actor))
        let decoded = try ConcordJSON.decoder().decode(ActorRecord.self, from: Data(try Self.handWritten(actor).utf8))
        #expect(decoded == actor)
    }

    @Test(arguments: samples)
    func readsWhatCodableReads(_ actor: ActorRecord) throws {
        let document = try Self.encoded(actor)
        #expect(ActorDocument.read(Array(document.utf8)) == actor)
    }

    /// What the fast reader does not know, it leaves to `JSONDecoder`: nothing is dropped or misread.
    @Test func aDocumentTheFastReaderDoesNotKnowIsLeftToJSONDecoder() throws {
        let document = try Self.encoded(Self.full)
        for changed in [
            document.replacingOccurrences(of: #""region":"035""#, with: #""region":"035","motto":"x""#),
            document.replacingOccurrences(of: #""population_year":2024"#, with: #""population_year":"2024""#),
            document.replacingOccurrences(of: #""kind":"city""#, with: #""kind":"village""#),
            document.replacingOccurrences(of: #""language":"vi""#, with: #""language":"vi","mobile":"1""#),
            "[]", "{",
        ] {
            #expect(changed != document)
            #expect(ActorDocument.read(Array(changed.utf8)) == nil, "\(changed.prefix(80))")
        }
    }

    /// A dictionary has no order of its own: names in other languages are written by language tag, every time.
    @Test func otherNamesComeInTheOrderOfTheirLanguageTags() throws {
        for _ in 0..<5 {
            #expect(try Self.encoded(Self.full).contains(#""other_names":{"en":"Hue","fr":"Hué","ru":"Хюэ"},"kind""#))
        }
    }

    /// A property added to the record must be written here too: this counts them.
    @Test func everyPropertyOfTheRecordIsWritten() {
        let full = Self.full
        #expect(
            Mirror(reflecting: full).children.count == 8,
            "ActorRecord: id, fields, region, region_name, size_class, inactive_since, inactive_reason, version")
        #expect(Mirror(reflecting: full.fields).children.count == 11, "ActorFields")
        #expect(Mirror(reflecting: full.fields.focalPoints![0]).children.count == 5, "FocalPoint")
        #expect(Mirror(reflecting: full.fields.coordinates!).children.count == 2, "Coordinates")
    }

    @Test func theRegisteredEventWrapsTheDocument() throws {
        let row = try ActorRow(Self.full)
        let event = try ConcordJSON.decoder().decode(ActorRegistered.self, from: row.registeredEvent)
        #expect(event.actor == Self.full)
        #expect(row.doc == (try Self.encoded(Self.full)))
    }
}
