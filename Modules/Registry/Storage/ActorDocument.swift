import ConcordKit
import Contracts

/// An actor's JSON document, written by hand: byte for byte what ``JSONStreamEncoder`` writes from `ActorRecord`'s
/// `Codable` conformance (the keys in the order the types declare them, `other_names` by language tag, absent optionals left out), without
/// its generic calls.
///
/// A bulk import encodes hundreds of thousands of these while it holds the writer; through `Encodable` that was a
/// fifth of the import's CPU. `ActorDocumentTests` checks the two agree for records with every field set and
/// none, and fails when a type of the record gains a property this does not write.
enum ActorDocument {
    static func write(_ actor: ActorRecord, into out: inout JSONBytes) throws {
        out.field("{\"id\":", actor.id)
        out.raw(",\"fields\":")
        try write(actor.fields, into: &out)
        out.field(",\"region\":", actor.region)
        out.field(",\"region_name\":", actor.regionName)
        out.field(",\"size_class\":", actor.sizeClass?.rawValue)
        out.field(",\"inactive_since\":", actor.inactiveSince)
        out.field(",\"inactive_reason\":", actor.inactiveReason)
        out.field(",\"version\":", actor.version)
        out.raw("}")
    }

    private static func write(_ fields: ActorFields, into out: inout JSONBytes) throws {
        out.field("{\"name\":", fields.name)
        if let otherNames = fields.otherNames {
            out.raw(",\"other_names\":{")
            for (index, language) in otherNames.keys.sorted().enumerated() {
                if index > 0 { out.raw(",") }
                out.string(language)
                out.raw(":")
                out.string(otherNames[language] ?? "")
            }
            out.raw("}")
        }
        out.field(",\"kind\":", fields.kind.rawValue)
        out.field(",\"country\":", fields.country)
        out.field(",\"population\":", fields.population)
        out.field(",\"population_year\":", fields.populationYear)
        out.field(",\"capital\":", fields.capital?.rawValue)
        out.field(",\"time_zone\":", fields.timeZone)
        if let coordinates = fields.coordinates {
            out.raw(",\"coordinates\":{\"latitude\":")
            try out.double(coordinates.latitude)
            out.raw(",\"longitude\":")
            try out.double(coordinates.longitude)
            out.raw("}")
        }
        if let languages = fields.languages {
            out.raw(",\"languages\":")
            out.array(languages) { out, language in out.string(language) }
        }
        if let focalPoints = fields.focalPoints {
            out.raw(",\"focal_points\":")
            out.array(focalPoints) { out, point in
                out.field("{\"name\":", point.name)
                out.field(",\"title\":", point.title)
                out.field(",\"email\":", point.email)
                out.field(",\"phone\":", point.phone)
                out.field(",\"language\":", point.language)
                out.raw("}")
            }
        }
        out.raw("}")
    }
}

extension JSONBytes {
    /// `key` (with the punctuation before it) and the string, or nothing when there is none.
    fileprivate mutating func field(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        raw(key)
        string(value)
    }

    /// `key` (with the punctuation before it) and the integer, or nothing when there is none.
    fileprivate mutating func field(_ key: StaticString, _ value: (some BinaryInteger)?) {
        guard let value else { return }
        raw(key)
        integer(value)
    }

    /// A JSON array of `elements`, each written by `element`.
    fileprivate mutating func array<Element>(
        _ elements: [Element], _ element: (inout JSONBytes, Element) -> Void
    ) {
        raw("[")
        for (index, item) in elements.enumerated() {
            if index > 0 { raw(",") }
            element(&self, item)
        }
        raw("]")
    }
}
