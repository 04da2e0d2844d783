public import ConcordKit

// MARK: Needs and offers

/// How far a project has come, in the order projects go.
public enum ProjectStage: String, Codable, Sendable, CaseIterable, Comparable {
    case idea
    case concept
    case preFeasibility = "pre_feasibility"
    case feasibility
    case readyToFinance = "ready_to_finance"

    public var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// An amount range in an ISO 4217 currency, in whole units of it.
public struct AmountRange: Codable, Sendable, Equatable {
    public var min: Int64
    public var max: Int64
    public var currency: String

    public init(min: Int64, max: Int64, currency: String) {
        self.min = min
        self.max = max
        self.currency = currency
    }
}

/// Whether a need or an offer is still in play.
public enum ListingStatus: String, Codable, Sendable, CaseIterable {
    case open
    case closed
}

/// What one or more members need: a project looking for finance or technology.
public struct NeedFields: Codable, Sendable, Equatable {
    /// The member actors it is posted for (registry ids); the first is the lead.
    public var actors: [String]
    public var title: String
    public var description: String
    /// OECD DAC CRS 3-digit sector codes (`matching.vocabulary`).
    public var sectors: [String]
    public var sdgTargets: [String]
    public var stage: ProjectStage
    public var budget: AmountRange
    /// Co-financing the members bring, in the budget's currency.
    public var cofinancing: Int64?
    /// `YYYY-MM-DD`: when the finance or technology is needed by.
    public var deadline: String?
    /// The focal point to contact.
    public var contact: String?
    public var status: ListingStatus

    public init(
        actors: [String], title: String, description: String, sectors: [String], sdgTargets: [String] = [],
        stage: ProjectStage, budget: AmountRange, cofinancing: Int64? = nil, deadline: String? = nil,
        contact: String? = nil, status: ListingStatus = .open
    ) {
        self.actors = actors
        self.title = title
        self.description = description
        self.sectors = sectors
        self.sdgTargets = sdgTargets
        self.stage = stage
        self.budget = budget
        self.cofinancing = cofinancing
        self.deadline = deadline
        self.contact = contact
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case actors, title, description, sectors
        case sdgTargets = "sdg_targets"
        case stage, budget, cofinancing, deadline, contact, status
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        actors = try container.decode([String].self, forKey: .actors)
        title = try container.decode(String.self, forKey: .title)
        description = try container.decodeIfPresent(String.self, forKey: .description) ?? ""
        sectors = try container.decode([String].self, forKey: .sectors)
        sdgTargets = try container.decodeIfPresent([String].self, forKey: .sdgTargets) ?? []
        stage = try container.decode(ProjectStage.self, forKey: .stage)
        budget = try container.decode(AmountRange.self, forKey: .budget)
        cofinancing = try container.decodeIfPresent(Int64.self, forKey: .cofinancing)
        deadline = try container.decodeIfPresent(String.self, forKey: .deadline)
        contact = try container.decodeIfPresent(String.self, forKey: .contact)
        status = try container.decodeIfPresent(ListingStatus.self, forKey: .status) ?? .open
    }
}

public struct Need: Codable, Sendable, Equatable {
    public var id: String
    public var fields: NeedFields
    public var version: Int

    public init(id: String, fields: NeedFields, version: Int) {
        self.id = id
        self.fields = fields
        self.version = version
    }
}

public enum OfferKind: String, Codable, Sendable, CaseIterable {
    /// A development bank, climate fund, donor or project-preparation facility.
    case finance
    case technology
}

/// How much a finance source can still take in its current round: a number of projects, an amount, or both.
public struct Capacity: Codable, Sendable, Equatable {
    public var projects: Int?
    public var amount: Int64?

    public init(projects: Int? = nil, amount: Int64? = nil) {
        self.projects = projects
        self.amount = amount
    }
}

/// An application window, `YYYY-MM-DD` dates, inclusive; an absent end is open-ended.
public struct Window: Codable, Sendable, Equatable {
    public var opens: String
    public var closes: String?

