import ConcordKit
import Contracts
import Foundation

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

/// The reading side: a stored document parsed once into a `JSONValue` and its members read by name, about three
/// times faster than `JSONDecoder`; listing the register (an export of 250 000 actors) spent most of its time
/// decoding. A document with a member this does not know, or a value of another type than it expects, is left
/// to `JSONDecoder` (``read(_:)`` returns nil), so a property added to the contract is read the slow way until it
/// is added here, never dropped. `ActorDocumentTests` checks both readers agree.
extension ActorDocument {
    private static let recordKeys: Set<String> = [
        "id", "fields", "region", "region_name", "size_class", "inactive_since", "inactive_reason", "version",
    ]
    private static let fieldKeys: Set<String> = [
        "name", "other_names", "kind", "country", "population", "population_year", "capital", "time_zone",
        "coordinates", "languages", "focal_points",
    ]
    private static let focalPointKeys: Set<String> = ["name", "title", "email", "phone", "language"]

    /// The actor in `bytes` (its JSON document), or nil when only `JSONDecoder` can say.
    static func read(_ bytes: [UInt8]) -> ActorRecord? {
        guard case .object(let record)? = JSONValue.parse(bytes), record.keys.allSatisfy(recordKeys.contains),
            case .object(let fields)? = record["fields"], fields.keys.allSatisfy(fieldKeys.contains),
            let id = string(record["id"]), let region = string(record["region"]),
            let regionName = string(record["region_name"]), let version = integer(record["version"]),
            let name = string(fields["name"]), let kind = string(fields["kind"]).flatMap(ActorKind.init(rawValue:)),
            let country = string(fields["country"])
        else { return nil }
        var actor = ActorFields(name: name, kind: kind, country: country)
        if let value = fields["other_names"] {
            guard case .object(let names) = value else { return nil }
            var otherNames: [String: String] = [:]
            for (language, name) in names {
                guard let name = string(name) else { return nil }
                otherNames[language] = name
            }
            actor.otherNames = otherNames
        }
        guard optional(fields["population"], integer, into: &actor.population),
            optional(fields["population_year"], { integer($0).map(Int.init) }, into: &actor.populationYear),
            optional(fields["capital"], { string($0).flatMap(CapitalStatus.init(rawValue:)) }, into: &actor.capital),
            optional(fields["time_zone"], string, into: &actor.timeZone),
            optional(fields["coordinates"], coordinates, into: &actor.coordinates),
            optional(fields["languages"], strings, into: &actor.languages),
            optional(fields["focal_points"], focalPoints, into: &actor.focalPoints)
        else { return nil }
        var result = ActorRecord(id: id, fields: actor, region: region, regionName: regionName, version: Int(version))
        guard
            optional(record["size_class"], { string($0).flatMap(SizeClass.init(rawValue:)) }, into: &result.sizeClass),
            optional(record["inactive_since"], string, into: &result.inactiveSince),
            optional(record["inactive_reason"], string, into: &result.inactiveReason)
        else { return nil }
        if record["size_class"] == nil { result.sizeClass = nil }
        return result
    }

    /// Reads an optional member: absent or null leaves nil; a value of the wrong type fails the fast path.
    private static func optional<T>(_ value: JSONValue?, _ read: (JSONValue) -> T?, into target: inout T?) -> Bool {
        guard let value, value != .null else {
            target = nil
            return true
        }
        guard let read = read(value) else { return false }
        target = read
        return true
    }

    private static func string(_ value: JSONValue?) -> String? {
        guard case .string(let text)? = value else { return nil }
        return text
    }

    private static func integer(_ value: JSONValue?) -> Int64? {
        guard case .int(let number)? = value else { return nil }
        return number
    }

    private static func double(_ value: JSONValue?) -> Double? {
        switch value {
        case .double(let number)?: number
        case .int(let number)?: Double(number)
        default: nil
        }
    }

    private static func strings(_ value: JSONValue) -> [String]? {
        guard case .array(let items) = value else { return nil }
        var result: [String] = []
        for item in items {
            guard let text = string(item) else { return nil }
            result.append(text)
        }
        return result
    }

    private static func coordinates(_ value: JSONValue) -> Coordinates? {
        guard case .object(let point) = value, point.count == 2, let latitude = double(point["latitude"]),
            let longitude = double(point["longitude"])
        else { return nil }
        return Coordinates(latitude: latitude, longitude: longitude)
    }

    private static func focalPoints(_ value: JSONValue) -> [FocalPoint]? {
        guard case .array(let items) = value else { return nil }
        var result: [FocalPoint] = []
        for item in items {
            guard case .object(let person) = item, person.keys.allSatisfy(focalPointKeys.contains),
                let name = string(person["name"])
            else { return nil }
            var focalPoint = FocalPoint(name: name)
            guard optional(person["title"], string, into: &focalPoint.title),
                optional(person["email"], string, into: &focalPoint.email),
                optional(person["phone"], string, into: &focalPoint.phone),
                optional(person["language"], string, into: &focalPoint.language)
            else { return nil }
            result.append(focalPoint)
        }
        return result
    }
}
