import Contracts
import Foundation

/// The facts of the register an assessment needs about a member: its country, region and size class.
struct ActorFacts: Codable, Sendable, Equatable {
    var id: String
    var name: String
    var country: String
    var region: String
    var sizeClass: SizeClass?
    var version: Int

    init(_ record: ActorRecord) {
        id = record.id
        name = record.fields.name
        country = record.fields.country
        region = record.region
        sizeClass = record.sizeClass
        version = record.version
    }
}

/// Screening and scoring of one need against one offer.
///
/// Screening applies the hard rules in a fixed order and reports the first that fails, in words a secretariat
/// can forward. Scoring adds seven documented components, out of 100 points:
///
/// | component | points | value (0...1) |
/// |---|---|---|
/// | sector | 25 | share of the need's sectors the offer covers |
/// | text | 25 | BM25 of each text against the other, averaged, as `s / (s + 5)` |
/// | budget | 15 | share of the need's budget range inside the ticket range (1 without a ticket) |
/// | stage | 10 | how near the need's stage is to the latest stage the offer takes |
/// | urgency | 10 | `1 - days to the deadline / 365`, clamped; 0 without a deadline |
/// | small_cities | 10 | 1 when a member is a small or intermediary city (seed 000, commitment 2) |
/// | regional_balance | 5 | `1 -` the share of the offer's accepted matches already in the lead member's region |
struct Assessor {
    var facts: [String: ActorFacts]
    var rates: ExchangeRates?
    /// `YYYY-MM-DD`, the day of the assessment.
    var today: String
    var text: TextIndex
    /// Declined pairs, with who declined and why.
    var declined: [PairKey: Match]
    /// The regions of each offer's accepted matches' lead members.
    var acceptedRegions: [String: [String]]

    static let weights: [(name: String, points: Double)] = [
        ("sector", 25), ("text", 25), ("budget", 15), ("stage", 10), ("urgency", 10), ("small_cities", 10),
        ("regional_balance", 5),
    ]

    func assess(_ need: Need, _ offer: Offer, explain: Bool) -> PairAssessment {
        if let (rule, reason) = exclusion(need, offer) {
            return PairAssessment(need: need.id, offer: offer.id, eligible: false, rule: rule, reason: reason)
        }
        let values = components(need, offer)
        let score = Self.score(values.map(\.value))
        let parts =
            explain
            ? zip(Self.weights, values).map { weight, value in
                ScoreComponent(
                    name: weight.name, weight: weight.points, value: (value.value * 1000).rounded() / 1000,
                    points: (weight.points * value.value * 1000).rounded() / 1000, why: value.why)
            } : nil
        return PairAssessment(need: need.id, offer: offer.id, eligible: true, score: score, components: parts)
    }

    // MARK: Screening