    public init(opens: String, closes: String? = nil) {
        self.opens = opens
        self.closes = closes
    }
}

/// What a finance source or a technology provider offers, and to whom. An empty eligibility list admits all.
public struct OfferFields: Codable, Sendable, Equatable {
    public var kind: OfferKind
    public var title: String
    public var description: String
    /// The provider, when the registry knows it.
    public var provider: String?
    public var sectors: [String]
    /// Finance: an instrument code (`matching.vocabulary`).
    public var instrument: String?
    /// Finance: the ticket size range.
    public var ticket: AmountRange?
    /// ISO 3166-1 alpha-2 codes.
    public var countries: [String]
    /// UN M49 region codes (as the registry gives actors' regions).
    public var regions: [String]
    public var sizeClasses: [SizeClass]
    public var stages: [ProjectStage]
    public var window: Window?
    /// Finance: what the current round can still take (before accepted matches).
    public var capacity: Capacity?
    /// Technology: the solutions, their maturity (technology readiness level 1-9) and references.
    public var solutions: [String]
    public var maturity: Int?
    public var references: [String]
    public var status: ListingStatus

    public init(
        kind: OfferKind, title: String, description: String, provider: String? = nil, sectors: [String],
        instrument: String? = nil, ticket: AmountRange? = nil, countries: [String] = [], regions: [String] = [],
        sizeClasses: [SizeClass] = [], stages: [ProjectStage] = [], window: Window? = nil,
        capacity: Capacity? = nil, solutions: [String] = [], maturity: Int? = nil, references: [String] = [],
        status: ListingStatus = .open
    ) {
        self.kind = kind
        self.title = title
        self.description = description
        self.provider = provider
        self.sectors = sectors
        self.instrument = instrument
        self.ticket = ticket
        self.countries = countries
        self.regions = regions
        self.sizeClasses = sizeClasses
        self.stages = stages
        self.window = window
        self.capacity = capacity
        self.solutions = solutions
        self.maturity = maturity
        self.references = references
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case kind, title, description, provider, sectors, instrument, ticket, countries, regions
        case sizeClasses = "size_classes"
        case stages, window, capacity, solutions, maturity, references, status
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(OfferKind.self, forKey: .kind)
        title = try container.decode(String.self, forKey: .title)
        description = try container.decodeIfPresent(String.self, forKey: .description) ?? ""
        provider = try container.decodeIfPresent(String.self, forKey: .provider)
        sectors = try container.decode([String].self, forKey: .sectors)
        instrument = try container.decodeIfPresent(String.self, forKey: .instrument)
        ticket = try container.decodeIfPresent(AmountRange.self, forKey: .ticket)
        countries = try container.decodeIfPresent([String].self, forKey: .countries) ?? []
        regions = try container.decodeIfPresent([String].self, forKey: .regions) ?? []
        sizeClasses = try container.decodeIfPresent([SizeClass].self, forKey: .sizeClasses) ?? []
        stages = try container.decodeIfPresent([ProjectStage].self, forKey: .stages) ?? []
        window = try container.decodeIfPresent(Window.self, forKey: .window)
        capacity = try container.decodeIfPresent(Capacity.self, forKey: .capacity)
        solutions = try container.decodeIfPresent([String].self, forKey: .solutions) ?? []
        maturity = try container.decodeIfPresent(Int.self, forKey: .maturity)
        references = try container.decodeIfPresent([String].self, forKey: .references) ?? []
        status = try container.decodeIfPresent(ListingStatus.self, forKey: .status) ?? .open
    }
}

public struct Offer: Codable, Sendable, Equatable {
    public var id: String
    public var fields: OfferFields
    /// Finance: how much of the capacity accepted matches have used.
    public var allocated: Capacity
    public var version: Int

