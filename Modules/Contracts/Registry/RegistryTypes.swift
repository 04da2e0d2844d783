/// What kind of body an actor is.
public enum ActorKind: String, Codable, Sendable, CaseIterable {
    case city
    case localGovernment = "local_government"
    case civilSociety = "civil_society"
    case privateCompany = "private_company"
    case internationalPartner = "international_partner"
    case nationalBody = "national_body"
    case academia
}

/// City-size class, derived from population; the networks give small and intermediary cities priority.
///
/// Thresholds (inhabitants): small below 50 000; intermediary 50 000 to 999 999 (UCLG's intermediary
/// cities); large 1 000 000 to 4 999 999; metropolis 5 000 000 and more.
public enum SizeClass: String, Codable, Sendable, CaseIterable {
    case small
    case intermediary
    case large
    case metropolis

    public static let intermediaryFrom: Int64 = 50_000
    public static let largeFrom: Int64 = 1_000_000
    public static let metropolisFrom: Int64 = 5_000_000

    public init(population: Int64) {
        switch population {
        case ..<Self.intermediaryFrom: self = .small
        case ..<Self.largeFrom: self = .intermediary
        case ..<Self.metropolisFrom: self = .large
        default: self = .metropolis
        }
    }
}

/// Whether an actor is the seat of a government.
public enum CapitalStatus: String, Codable, Sendable, CaseIterable {
    case none
    /// The capital of a country.
    case national
    /// The capital of a state, province, oblast or region.
    case state
}

/// A person the secretariat deals with at an actor.
public struct FocalPoint: Codable, Sendable, Equatable {
    public var name: String
    public var title: String?
    public var email: String?
    public var phone: String?
    /// BCP 47 language tag, such as `en` or `vi`.
    public var language: String?

    public init(name: String, title: String? = nil, email: String? = nil, phone: String? = nil, language: String? = nil)
    {
        self.name = name
        self.title = title
        self.email = email
        self.phone = phone
        self.language = language
    }
}

public struct Coordinates: Codable, Sendable, Equatable {
    public var latitude: Double
    public var longitude: Double

    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }
}

/// The fields of an actor that a client sets.
public struct ActorFields: Codable, Sendable, Equatable {
    public var name: String
    /// Names in other languages, by BCP 47 tag: `{"ru": "Душанбе"}`.
    public var otherNames: [String: String]?
    public var kind: ActorKind
    /// ISO 3166-1 alpha-2, such as `VN`.
    public var country: String
    public var population: Int64?
    public var populationYear: Int?
    public var capital: CapitalStatus?
    /// IANA time zone, such as `Asia/Ho_Chi_Minh`.
    public var timeZone: String?
    public var coordinates: Coordinates?
    public var languages: [String]?
    public var focalPoints: [FocalPoint]?

    public init(
        name: String,
        otherNames: [String: String]? = nil,
        kind: ActorKind,
        country: String,
        population: Int64? = nil,
        populationYear: Int? = nil,
        capital: CapitalStatus? = nil,
        timeZone: String? = nil,
        coordinates: Coordinates? = nil,
        languages: [String]? = nil,
        focalPoints: [FocalPoint]? = nil
    ) {
        self.name = name
        self.otherNames = otherNames
        self.kind = kind
        self.country = country
        self.population = population
        self.populationYear = populationYear
        self.capital = capital
        self.timeZone = timeZone
        self.coordinates = coordinates
        self.languages = languages
        self.focalPoints = focalPoints
    }

    enum CodingKeys: String, CodingKey {
        case name
        case otherNames = "other_names"
        case kind
        case country
        case population
        case populationYear = "population_year"
        case capital
        case timeZone = "time_zone"
        case coordinates
        case languages
        case focalPoints = "focal_points"
    }

    private struct LanguageKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// As the synthesized encoding, except that `other_names` is written in the order of its language tags: a
    /// dictionary has no order of its own, and every reply and event must print its keys the same way each time.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        if let otherNames {
            var names = container.nestedContainer(keyedBy: LanguageKey.self, forKey: .otherNames)
            for language in otherNames.keys.sorted() {
                try names.encode(otherNames[language], forKey: LanguageKey(stringValue: language))
            }
        }
        try container.encode(kind, forKey: .kind)
        try container.encode(country, forKey: .country)
        try container.encodeIfPresent(population, forKey: .population)
        try container.encodeIfPresent(populationYear, forKey: .populationYear)
        try container.encodeIfPresent(capital, forKey: .capital)
        try container.encodeIfPresent(timeZone, forKey: .timeZone)
        try container.encodeIfPresent(coordinates, forKey: .coordinates)
        try container.encodeIfPresent(languages, forKey: .languages)
        try container.encodeIfPresent(focalPoints, forKey: .focalPoints)
    }
}

/// An actor as the register holds it (a city, local government, organisation, company, partner or body).
public struct ActorRecord: Codable, Sendable, Equatable {
    public var id: String
    public var fields: ActorFields
    /// UN M49 sub-region of the country, such as `035` (South-eastern Asia).
    public var region: String
    public var regionName: String
    /// Derived from the population; absent when the population is unknown.
    public var sizeClass: SizeClass?
    /// The date the actor stopped being active (merged, dissolved, left the field); absent while it is active.
    /// An inactive actor keeps its history; its memberships have ended and it can start no new one.
    public var inactiveSince: String?
    public var inactiveReason: String?
    public var version: Int