    /// The first rule the pair fails, and why; nil when it is eligible.
    func exclusion(_ need: Need, _ offer: Offer) -> (String, String)? {
        let fields = offer.fields
        if need.fields.status == .closed { return ("status", "the need \"\(need.fields.title)\" is closed") }
        if fields.status == .closed { return ("status", "the offer \"\(fields.title)\" is closed") }
        if let match = declined[PairKey(need: need.id, offer: offer.id)] {
            let who = match.declinedBy == .provider ? "the provider" : "the member"
            return ("declined", "\(who) declined this match: \(match.reason ?? "no reason given")")
        }
        if let window = fields.window {
            if today < window.opens { return ("window", "the application window opens on \(window.opens)") }
            if let closes = window.closes, today > closes {
                return ("window", "the application window closed on \(closes)")
            }
        }
        if fields.kind == .finance, let capacity = fields.capacity {
            if let projects = capacity.projects, projects - (offer.allocated.projects ?? 0) <= 0 {
                return ("capacity", "the current round has no project places left (\(projects) taken)")
            }
            if let amount = capacity.amount, amount - (offer.allocated.amount ?? 0) <= 0 {
                return ("capacity", "the current round's amount is fully allocated")
            }
        }
        for actor in need.fields.actors {
            guard let facts = facts[actor] else { return ("member", "the member \(actor) is not in the register") }
            if !fields.countries.isEmpty, !fields.countries.contains(facts.country) {
                return (
                    "country",
                    "\(facts.name) is in \(facts.country), and the offer is open to \(fields.countries.joined(separator: ", ")) only"
                )
            }
            if !fields.regions.isEmpty, !fields.regions.contains(facts.region) {
                return (
                    "region",
                    "\(facts.name) is in region \(facts.region), and the offer serves \(fields.regions.joined(separator: ", ")) only"
                )
            }
            if !fields.sizeClasses.isEmpty {
                guard let size = facts.sizeClass, fields.sizeClasses.contains(size) else {
                    let size = facts.sizeClass?.rawValue ?? "of unknown size"
                    return (
                        "size_class",
                        "\(facts.name) is \(size), and the offer is for \(fields.sizeClasses.map(\.rawValue).joined(separator: ", ")) cities only"
                    )
                }
            }
        }
        if !need.fields.sectors.contains(where: fields.sectors.contains) {
            return (
                "sector",
                "the need's sectors (\(need.fields.sectors.joined(separator: ", "))) are not among the offer's (\(fields.sectors.joined(separator: ", ")))"
            )
        }
        if !fields.stages.isEmpty, !fields.stages.contains(need.fields.stage) {
            return (
                "stage",
                "the project is at the \(need.fields.stage.rawValue) stage, and the offer takes \(fields.stages.map(\.rawValue).joined(separator: ", ")) only"
            )
        }
        if fields.kind == .finance, let ticket = fields.ticket {
            guard let budget = convert(need.fields.budget, to: ticket.currency) else {
                return (
                    "currency",
                    "no exchange rate from \(need.fields.budget.currency) to \(ticket.currency); set one with matching.rates.set"
                )
            }
            if budget.max < Double(ticket.min) {
                return (
                    "ticket",
                    "the budget of at most \(Self.amount(budget.max, ticket.currency)) is below the smallest ticket of \(Self.amount(Double(ticket.min), ticket.currency))"
                )
            }
            if budget.min > Double(ticket.max) {
                return (
                    "ticket",
                    "the budget of at least \(Self.amount(budget.min, ticket.currency)) is above the largest ticket of \(Self.amount(Double(ticket.max), ticket.currency))"
                )
            }
            if let amount = fields.capacity?.amount {
                let left = Double(amount - (offer.allocated.amount ?? 0))
                let least = max(budget.min, Double(ticket.min))
                if left < least {
                    return (
                        "capacity",
                        "the current round has \(Self.amount(left, ticket.currency)) left, less than the \(Self.amount(least, ticket.currency)) this need asks at least"
                    )
                }
            }
        }
        return nil
    }

    /// The range in `currency`, through the operator's rates; nil when a rate is missing (never converted silently).
    func convert(_ range: AmountRange, to currency: String) -> (min: Double, max: Double)? {
        if range.currency == currency { return (Double(range.min), Double(range.max)) }
        guard let rates, let factor = Self.factor(from: range.currency, to: currency, rates: rates) else { return nil }
        return (Double(range.min) * factor, Double(range.max) * factor)
    }

    static func factor(from source: String, to target: String, rates: ExchangeRates) -> Double? {
        let perBase = { (code: String) -> Double? in code == rates.base ? 1 : rates.rates[code] }
        guard let from = perBase(source), let to = perBase(target), from > 0 else { return nil }
        return to / from
    }

    static func amount(_ value: Double, _ currency: String) -> String {
        "\(Int64(value.rounded())) \(currency)"
    }

    // MARK: Scoring

    /// The total of the components' values, weighted, to a thousandth of a point.
    static func score(_ values: [Double]) -> Double {
        score(values[0], values[1], values[2], values[3], values[4], values[5], values[6])
    }

    /// The same total from the seven values in the order of ``weights``, without an array: the bulk scorer's.
    @inline(__always)
    static func score(
        _ sector: Double, _ text: Double, _ budget: Double, _ stage: Double, _ urgency: Double, _ small: Double,
        _ balance: Double
    ) -> Double {
        var total = 25 * sector
        total += 25 * text
        total += 15 * budget
        total += 10 * stage
        total += 10 * urgency
        total += 10 * small
        total += 5 * balance
        return (total * 1000).rounded() / 1000
    }