    public init(id: String, fields: OfferFields, allocated: Capacity, version: Int) {
        self.id = id
        self.fields = fields
        self.allocated = allocated
        self.version = version
    }
}

public struct PostNeed: Command {
    public static let topic: Topic = "matching.need.post"
    public typealias Reply = Need
    /// Absent: the module makes one up.
    public var id: String?
    public var fields: NeedFields
    public init(id: String? = nil, fields: NeedFields) {
        self.id = id
        self.fields = fields
    }
}

public struct UpdateNeed: Command {
    public static let topic: Topic = "matching.need.update"
    public typealias Reply = Need
    public var id: String
    public var fields: NeedFields
    public init(id: String, fields: NeedFields) {
        self.id = id
        self.fields = fields
    }
}

public struct GetNeed: Query {
    public static let topic: Topic = "matching.need.get"
    public typealias Reply = Need
    public var id: String
    public init(id: String) { self.id = id }
}

public struct PostOffer: Command {
    public static let topic: Topic = "matching.offer.post"
    public typealias Reply = Offer
    public var id: String?
    public var fields: OfferFields
    public init(id: String? = nil, fields: OfferFields) {
        self.id = id
        self.fields = fields
    }
}

public struct UpdateOffer: Command {
    public static let topic: Topic = "matching.offer.update"
    public typealias Reply = Offer
    public var id: String
    public var fields: OfferFields
    public init(id: String, fields: OfferFields) {
        self.id = id
        self.fields = fields
    }
}

public struct GetOffer: Query {
    public static let topic: Topic = "matching.offer.get"
    public typealias Reply = Offer
    public var id: String
    public init(id: String) { self.id = id }
}

/// Sets what a finance source's current round can take; below what is already allocated is refused.
public struct SetCapacity: Command {
    public static let topic: Topic = "matching.offer.capacity.set"
    public typealias Reply = Offer
    public var id: String
    public var capacity: Capacity
    public init(id: String, capacity: Capacity) {
        self.id = id
        self.capacity = capacity
    }
}

/// The operator's exchange rates: `rates[code]` units of `code` buy one unit of `base`, as of `date`.
public struct ExchangeRates: Codable, Sendable, Equatable {
    public var date: String
    public var base: String
    public var rates: [String: Double]
    public init(date: String, base: String, rates: [String: Double]) {
        self.date = date
        self.base = base
        self.rates = rates
    }
}

public struct SetRates: Command {
    public static let topic: Topic = "matching.rates.set"
    public typealias Reply = ExchangeRates
    public var rates: ExchangeRates
    public init(rates: ExchangeRates) { self.rates = rates }
}

/// The code lists: sectors, instruments and SDG goals, each with its source.
public struct GetVocabulary: Query {
    public static let topic: Topic = "matching.vocabulary"
    public typealias Reply = Vocabulary
    public init() {}
}

public struct Vocabulary: Codable, Sendable, Equatable {
    public struct List: Codable, Sendable, Equatable {
        public var source: String
        public var codes: [VocabularyCode]
    }
    public var sectors: List
    public var instruments: List
    public var sdgGoals: List

    public init() {
        sectors = List(source: MatchingVocabulary.sectorSource, codes: MatchingVocabulary.sectors)
        instruments = List(source: MatchingVocabulary.instrumentSource, codes: MatchingVocabulary.instruments)
        sdgGoals = List(source: MatchingVocabulary.sdgSource, codes: MatchingVocabulary.sdgGoals)
    }

    enum CodingKeys: String, CodingKey {
        case sectors, instruments
        case sdgGoals = "sdg_goals"
    }
}

// MARK: Screening, scoring, shortlists

/// One part of a pair's score: its weight, how well the pair does on it (0...1), and the points it adds.
public struct ScoreComponent: Codable, Sendable, Equatable {
    public var name: String
    public var weight: Double
    public var value: Double
    public var points: Double
    public var why: String
    public init(name: String, weight: Double, value: Double, points: Double, why: String) {
        self.name = name
        self.weight = weight
        self.value = value
        self.points = points
        self.why = why
    }
}

/// A need and an offer: eligible with a score and its parts, or excluded by the first rule it failed.
public struct PairAssessment: Codable, Sendable, Equatable {
    public var need: String
    public var offer: String
    public var eligible: Bool
    /// Out of 100; present when eligible.
    public var score: Double?
    public var components: [ScoreComponent]?
    /// The rule that excluded the pair (`country`, `window`, ...) and why, in words to forward.
    public var rule: String?
    public var reason: String?
    public init(
        need: String, offer: String, eligible: Bool, score: Double? = nil, components: [ScoreComponent]? = nil,
        rule: String? = nil, reason: String? = nil
    ) {
        self.need = need
        self.offer = offer
        self.eligible = eligible
        self.score = score
        self.components = components
        self.rule = rule
        self.reason = reason
    }
}

/// Assesses pairs: one need against every offer, one offer against every need, or one pair.
public struct AssessPairs: Query {
    public static let topic: Topic = "matching.assess"
    public typealias Reply = Assessments
    public var need: String?
    public var offer: String?
    public init(need: String? = nil, offer: String? = nil) {
        self.need = need
        self.offer = offer
    }
}

public struct Assessments: Codable, Sendable, Equatable {
    public var pairs: [PairAssessment]
    public init(pairs: [PairAssessment]) { self.pairs = pairs }
}

/// The top offers for a need, or the top needs for an offer, best first (ties by id).
public struct GetShortlist: Query {
    public static let topic: Topic = "matching.shortlist"
    public typealias Reply = Shortlist
    public var need: String?
    public var offer: String?
    /// At most 100; default 10.
    public var k: Int?
    public init(need: String? = nil, offer: String? = nil, k: Int? = nil) {
        self.need = need
        self.offer = offer
        self.k = k
    }
}

public struct Shortlist: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        /// The offer (in a need's shortlist) or the need (in an offer's).
        public var id: String
        public var score: Double
        public init(id: String, score: Double) {
            self.id = id
            self.score = score
        }
    }
    public var need: String?
    public var offer: String?
    public var entries: [Entry]
    public init(need: String?, offer: String?, entries: [Entry]) {
        self.need = need
        self.offer = offer
        self.entries = entries
    }
}

