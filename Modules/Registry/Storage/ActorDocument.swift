import ConcordKit
import Contracts

/// An actor's JSON document, written by hand: byte for byte what ``JSONStreamEncoder`` writes from `ActorRecord`'s
/// `Codable` conformance (the keys in the order of the types' `CodingKeys`, absent optionals left out), without
/// its generic calls.
///
/// A bulk import encodes hundreds of thousands of these while it holds the writer; through `Encodable` that was a
/// fifth of the import's CPU. `ActorDocumentTests` checks the two agree for records with every field set and
/// none, and fails when a type of the record gains a property this does not write.
enum ActorDocument {
    static func write(_ actor: ActorRecord, into out: inout JSONBytes) throws {
        out.raw("{\"id\":")
        out.string(actor.id)
        out.raw(",\"fields\":")
        try write(actor.fields, into: &out)
        out.raw(",\"region\":")
        out.string(actor.region)
        out.raw(",\"version\":")
        out.integer(actor.version)
        out.raw(",\"region_name\":")
        out.string(actor.regionName)
        if let sizeClass = actor.sizeClass {
            out.raw(",\"size_class\":")
            out.string(sizeClass.rawValue)
        }
        out.raw("}")
    }

    private static func write(_ fields: ActorFields, into out: inout JSONBytes) throws {
        out.raw("{\"name\":")
        out.string(fields.name)
        out.raw(",\"kind\":")
        out.string(fields.kind.rawValue)
        out.raw(",\"country\":")
        out.string(fields.country)
        if let population = fields.population {
            out.raw(",\"population\":")
            out.integer(population)
        }
        if let capital = fields.capital {
            out.raw(",\"capital\":")
            out.string(capital.rawValue)
        }
        if let coordinates = fields.coordinates {
            out.raw(",\"coordinates\":{\"latitude\":")
            try out.double(coordinates.latitude)
            out.raw(",\"longitude\":")
            try out.double(coordinates.longitude)
            out.raw("}")
        }
        if let languages = fields.languages {
            out.raw(",\"languages\":[")
            for (index, language) in languages.enumerated() {
                if index > 0 { out.raw(",") }
                out.string(language)
            }
            out.raw("]")
        }
        if let otherNames = fields.otherNames {
            out.raw(",\"other_names\":{")
            var first = true
            for (language, name) in otherNames {
                if !first { out.raw(",") }
                first = false
                out.string(language)
                out.raw(":")
                out.string(name)
            }
            out.raw("}")
        }
        if let year = fields.populationYear {
            out.raw(",\"population_year\":")
            out.integer(year)
        }
        if let timeZone = fields.timeZone {
            out.raw(",\"time_zone\":")
            out.string(timeZone)
        }
        if let focalPoints = fields.focalPoints {
            out.raw(",\"focal_points\":[")
            for (index, point) in focalPoints.enumerated() {
                if index > 0 { out.raw(",") }
                write(point, into: &out)
            }
            out.raw("]")
        }
        out.raw("}")
    }

    private static func write(_ point: FocalPoint, into out: inout JSONBytes) {
        out.raw("{\"name\":")
        out.string(point.name)
        if let title = point.title {
            out.raw(",\"title\":")
            out.string(title)
        }
        if let email = point.email {
            out.raw(",\"email\":")
            out.string(email)
        }
        if let phone = point.phone {
            out.raw(",\"phone\":")
            out.string(phone)
        }
        if let language = point.language {
            out.raw(",\"language\":")
            out.string(language)
        }
        out.raw("}")
    }
}