    public init(
        id: String, fields: ActorFields, region: String, regionName: String, inactiveSince: String? = nil,
        inactiveReason: String? = nil, version: Int
    ) {
        self.id = id
        self.fields = fields
        self.region = region
        self.regionName = regionName
        self.sizeClass = fields.population.map(SizeClass.init(population:))
        self.inactiveSince = inactiveSince
        self.inactiveReason = inactiveReason
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case id
        case fields
        case region
        case regionName = "region_name"
        case sizeClass = "size_class"
        case inactiveSince = "inactive_since"
        case inactiveReason = "inactive_reason"
        case version
    }
}

public struct Network: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var acronym: String
    public var foundedOn: String?
    public var foundedAt: String?
    /// The actor that runs the secretariat.
    public var secretariat: String?
    public var charter: String?
    public var version: Int

    public init(
        id: String, name: String, acronym: String, foundedOn: String? = nil, foundedAt: String? = nil,
        secretariat: String? = nil, charter: String? = nil, version: Int
    ) {
        self.id = id
        self.name = name
        self.acronym = acronym
        self.foundedOn = foundedOn
        self.foundedAt = foundedAt
        self.secretariat = secretariat
        self.charter = charter
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case id
        case name
        case acronym
        case foundedOn = "founded_on"
        case foundedAt = "founded_at"
        case secretariat
        case charter
        case version
    }
}

public enum MembershipRole: String, Codable, Sendable, CaseIterable {
    case foundingMember = "founding_member"
    case member
    case associate
    case observer
    case host
    case partner
}

public enum MembershipStatus: String, Codable, Sendable, CaseIterable {
    case applied
    case active
    case suspended
    case withdrawn
    case ended
}

public enum BasisKind: String, Codable, Sendable, CaseIterable {
    case foundingSignature = "founding_signature"
    case accession
    /// Derived by a membership rule from another membership; not editable by hand.
    case rule
    case manual
}

/// Why an actor is a member.
public struct MembershipBasis: Codable, Sendable, Equatable {
    public var kind: BasisKind
    /// For `rule`: the rule and the membership it derived this one from.
    public var rule: String?
    public var source: String?
    /// For `manual` and `accession`: who decided, and when (ISO 8601 date).
    public var decidedBy: String?
    public var decidedOn: String?
    /// For `founding_signature` and `accession`: the declaration signed or acceded to.
    public var declaration: String?
    /// For `accession`: the application that was accepted.
    public var application: String?

    public init(
        kind: BasisKind, rule: String? = nil, source: String? = nil, decidedBy: String? = nil, decidedOn: String? = nil,
        declaration: String? = nil, application: String? = nil
    ) {
        self.kind = kind
        self.rule = rule
        self.source = source
        self.decidedBy = decidedBy
        self.decidedOn = decidedOn
        self.declaration = declaration
        self.application = application
    }

    enum CodingKeys: String, CodingKey {
        case kind
        case rule
        case source
        case decidedBy = "decided_by"
        case decidedOn = "decided_on"
        case declaration
        case application
    }
}

public struct Membership: Codable, Sendable, Equatable {
    public var id: String
    public var actor: String
    public var network: String
    public var role: MembershipRole
    public var status: MembershipStatus
    /// ISO 8601 dates (`2025-10-16`).
    public var start: String?
    public var end: String?
    public var basis: MembershipBasis
    public var endReason: String?
    public var version: Int

    public init(
        id: String, actor: String, network: String, role: MembershipRole, status: MembershipStatus,
        start: String?, end: String?, basis: MembershipBasis, endReason: String? = nil, version: Int
    ) {
        self.id = id
        self.actor = actor
        self.network = network
        self.role = role
        self.status = status
        self.start = start
        self.end = end
        self.basis = basis
        self.endReason = endReason
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case id
        case actor
        case network
        case role
        case status
        case start
        case end
        case basis
        case endReason = "end_reason"
        case version
    }
}

/// What an actor must meet for a rule to apply, besides being an active member of the rule's source network.
/// Every condition given must hold; a list holds when any of its values matches.
public struct RuleConditions: Codable, Sendable, Equatable {
    public var kinds: [ActorKind]?
    public var countries: [String]?
    /// UN M49 codes (`035`, `142`) or `asia_pacific`; an actor matches when its sub-region is within one.
    public var regions: [String]?
    /// Holds when either the capital or the population condition holds, if both are given (the
    /// Metropolis / UCLG ASPAC wording: "state capitals or at least one million inhabitants").
    public var capitals: [CapitalStatus]?
    public var minPopulation: Int64?

    public init(
        kinds: [ActorKind]? = nil, countries: [String]? = nil, regions: [String]? = nil,
        capitals: [CapitalStatus]? = nil, minPopulation: Int64? = nil
    ) {
        self.kinds = kinds
        self.countries = countries
        self.regions = regions
        self.capitals = capitals
        self.minPopulation = minPopulation
    }

    enum CodingKeys: String, CodingKey {
        case kinds, countries, regions, capitals
        case minPopulation = "min_population"
    }
}

/// "Active members of `source` that meet `conditions` are `role` members of `target`."
public struct MembershipRule: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var source: String
    public var target: String
    public var role: MembershipRole
    public var conditions: RuleConditions
    /// The date the rule was retired on; a retired rule derives nothing, and what it derived has ended.
    public var retired: String?
    public var retiredReason: String?
    public var version: Int

    public init(
        id: String, name: String, source: String, target: String, role: MembershipRole, conditions: RuleConditions,
        retired: String? = nil, retiredReason: String? = nil, version: Int
    ) {
        self.id = id
        self.name = name
        self.source = source
        self.target = target
        self.role = role
        self.conditions = conditions
        self.retired = retired
        self.retiredReason = retiredReason
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case id
        case name
        case source
        case target
        case role
        case conditions
        case retired
        case retiredReason = "retired_reason"
        case version
    }
}
