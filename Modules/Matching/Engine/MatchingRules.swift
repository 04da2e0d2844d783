import ConcordKit
import Contracts
import Foundation

/// The checks on what callers send, each naming the field and the form expected.
enum MatchingRules {
    static let sectors = Set(MatchingVocabulary.sectors.map(\.code))
    static let instruments = Set(MatchingVocabulary.instruments.map(\.code))
    static let currencies = Set(Locale.Currency.isoCurrencies.map(\.identifier))

    static func bad(_ field: String, _ message: String) -> ConcordError {
        .badRequest("\(field): \(message)", details: ["field": .string(field)])
    }

    /// The id given, or a new one; an id is 1 to 64 letters, digits, `-`, `_` or `.`.
    static func identifier(_ id: String?, field: String, prefix: String) throws -> String {
        guard let id else { return "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        guard (1...64).contains(id.count), id.unicodeScalars.allSatisfy(allowed.contains) else {
            throw bad(field, "expected 1 to 64 letters, digits, '-', '_' or '.', got \"\(id)\"")
        }
        return id
    }

    static func validate(_ fields: NeedFields) throws {
        guard !fields.actors.isEmpty else { throw bad("fields.actors", "expected at least one member actor") }
        guard !fields.title.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw bad("fields.title", "expected a title")
        }
        try validate(sectors: fields.sectors, field: "fields.sectors")
        for (index, target) in fields.sdgTargets.enumerated() where !MatchingVocabulary.isSDGTarget(target) {
            throw bad("fields.sdg_targets[\(index)]", "expected an SDG target such as 11.5 or 6.a, got \"\(target)\"")
        }
        try validate(fields.budget, field: "fields.budget")
        if let cofinancing = fields.cofinancing, cofinancing < 0 {
            throw bad("fields.cofinancing", "expected 0 or more, got \(cofinancing)")
        }
        if let deadline = fields.deadline { try validate(date: deadline, field: "fields.deadline") }
    }

    static func validate(_ fields: OfferFields) throws {
        guard !fields.title.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw bad("fields.title", "expected a title")
        }
        try validate(sectors: fields.sectors, field: "fields.sectors")
        if let instrument = fields.instrument, !instruments.contains(instrument) {
            throw bad(
                "fields.instrument",
                "expected an IATI finance type code (\(MatchingVocabulary.instruments.map(\.code).joined(separator: ", "))), got \"\(instrument)\""
            )
        }
        if fields.kind == .finance, fields.instrument == nil {
            throw bad("fields.instrument", "a finance offer needs an instrument (matching.vocabulary lists them)")
        }
        if let ticket = fields.ticket { try validate(ticket, field: "fields.ticket") }
        for (index, country) in fields.countries.enumerated()
        where country.count != 2 || !country.allSatisfy({ $0.isASCII && $0.isUppercase }) {
            throw bad(
                "fields.countries[\(index)]", "expected an ISO 3166-1 alpha-2 code such as VN, got \"\(country)\"")
        }
        for (index, region) in fields.regions.enumerated()
        where region.count != 3 || !region.allSatisfy({ $0.isASCII && $0.isNumber }) {
            throw bad(
                "fields.regions[\(index)]", "expected a 3-digit UN M49 region code such as 035, got \"\(region)\"")
        }
        if let window = fields.window {
            try validate(date: window.opens, field: "fields.window.opens")
            if let closes = window.closes {
                try validate(date: closes, field: "fields.window.closes")
                guard closes >= window.opens else {
                    throw bad("fields.window.closes", "expected on or after opens (\(window.opens)), got \(closes)")
                }
            }
        }
        if let capacity = fields.capacity { try validate(capacity, field: "fields.capacity") }
        if let maturity = fields.maturity, !(1...9).contains(maturity) {
            throw bad("fields.maturity", "expected a technology readiness level 1..9, got \(maturity)")
        }
    }

    static func validate(_ capacity: Capacity, field: String) throws {
        if let projects = capacity.projects, projects < 0 {
            throw bad("\(field).projects", "expected 0 or more, got \(projects)")
        }
        if let amount = capacity.amount, amount < 0 {
            throw bad("\(field).amount", "expected 0 or more, got \(amount)")
        }
    }

    /// A capacity may not fall below what accepted matches already use.
    static func check(_ capacity: Capacity?, allocated: Capacity, field: String) throws {
        if let projects = capacity?.projects, let used = allocated.projects, projects < used {
            throw bad("\(field).projects", "expected at least \(used), the projects already allocated, got \(projects)")
        }
        if let amount = capacity?.amount, let used = allocated.amount, amount < used {
            throw bad("\(field).amount", "expected at least \(used), the amount already allocated, got \(amount)")
        }
    }

    static func validate(_ rates: ExchangeRates) throws {
        try validate(date: rates.date, field: "rates.date")
        try validate(currency: rates.base, field: "rates.base")
        for (code, rate) in rates.rates.sorted(by: { $0.key < $1.key }) {
            try validate(currency: code, field: "rates.rates.\(code)")
            guard rate.isFinite, rate > 0 else {
                throw bad("rates.rates.\(code)", "expected a positive number of \(code) per \(rates.base), got \(rate)")
            }
        }
    }

    static func validate(sectors: [String], field: String) throws {
        guard !sectors.isEmpty else {
            throw bad(field, "expected at least one OECD DAC CRS sector code such as 140 (matching.vocabulary)")
        }
        for (index, sector) in sectors.enumerated() where !self.sectors.contains(sector) {
            throw bad(
                "\(field)[\(index)]",
                "expected an OECD DAC CRS 3-digit sector code such as 140 or 410 (matching.vocabulary), got \"\(sector)\""
            )
        }
    }

    static func validate(_ range: AmountRange, field: String) throws {
        try validate(currency: range.currency, field: "\(field).currency")
        guard range.min >= 0 else { throw bad("\(field).min", "expected 0 or more, got \(range.min)") }
        guard range.min <= range.max else {
            throw bad("\(field).max", "expected at least min (\(range.min)), got \(range.max)")
        }
    }

    static func validate(currency: String, field: String) throws {
        guard currencies.contains(currency) else {
            throw bad(field, "expected an ISO 4217 currency code such as USD or VND, got \"\(currency)\"")
        }
    }

    static func validate(date: String, field: String) throws {
        guard let time = CalendarTime(date), time.form == .date else {
            throw bad(field, "expected a date YYYY-MM-DD, got \"\(date)\"")
        }
    }
}