    static func sectorMask(_ codes: [String]) -> UInt64 {
        var mask: UInt64 = 0
        for code in codes {
            if let index = MatchingVocabulary.sectors.firstIndex(where: { $0.code == code }) { mask |= 1 << index }
        }
        return mask
    }

    static func budgetValue(_ budget: (min: Double, max: Double), ticket: AmountRange) -> Double {
        let low = max(budget.min, Double(ticket.min))
        let high = min(budget.max, Double(ticket.max))
        return budget.max > budget.min ? max(0, high - low) / (budget.max - budget.min) : (low <= high ? 1 : 0)
    }

    static func stageValue(latest: Int, stage: Int) -> Double { 1 - Double(abs(latest - stage)) / 4 }

    static func urgencyValue(days: Int) -> Double { min(1, max(0, 1 - Double(days) / 365)) }

    static func textValue(_ relevance: Double) -> Double { relevance / (relevance + 5) }

    func components(_ need: Need, _ offer: Offer) -> [(value: Double, why: String)] {
        let fields = offer.fields
        let needMask = Self.sectorMask(need.fields.sectors)
        let sharedMask = needMask & Self.sectorMask(fields.sectors)
        let shared = MatchingVocabulary.sectors.indices.filter { sharedMask & (1 << $0) != 0 }.map {
            MatchingVocabulary.sectors[$0].code
        }
        let sector = Double(sharedMask.nonzeroBitCount) / Double(max(1, needMask.nonzeroBitCount))

        let relevance = TextIndex.relevance(text.documents["n:" + need.id], text.documents["o:" + offer.id])
        let textValue = Self.textValue(relevance)

        var budgetValue = 1.0
        var budgetWhy = "no ticket range"
        if let ticket = fields.ticket, let budget = convert(need.fields.budget, to: ticket.currency) {
            budgetValue = Self.budgetValue(budget, ticket: ticket)
            budgetWhy = "\(Int((budgetValue * 100).rounded()))% of the budget range is within the ticket range"
        }

        let latest = fields.stages.max() ?? .readyToFinance
        let stageValue = Self.stageValue(latest: latest.rank, stage: need.fields.stage.rank)

        var urgency = 0.0
        var urgencyWhy = "no deadline"
        if let deadline = need.fields.deadline, let days = Self.days(from: today, to: deadline) {
            urgency = Self.urgencyValue(days: days)
            urgencyWhy = days >= 0 ? "deadline in \(days) days" : "deadline passed \(-days) days ago"
        }

        let small = need.fields.actors.compactMap { facts[$0] }.filter {
            $0.sizeClass == .small || $0.sizeClass == .intermediary
        }
        let region = need.fields.actors.first.flatMap { facts[$0]?.region }
        let accepted = acceptedRegions[offer.id] ?? []
        let sameRegion = accepted.filter { $0 == region }.count
        let balance = accepted.isEmpty ? 1 : 1 - Double(sameRegion) / Double(accepted.count)

        return [
            (
                sector,
                "\(shared.count) of the need's \(need.fields.sectors.count) sectors (\(shared.joined(separator: ", ")))"
            ),
            (textValue, "BM25 \((relevance * 100).rounded() / 100) between the two descriptions"),
            (budgetValue, budgetWhy),
            (stageValue, "the project is at \(need.fields.stage.rawValue); the offer takes up to \(latest.rawValue)"),
            (urgency, urgencyWhy),
            (
                small.isEmpty ? 0 : 1,
                small.isEmpty
                    ? "no small or intermediary city among the members"
                    : "\(small.map(\.name).joined(separator: ", ")) is a small or intermediary city"
            ),
            (balance, "\(sameRegion) of the offer's \(accepted.count) accepted matches are in the same region"),
        ]
    }

    static func text(of need: Need) -> String { need.fields.title + " " + need.fields.description }

    static func text(of offer: Offer) -> String {
        ([offer.fields.title, offer.fields.description] + offer.fields.solutions).joined(separator: " ")
    }

    /// Whole days from one `YYYY-MM-DD` to another.
    static func days(from start: String, to end: String) -> Int? {
        guard let a = CalendarTime(start), let b = CalendarTime(end), a.form == .date, b.form == .date else {
            return nil
        }
        return b.daysSinceEpoch - a.daysSinceEpoch
    }
}

struct PairKey: Hashable, Sendable {
    var need: String
    var offer: String
}
