import ConcordKit
import Contracts
import Foundation

/// Checks what clients send, with errors that name the field and the expected form.
enum Validation {
    /// UN M49 sub-regions that make up Asia-Pacific for the networks: Eastern, South-eastern, Southern and
    /// Central Asia, and Oceania's four sub-regions.
    static let asiaPacific: Set<String> = ["030", "035", "034", "143", "053", "054", "057", "061"]

    static func name(_ value: String, field: String) throws -> String {
        // Spaced text is ASCII, where bytes are characters: no need to count graphemes.
        let spaced = isSpaced(value)
        let trimmed = spaced ? value : value.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let count = spaced ? trimmed.utf8.count : trimmed.count
        guard (1...200).contains(count) else {
            throw ConcordError.badRequest("\(field): expected 1 to 200 characters, got \(count)")
        }
        return trimmed
    }

    /// Free text such as a title, an article or a note: trimmed, not empty, at most `limit` characters.
    static func text(_ value: String, field: String, limit: Int = 500) throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...limit).contains(trimmed.count) else {
            throw ConcordError.badRequest("\(field): expected 1 to \(limit) characters, got \(trimmed.count)")
        }
        return trimmed
    }

    static func focalPoint(_ point: FocalPoint, field: String) throws {
        _ = try name(point.name, field: "\(field).name")
        if let email = point.email, !isEmail(email) {
            throw ConcordError.badRequest(
                "\(field).email: expected an address such as \"name@city.gov\", got \"\(email)\"")
        }
    }

    /// A key such as `1.2` or `early_warning`: letters, digits, `.`, `_` and `-`, 1 to 64 characters.
    static func key(_ value: String, field: String) throws -> String {
        guard (1...64).contains(value.count),
            value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        else {
            throw ConcordError.badRequest(
                "\(field): expected 1 to 64 letters, digits, \".\", \"_\" or \"-\" such as \"1.2\", got \"\(value)\"")
        }
        return value
    }

    /// A country's UN M49 sub-region code and English name, or `bad_request` naming the field.
    static func country(_ code: String, field: String) throws -> (region: String, regionName: String) {
        let region = Locale.Region(code)
        guard code.count == 2, code.allSatisfy({ $0.isASCII && $0.isUppercase }), code != "ZZ", region.isISORegion,
            let containing = region.containingRegion
        else {
            throw ConcordError.badRequest(
                "\(field): expected an ISO 3166-1 alpha-2 country code in capitals such as \"VN\", got \"\(code)\"")
        }
        let name =
            Locale(identifier: "en").localizedString(forRegionCode: containing.identifier) ?? containing.identifier
        return (containing.identifier, name)
    }

    /// The M49 sub-regions within a region filter: a sub-region itself, a region's sub-regions, or
    /// `asia_pacific`.
    static func regions(_ code: String, field: String) throws -> Set<String> {
        if code == "asia_pacific" { return asiaPacific }
        let children =
            code.count == 3 && code.allSatisfy(\.isNumber) ? Locale.Region(code).subRegions.map(\.identifier) : []
        guard !children.isEmpty else {
            throw ConcordError.badRequest(
                "\(field): expected a UN M49 region code such as \"035\" (South-eastern Asia) or \"142\" (Asia), "
                    + "or \"asia_pacific\", got \"\(code)\"")
        }
        // A region lists sub-regions (numeric codes); a sub-region lists countries.
        return children.allSatisfy { $0.allSatisfy(\.isNumber) } ? Set(children) : [code]
    }

    static func date(_ value: String?, field: String) throws -> String? {
        guard let value else { return nil }
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            DateComponents(calendar: Calendar(identifier: .gregorian), year: year, month: month, day: day).isValidDate
        {
            return value
        }
        throw ConcordError.badRequest(
            "\(field): expected a date as YYYY-MM-DD such as \"2025-10-16\", got \"\(value)\"")
    }

    /// Checks an actor's fields; `field` prefixes the names in errors (`actor` gives `actor.country`).
    static func actor(_ fields: ActorFields, field: String = "actor", cache: Cache? = nil) throws -> ActorFields {
        let prefix = field.isEmpty ? "" : field + "."
        var fields = fields
        fields.name = try name(fields.name, field: "\(prefix)name")
        if let other = fields.otherNames {
            for (language, text) in other {
                _ = try name(text, field: "\(prefix)other_names.\(language)")
            }
        }
        if let population = fields.population, population < 0 {
            throw ConcordError.badRequest("\(prefix)population: expected a non-negative integer, got \(population)")
        }
        if let year = fields.populationYear, !(1800...2100).contains(year) {
            throw ConcordError.badRequest("\(prefix)population_year: expected a year from 1800 to 2100, got \(year)")
        }
        if let zone = fields.timeZone, !(cache?.isTimeZone(zone) ?? (TimeZone(identifier: zone) != nil)) {
            throw ConcordError.badRequest(
                "\(prefix)time_zone: expected an IANA time zone such as \"Asia/Ho_Chi_Minh\", got \"\(zone)\"")
        }
        if let point = fields.coordinates {
            guard (-90...90).contains(point.latitude), (-180...180).contains(point.longitude) else {
                throw ConcordError.badRequest(
                    "\(prefix)coordinates: expected latitude -90 to 90 and longitude -180 to 180, "
                        + "got \(point.latitude), \(point.longitude)")
            }
        }
        for (index, point) in (fields.focalPoints ?? []).enumerated() {
            try focalPoint(point, field: "\(prefix)focal_points[\(index)]")
        }
        return fields
    }

    /// Remembers countries and time zones already checked, for imports that check the same ones many times.
    final class Cache {
        private var countries: [String: (region: String, regionName: String)] = [:]
        private var zones: [String: Bool] = [:]

        func country(_ code: String, field: String) throws -> (region: String, regionName: String) {
            if let known = countries[code] { return known }
            let result = try Validation.country(code, field: field)
            countries[code] = result
            return result
        }

        func isTimeZone(_ identifier: String) -> Bool {
            if let known = zones[identifier] { return known }
            let valid = TimeZone(identifier: identifier) != nil
            zones[identifier] = valid
            return valid
        }
    }

    /// One `@` after a non-empty local part, a `.` in the domain, and no white space.
    private static func isEmail(_ text: String) -> Bool {
        var ats = 0
        var localLength = 0
        var domainHasDot = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "@"): ats += 1
            case UInt8(ascii: "."): if ats == 1 { domainHasDot = true }
            case 0x09...0x0D, 0x20: return false
            case 0x80...: return !text.contains(where: \.isWhitespace) && isEmailShape(text)
            default: if ats == 0 { localLength += 1 }
            }
        }
        return ats == 1 && localLength > 0 && domainHasDot
    }

    /// The same rules for text beyond ASCII, where white space may be any Unicode space.
    private static func isEmailShape(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
    }

    /// The key duplicates are found by: the name in lower case with single spaces.
    static func nameKey(_ name: String) -> String {
        isSpaced(name)
            ? name.lowercased() : name.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Whether `text` is printable ASCII with single spaces between words only: nothing to normalise (the
    /// common case, checked without the cost of Unicode character properties).
    private static func isSpaced(_ text: String) -> Bool {
        var previous: UInt8 = 0x20
        for byte in text.utf8 {
            guard byte > 0x20 && byte < 0x7F || (byte == 0x20 && previous != 0x20) else { return false }
            previous = byte
        }
        return previous != 0x20
    }
}