/// A shortlist changed: a need's (then `need` is set) or an offer's.
public struct ShortlistChanged: Event {
    public static let topic: Topic = "matching.shortlist.changed"
    public var need: String?
    public var offer: String?
    public var entries: [Shortlist.Entry]
    public init(need: String?, offer: String?, entries: [Shortlist.Entry]) {
        self.need = need
        self.offer = offer
        self.entries = entries
    }
}

// MARK: Allocation and decisions

/// Proposes an allocation of open needs to finance sources: the largest total score within each source's
/// capacity in projects, at most one source per need, solved exactly.
public struct ProposeAllocation: Query {
    public static let topic: Topic = "matching.allocation.propose"
    public typealias Reply = Allocation
    public init() {}
}

public struct Allocation: Codable, Sendable, Equatable {
    public struct Assignment: Codable, Sendable, Equatable {
        public var need: String
        public var offer: String
        public var score: Double
        public init(need: String, offer: String, score: Double) {
            self.need = need
            self.offer = offer
            self.score = score
        }
    }
    public struct Price: Codable, Sendable, Equatable {
        public var offer: String
        /// What one more project place at this source could add to the total at most.
        public var price: Double
        public init(offer: String, price: Double) {
            self.offer = offer
            self.price = price
        }
    }
    public var assignments: [Assignment]
    public var unassigned: [String]
    public var total: Double
    /// The dual bound: no allocation can total more; equal to `total`, it proves this one optimal.
    public var dualBound: Double
    public var optimal: Bool
    public var prices: [Price]
    public init(
        assignments: [Assignment], unassigned: [String], total: Double, dualBound: Double, optimal: Bool,
        prices: [Price]
    ) {
        self.assignments = assignments
        self.unassigned = unassigned
        self.total = total
        self.dualBound = dualBound
        self.optimal = optimal
        self.prices = prices
    }
    enum CodingKeys: String, CodingKey {
        case assignments, unassigned, total
        case dualBound = "dual_bound"
        case optimal, prices
    }
}

public enum MatchState: String, Codable, Sendable, CaseIterable {
    case proposed
    /// One party accepted; the other has not answered.
    case acceptedByMember = "accepted_by_member"
    case acceptedByProvider = "accepted_by_provider"
    case accepted
    case declined
}

public enum MatchParty: String, Codable, Sendable, CaseIterable {
    case member
    case provider
}

public struct Match: Codable, Sendable, Equatable {
    public var need: String
    public var offer: String
    public var state: MatchState
    public var score: Double
    /// Who declined and why, once declined.
    public var declinedBy: MatchParty?
    public var reason: String?
    public init(
        need: String, offer: String, state: MatchState, score: Double, declinedBy: MatchParty? = nil,
        reason: String? = nil
    ) {
        self.need = need
        self.offer = offer
        self.state = state
        self.score = score
        self.declinedBy = declinedBy
        self.reason = reason
    }
    enum CodingKeys: String, CodingKey {
        case need, offer, state, score
        case declinedBy = "declined_by"
        case reason
    }
}

/// The secretariat proposes a pair; it must be eligible and never declined.
public struct ProposeMatch: Command {
    public static let topic: Topic = "matching.match.propose"
    public typealias Reply = Match
    public var need: String
    public var offer: String
    public init(need: String, offer: String) {
        self.need = need
        self.offer = offer
    }
}

/// The member or the provider accepts or declines a proposed match; a decline needs a reason.
public struct DecideMatch: Command {
    public static let topic: Topic = "matching.match.decide"
    public typealias Reply = Match
    public var need: String
    public var offer: String
    public var party: MatchParty
    public var accept: Bool
    public var reason: String?
    public init(need: String, offer: String, party: MatchParty, accept: Bool, reason: String? = nil) {
        self.need = need
        self.offer = offer
        self.party = party
        self.accept = accept
        self.reason = reason
    }
}

