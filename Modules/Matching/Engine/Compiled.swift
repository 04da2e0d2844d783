import Contracts

/// A need as the bulk scorer reads it: numbers and bit masks instead of strings, so that screening a pair is a
/// few comparisons. Made from the need, its members' facts and the rates; the day enters only when scoring.
struct CompiledNeed: Sendable {
    struct Member: Sendable {
        var known: Bool
        var country: String
        var region: String
        var size: SizeClass?
    }

    var id: String
    var closed: Bool
    var members: [Member]
    var sectors: UInt64
    var stage: Int
    var budget: AmountRange
    var deadline: Int?
    var small: Bool
    var leadRegion: String?
    var document: TextIndex.Document?

    init(_ need: Need, state: MatchingState) {
        id = need.id
        closed = need.fields.status == .closed
        members = need.fields.actors.map { actor in
            guard let facts = state.facts[actor] else { return Member(known: false, country: "", region: "") }
            return Member(known: true, country: facts.country, region: facts.region, size: facts.sizeClass)
        }
        sectors = Assessor.sectorMask(need.fields.sectors)
        stage = need.fields.stage.rank
        budget = need.fields.budget
        deadline = need.fields.deadline.flatMap(CalendarTime.init).map(Assessor.dayNumber)
        small = need.fields.actors.contains { actor in
            let size = state.facts[actor]?.sizeClass
            return size == .small || size == .intermediary
        }
        leadRegion = need.fields.actors.first.flatMap { state.facts[$0]?.region }
        document = state.text.documents["n:" + need.id]
    }
}

/// An offer as the bulk scorer reads it.
struct CompiledOffer: Sendable {
    var id: String
    var closed: Bool
    var opens: Int?
    var closes: Int?
    /// No project places or no amount left.
    var full: Bool
    var finance: Bool
    var countries: Set<String>
    var regions: Set<String>
    var sizes: Set<SizeClass>
    var sectors: UInt64
    var stages: Set<Int>
    var latest: Int
    var ticket: AmountRange?
    var amountLeft: Double?
    var declined: Set<String>
    var acceptedCount: Int
    var acceptedByRegion: [String: Int]
    var document: TextIndex.Document?

    init(_ offer: Offer, state: MatchingState) {
        let fields = offer.fields
        id = offer.id
        closed = fields.status == .closed
        opens = fields.window.flatMap { CalendarTime($0.opens) }.map(Assessor.dayNumber)
        closes = fields.window?.closes.flatMap(CalendarTime.init).map(Assessor.dayNumber)
        finance = fields.kind == .finance
        var full = false
        if finance, let capacity = fields.capacity {
            if let projects = capacity.projects, projects - (offer.allocated.projects ?? 0) <= 0 { full = true }
            if let amount = capacity.amount, amount - (offer.allocated.amount ?? 0) <= 0 { full = true }
        }
        self.full = full
        countries = Set(fields.countries)
        regions = Set(fields.regions)
        sizes = Set(fields.sizeClasses)
        sectors = Assessor.sectorMask(fields.sectors)
        stages = Set(fields.stages.map(\.rank))
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
        self.today = CalendarTime(today).map(Assessor.dayNumber) ?? 0
        self.rates = rates
    }

    /// The pair's score, or nil when a rule excludes it.
    func score(_ need: CompiledNeed, _ offer: CompiledOffer) -> Double? {
        // The cheapest and most selective rules first: the order matters only for reporting, which the
        // assessor does.
        guard need.sectors & offer.sectors != 0, !need.closed, !offer.closed, !offer.full else { return nil }
        if let opens = offer.opens, today < opens { return nil }
        if let closes = offer.closes, today > closes { return nil }
        for member in need.members {
            guard member.known else { return nil }
            if !offer.countries.isEmpty, !offer.countries.contains(member.country) { return nil }
            if !offer.regions.isEmpty, !offer.regions.contains(member.region) { return nil }
            if !offer.sizes.isEmpty {
                guard let size = member.size, offer.sizes.contains(size) else { return nil }
            }
        }
        if !offer.stages.isEmpty, !offer.stages.contains(need.stage) { return nil }
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
        let text = Assessor.textValue(TextIndex.relevance(need.document, offer.document))
        let stage = Assessor.stageValue(latest: offer.latest, stage: need.stage)
        let urgency = need.deadline.map { Assessor.urgencyValue(days: $0 - today) } ?? 0
        var balance = 1.0
        if offer.acceptedCount > 0 {
            let same = need.leadRegion.map { offer.acceptedByRegion[$0] ?? 0 } ?? 0
            balance = 1 - Double(same) / Double(offer.acceptedCount)
        }
        return Assessor.score([sector, text, budgetValue, stage, urgency, need.small ? 1 : 0, balance])
    }

    func convert(_ range: AmountRange, to currency: String) -> (min: Double, max: Double)? {
        if range.currency == currency { return (Double(range.min), Double(range.max)) }
        guard let rates, let factor = Assessor.factor(from: range.currency, to: currency, rates: rates) else {
            return nil
        }
        return (Double(range.min) * factor, Double(range.max) * factor)
    }
}
