import Contracts

/// A need as the bulk scorer reads it: numbers and bit masks instead of strings, so that screening a pair is a
/// few comparisons. Made from the need, its members' facts and the rates; the day enters only when scoring.
/// A class, so a pass over thousands of them moves one reference each, not a dozen.
final class CompiledNeed: Sendable {
    struct Member: Sendable {
        var known: Bool
        /// The country and region as bit numbers (see ``Bits``), and the size class as a bit.
        var country: Int
        var region: Int
        var size: UInt8
    }

    let id: String
    let closed: Bool
    let members: [Member]
    let sectors: UInt64
    let stage: Int
    let budget: AmountRange
    let deadline: Int?
    let small: Bool
    let leadRegion: String?
    let document: TextIndex.Document?

    init(_ need: Need, state: MatchingState) {
        id = need.id
        closed = need.fields.status == .closed
        members = need.fields.actors.map { actor in
            guard let facts = state.facts[actor] else { return Member(known: false, country: 0, region: 0, size: 0) }
            return Member(
                known: true, country: Bits.country(facts.country), region: Bits.region(facts.region),
                size: facts.sizeClass.map(Bits.size) ?? 0)
        }
        sectors = Assessor.sectorMask(need.fields.sectors)
        stage = need.fields.stage.rank
        budget = need.fields.budget
        deadline = need.fields.deadline.flatMap(CalendarTime.init).map(\.daysSinceEpoch)
        small = need.fields.actors.contains { actor in
            let size = state.facts[actor]?.sizeClass
            return size == .small || size == .intermediary
        }
        leadRegion = need.fields.actors.first.flatMap { state.facts[$0]?.region }
        document = state.text.documents["n:" + need.id]
    }
}

/// An offer as the bulk scorer reads it.
final class CompiledOffer: Sendable {
    let id: String
    let closed: Bool
    let opens: Int?
    let closes: Int?
    /// No project places or no amount left.
    let full: Bool
    let finance: Bool
    /// Empty when every country (region) is admitted.
    let countries: [UInt64]
    let regions: [UInt64]
    /// Zero when every size class (stage) is admitted.
    let sizes: UInt8
    let sectors: UInt64
    let stages: UInt8
    let latest: Int
    let ticket: AmountRange?
    let amountLeft: Double?
    let declined: Set<String>
    let acceptedCount: Int
    let acceptedByRegion: [String: Int]
    let document: TextIndex.Document?

    init(_ offer: Offer, state: MatchingState) {
        let fields = offer.fields
        id = offer.id
        closed = fields.status == .closed
        opens = fields.window.flatMap { CalendarTime($0.opens) }.map(\.daysSinceEpoch)
        closes = fields.window?.closes.flatMap(CalendarTime.init).map(\.daysSinceEpoch)
        finance = fields.kind == .finance
        var full = false
        if finance, let capacity = fields.capacity {
            if let projects = capacity.projects, projects - (offer.allocated.projects ?? 0) <= 0 { full = true }
            if let amount = capacity.amount, amount - (offer.allocated.amount ?? 0) <= 0 { full = true }
        }
        self.full = full
        countries = Bits.set(fields.countries.map(Bits.country), words: 11)
        regions = Bits.set(fields.regions.map(Bits.region), words: 16)
        sizes = fields.sizeClasses.reduce(0) { $0 | Bits.size($1) }
        sectors = Assessor.sectorMask(fields.sectors)
        stages = fields.stages.reduce(0) { $0 | (1 << UInt8($1.rank)) }
        latest = (fields.stages.max() ?? .readyToFinance).rank
        ticket = fields.ticket
        amountLeft = fields.capacity?.amount.map { Double($0 - (offer.allocated.amount ?? 0)) }
        declined = state.declinedNeeds[offer.id] ?? []
        let regions = state.acceptedRegions[offer.id] ?? []
        acceptedCount = regions.count
        acceptedByRegion = regions.reduce(into: [:]) { $0[$1, default: 0] += 1 }
        document = state.text.documents["o:" + offer.id]
    }
}

/// Screens and scores compiled pairs with the same rules and the same arithmetic as ``Assessor`` (a test holds
/// them equal), without building any text: what shortlists, allocations and their benchmarks run on.
struct PairScorer {
    var today: Int
    var rates: ExchangeRates?

    init(today: String, rates: ExchangeRates?) {
        self.today = CalendarTime(today).map(\.daysSinceEpoch) ?? 0
        self.rates = rates
    }