public struct ListMatches: Query {
    public static let topic: Topic = "matching.match.list"
    public typealias Reply = MatchList
    public var need: String?
    public var offer: String?
    public init(need: String? = nil, offer: String? = nil) {
        self.need = need
        self.offer = offer
    }
}

public struct MatchList: Codable, Sendable, Equatable {
    public var matches: [Match]
    public init(matches: [Match]) { self.matches = matches }
}

public struct NeedPosted: Event {
    public static let topic: Topic = "matching.need.posted"
    public var need: Need
    public init(need: Need) { self.need = need }
}

public struct OfferPosted: Event {
    public static let topic: Topic = "matching.offer.posted"
    public var offer: Offer
    public init(offer: Offer) { self.offer = offer }
}

/// A match was proposed, accepted or declined: every decision is an event.
public struct MatchDecided: Event {
    public static let topic: Topic = "matching.match.decided"
    public var match: Match
    /// Who decided (absent for the secretariat's proposal).
    public var party: MatchParty?
    public init(match: Match, party: MatchParty?) {
        self.match = match
        self.party = party
    }
}

// MARK: Matchmaking sessions

/// Places matchmaking meetings for an event (a scheduling meeting of kind trade fair or expert meeting) into time
/// slots and tables, so nobody has two meetings at once; by default, every accepted match.
public struct PlanSession: Query {
    public static let topic: Topic = "matching.session.plan"
    public typealias Reply = SessionPlan

    public struct Slot: Codable, Sendable, Equatable {
        /// Local times or any labels the organisers use (`2026-11-05T10:00`).
        public var start: String
        public var end: String
        public init(start: String, end: String) {
            self.start = start
            self.end = end
        }
    }

    public var meeting: String
    public var slots: [Slot]
    public var tables: Int
    /// The pairs to meet; absent: every accepted match.
    public var pairs: [PairRef]?
    /// For a participant (a member actor, or a provider: its actor or the offer id), the indices of the slots it
    /// can attend; absent: all.
    public var availability: [String: [Int]]?

    public struct PairRef: Codable, Sendable, Equatable {
        public var need: String
        public var offer: String
        public init(need: String, offer: String) {
            self.need = need
            self.offer = offer
        }
    }

    public init(
        meeting: String, slots: [Slot], tables: Int, pairs: [PairRef]? = nil, availability: [String: [Int]]? = nil
    ) {
        self.meeting = meeting
        self.slots = slots
        self.tables = tables
        self.pairs = pairs
        self.availability = availability
    }
}

public struct SessionPlan: Codable, Sendable, Equatable {
    public struct Booking: Codable, Sendable, Equatable {
        public var need: String
        public var offer: String
        /// The member (the need's lead actor) and the provider (its actor, or the offer when it has none).
        public var member: String
        public var provider: String
        public var slot: Int
        public var table: Int
        public init(need: String, offer: String, member: String, provider: String, slot: Int, table: Int) {
            self.need = need
            self.offer = offer
            self.member = member
            self.provider = provider
            self.slot = slot
            self.table = table
        }
    }

    public var meeting: String
    public var bookings: [Booking]
    public var unplaced: [PlanSession.PairRef]
    public var slotsUsed: Int
    /// The most meetings any participant has: no plan uses fewer slots.
    public var lowerBound: Int
    /// `fewest` (König: exactly `lower_bound` slots) or `first_fit` (availability or tables bind; no promise).
    public var guarantee: String

    public init(
        meeting: String, bookings: [Booking], unplaced: [PlanSession.PairRef], slotsUsed: Int, lowerBound: Int,
        guarantee: String
    ) {
        self.meeting = meeting
        self.bookings = bookings
        self.unplaced = unplaced
        self.slotsUsed = slotsUsed
        self.lowerBound = lowerBound
        self.guarantee = guarantee
    }

    enum CodingKeys: String, CodingKey {
        case meeting, bookings, unplaced
        case slotsUsed = "slots_used"
        case lowerBound = "lower_bound"
        case guarantee
    }
}

/// Takes the text statistics afresh and recomputes every shortlist (after a bulk import, say); each shortlist
/// that changed is sent as `matching.shortlist.changed`.
public struct Rescore: Command {
    public static let topic: Topic = "matching.rescore"
    public typealias Reply = Rescored
    public init() {}
}

public struct Rescored: Codable, Sendable, Equatable {
    public var needs: Int
    public var offers: Int
    /// How many shortlists changed.
    public var changed: Int
    public init(needs: Int, offers: Int, changed: Int) {
        self.needs = needs
        self.offers = offers
        self.changed = changed
    }
}