    /// The pair's score, or nil when a rule excludes it.
    func score(_ need: CompiledNeed, _ offer: CompiledOffer) -> Double? {
        score(need, offer) { TextIndex.relevance(need.document, offer.document) }
    }

    /// The same, with the texts' relevance from `relevance`, asked only of eligible pairs (a bulk pass answers
    /// it from the need's words laid out once, ``TextIndex/Scattered``).
    @inline(__always)
    func score(_ need: CompiledNeed, _ offer: CompiledOffer, relevance: () -> Double) -> Double? {
        // The cheapest and most selective rules first: the order matters only for reporting, which the
        // assessor does.
        guard need.sectors & offer.sectors != 0, !need.closed, !offer.closed, !offer.full else { return nil }
        if let opens = offer.opens, today < opens { return nil }
        if let closes = offer.closes, today > closes { return nil }
        for member in need.members {
            guard member.known else { return nil }
            if !offer.countries.isEmpty, !Bits.contains(offer.countries, member.country) { return nil }
            if !offer.regions.isEmpty, !Bits.contains(offer.regions, member.region) { return nil }
            if offer.sizes != 0, offer.sizes & member.size == 0 { return nil }
        }
        if offer.stages != 0, offer.stages & (1 << UInt8(need.stage)) == 0 { return nil }
        var budgetValue = 1.0
        if let ticket = offer.ticket {
            let budget = convert(need.budget, to: ticket.currency)
            if offer.finance {
                guard let budget, budget.max >= Double(ticket.min), budget.min <= Double(ticket.max) else {
                    return nil
                }
                if let left = offer.amountLeft, left < max(budget.min, Double(ticket.min)) { return nil }
            }
            if let budget { budgetValue = Assessor.budgetValue(budget, ticket: ticket) }
        }
        if !offer.declined.isEmpty, offer.declined.contains(need.id) { return nil }

        let shared = need.sectors & offer.sectors
        let sector = Double(shared.nonzeroBitCount) / Double(max(1, need.sectors.nonzeroBitCount))
        let text = Assessor.textValue(relevance())
        let stage = Assessor.stageValue(latest: offer.latest, stage: need.stage)
        let urgency = need.deadline.map { Assessor.urgencyValue(days: $0 - today) } ?? 0
        var balance = 1.0
        if offer.acceptedCount > 0 {
            let same = need.leadRegion.map { offer.acceptedByRegion[$0] ?? 0 } ?? 0
            balance = 1 - Double(same) / Double(offer.acceptedCount)
        }
        return Assessor.score(sector, text, budgetValue, stage, urgency, need.small ? 1 : 0, balance)
    }

    func convert(_ range: AmountRange, to currency: String) -> (min: Double, max: Double)? {
        if range.currency == currency { return (Double(range.min), Double(range.max)) }
        guard let rates, let factor = Assessor.factor(from: range.currency, to: currency, rates: rates) else {
            return nil
        }
        return (Double(range.min) * factor, Double(range.max) * factor)
    }
}

/// Countries, regions and size classes as bit numbers, so that eligibility is a bit test. An ISO 3166-1 alpha-2
/// code is `26 * first + second` (0..675); a UN M49 code is its number (0..999); anything else is bit 0, which
/// no valid code uses (AA and 000 are not assigned).
enum Bits {
    static func country(_ code: String) -> Int {
        let letters = Array(code.utf8)
        guard letters.count == 2, letters.allSatisfy({ (65...90).contains($0) }) else { return 0 }
        return Int(letters[0] - 65) * 26 + Int(letters[1] - 65)
    }

    static func region(_ code: String) -> Int {
        guard code.utf8.count == 3, let number = Int(code), (0...999).contains(number) else { return 0 }
        return number
    }

    static func size(_ size: SizeClass) -> UInt8 { 1 << UInt8(SizeClass.allCases.firstIndex(of: size)!) }

    static func set(_ bits: [Int], words: Int) -> [UInt64] {
        guard !bits.isEmpty else { return [] }
        var set = [UInt64](repeating: 0, count: words)
        for bit in bits { set[bit >> 6] |= 1 << UInt64(bit & 63) }
        return set
    }

    static func contains(_ set: [UInt64], _ bit: Int) -> Bool {
        bit != 0 && set[bit >> 6] & (1 << UInt64(bit & 63)) != 0
    }
}
