public import ConcordKit

// MARK: Declarations and agreements

public enum DeclarationKind: String, Codable, Sendable, CaseIterable {
    /// A joint or founding declaration, such as the Dushanbe declaration of the Central Asian coalition.
    case declaration
    /// An agreement between organisations, such as Metropolis and UCLG ASPAC's.
    case agreement
    /// The outcome of a meeting, such as the commitments of UMCI's first dialogue.
    case outcome
}

/// A numbered article or commitment.
public struct Article: Codable, Sendable, Equatable {
    /// As the text numbers it: `1`, `5`, `3.a`.
    public var number: String
    public var title: String?
    public var text: String

    public init(number: String, title: String? = nil, text: String) {
        self.number = number
        self.title = title
        self.text = text
    }
}

/// The person who signed for a party.
public struct Signatory: Codable, Sendable, Equatable {
    public var name: String
    public var title: String?

    public init(name: String, title: String? = nil) {
        self.name = name
        self.title = title
    }
}

/// An actor that signed, and who signed for it.
public struct Party: Codable, Sendable, Equatable {
    public var actor: String
    public var signatory: Signatory?
    public var signedOn: String?

    public init(actor: String, signatory: Signatory? = nil, signedOn: String? = nil) {
        self.actor = actor
        self.signatory = signatory
        self.signedOn = signedOn
    }

    enum CodingKeys: String, CodingKey {
        case actor, signatory
        case signedOn = "signed_on"
    }
}

/// A certified copy of the original that the custodian sent to a party.
public struct CertifiedCopy: Codable, Sendable, Equatable {
    public var party: String
    public var sentOn: String?

    public init(party: String, sentOn: String? = nil) {
        self.party = party
        self.sentOn = sentOn
    }

    enum CodingKeys: String, CodingKey {
        case party
        case sentOn = "sent_on"
    }
}

/// The person responsible for following an agreement, and the actor they work for.
public struct AgreementFocalPoint: Codable, Sendable, Equatable {
    public var actor: String?
    public var person: FocalPoint

    public init(actor: String? = nil, person: FocalPoint) {
        self.actor = actor
        self.person = person
    }
}

/// What a client records of a declaration or agreement.
public struct DeclarationFields: Codable, Sendable, Equatable {
    public var title: String
    public var kind: DeclarationKind
    /// The network the declaration founds or belongs to, by id or acronym.
    public var network: String?
    /// When true, every party becomes a founding member of `network` with basis founding signature.
    public var founding: Bool?
    public var adoptedOn: String?
    public var place: String?
    public var preamble: String?
    public var articles: [Article]
    public var parties: [Party]
    public var entryIntoForce: String?
    public var openToAccession: Bool?
    /// The actor that keeps the original.
    public var custodian: String?
    public var certifiedCopies: [CertifiedCopy]?
    public var focalPoint: AgreementFocalPoint?

    public init(
        title: String, kind: DeclarationKind, network: String? = nil, founding: Bool? = nil,
        adoptedOn: String? = nil, place: String? = nil, preamble: String? = nil, articles: [Article] = [],
        parties: [Party] = [], entryIntoForce: String? = nil, openToAccession: Bool? = nil, custodian: String? = nil,
        certifiedCopies: [CertifiedCopy]? = nil, focalPoint: AgreementFocalPoint? = nil
    ) {
        self.title = title
        self.kind = kind
        self.network = network
        self.founding = founding
        self.adoptedOn = adoptedOn
        self.place = place
        self.preamble = preamble
        self.articles = articles
        self.parties = parties
        self.entryIntoForce = entryIntoForce
        self.openToAccession = openToAccession
        self.custodian = custodian
        self.certifiedCopies = certifiedCopies
        self.focalPoint = focalPoint
    }

    enum CodingKeys: String, CodingKey {
        case title
        case kind
        case network
        case founding
        case adoptedOn = "adopted_on"
        case place
        case preamble
        case articles
        case parties
        case entryIntoForce = "entry_into_force"
        case openToAccession = "open_to_accession"
        case custodian
        case certifiedCopies = "certified_copies"
        case focalPoint = "focal_point"
    }
}

/// An actor that joined a declaration by accession, after it was adopted.
public struct Accession: Codable, Sendable, Equatable {
    public var actor: String
    public var on: String
    /// The application it was accepted on.
    public var application: String

    public init(actor: String, on: String, application: String) {
        self.actor = actor
        self.on = on
        self.application = application
    }
}

public struct Declaration: Codable, Sendable, Equatable {
    public var id: String
    /// As recorded; `network` holds the network's id.
    public var fields: DeclarationFields
    /// Parties that acceded later, kept by the registry.
    public var acceded: [Accession]
    public var version: Int

    public init(id: String, fields: DeclarationFields, acceded: [Accession], version: Int) {
        self.id = id
        self.fields = fields
        self.acceded = acceded
        self.version = version
    }
}

/// Records a declaration or agreement with its articles and parties.
public struct RecordDeclaration: Command {
    public static let topic: Topic = "registry.declaration.record"
    public typealias Reply = DeclarationChange

    public var declaration: DeclarationFields

    public init(declaration: DeclarationFields) { self.declaration = declaration }
}

/// Replaces what was recorded of a declaration (articles, copies sent, focal point...); `conflict` when stale.
public struct UpdateDeclaration: Command {
    public static let topic: Topic = "registry.declaration.update"
    public typealias Reply = DeclarationChange

    public var id: String
    public var version: Int
    public var declaration: DeclarationFields

    public init(id: String, version: Int, declaration: DeclarationFields) {
        self.id = id
        self.version = version
        self.declaration = declaration
    }
}

/// A declaration, and the founding memberships recording it started (with what rules derived from them).
public struct DeclarationChange: Codable, Sendable, Equatable {
    public var declaration: Declaration
    public var membershipsStarted: [Membership]

    public init(declaration: Declaration, membershipsStarted: [Membership]) {
        self.declaration = declaration
        self.membershipsStarted = membershipsStarted
    }

    enum CodingKeys: String, CodingKey {
        case declaration
        case membershipsStarted = "memberships_started"
    }
}

public struct GetDeclaration: Query {
    public static let topic: Topic = "registry.declaration.get"
    public typealias Reply = Declaration

    public var id: String
    public init(id: String) { self.id = id }
}

public struct ListDeclarations: Query {
    public static let topic: Topic = "registry.declaration.list"
    public typealias Reply = DeclarationList

    public var network: String?
    public init(network: String? = nil) { self.network = network }
}

public struct DeclarationList: Codable, Sendable, Equatable {
    public var declarations: [Declaration]
    public init(declarations: [Declaration]) { self.declarations = declarations }
}

public struct DeclarationRecorded: Event {
    public static let topic: Topic = "registry.declaration.recorded"
    public var declaration: Declaration
    public init(declaration: Declaration) { self.declaration = declaration }
}

public struct DeclarationUpdated: Event {
    public static let topic: Topic = "registry.declaration.updated"
    public var declaration: Declaration
    public init(declaration: Declaration) { self.declaration = declaration }
}

// MARK: Accession

public enum ApplicationStatus: String, Codable, Sendable, CaseIterable {
    case applied
    case underReview = "under_review"
    case accepted
    case rejected
}

/// An actor's application to accede to a declaration that is open to accession.
public struct AccessionApplication: Codable, Sendable, Equatable {
    public var id: String
    public var declaration: String
    public var actor: String
    public var status: ApplicationStatus
    public var appliedOn: String
    public var note: String?
    public var reviewer: String?
    public var decidedBy: String?
    public var decidedOn: String?
    /// Why it was rejected, or a note on the acceptance.
    public var reason: String?
    /// The membership acceptance created (basis accession).
    public var membership: String?
    public var version: Int

    public init(
        id: String, declaration: String, actor: String, status: ApplicationStatus, appliedOn: String,
        note: String? = nil, reviewer: String? = nil, decidedBy: String? = nil, decidedOn: String? = nil,
        reason: String? = nil, membership: String? = nil, version: Int
    ) {
        self.id = id
        self.declaration = declaration
        self.actor = actor
        self.status = status
        self.appliedOn = appliedOn
        self.note = note
        self.reviewer = reviewer
        self.decidedBy = decidedBy
        self.decidedOn = decidedOn
        self.reason = reason
        self.membership = membership
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case id
        case declaration
        case actor
        case status
        case appliedOn = "applied_on"
        case note
        case reviewer
        case decidedBy = "decided_by"
        case decidedOn = "decided_on"
        case reason
        case membership
        case version
    }
}

/// Applies for `actor` to accede to a declaration; `conflict` when it is not open to accession or the actor
/// is a party already or has an application open.
public struct ApplyForAccession: Command {
    public static let topic: Topic = "registry.accession.apply"
    public typealias Reply = AccessionApplication

    public var declaration: String
    public var actor: String
    public var note: String?

    public init(declaration: String, actor: String, note: String? = nil) {
        self.declaration = declaration
        self.actor = actor
        self.note = note
    }
}

/// Puts an application under review.
public struct ReviewAccession: Command {
    public static let topic: Topic = "registry.accession.review"
    public typealias Reply = AccessionApplication

    public var id: String
    public var version: Int
    public var reviewer: String

    public init(id: String, version: Int, reviewer: String) {
        self.id = id
        self.version = version
        self.reviewer = reviewer
    }
}

/// Accepts or rejects an application. Acceptance adds the actor to the declaration's parties and, when the
/// declaration belongs to a network, starts its membership with basis accession, in one transaction.
public struct DecideAccession: Command {
    public static let topic: Topic = "registry.accession.decide"
    public typealias Reply = AccessionDecision

    public enum Decision: String, Codable, Sendable, CaseIterable {
        case accept
        case reject
    }

    public var id: String
    public var version: Int
    public var decision: Decision
    public var decidedBy: String
    /// Required when rejecting.
    public var reason: String?
    /// The role of the new membership; default member.
    public var role: MembershipRole?

    public init(
        id: String, version: Int, decision: Decision, decidedBy: String, reason: String? = nil,
        role: MembershipRole? = nil
    ) {
        self.id = id
        self.version = version
        self.decision = decision
        self.decidedBy = decidedBy
        self.reason = reason
        self.role = role
    }

    enum CodingKeys: String, CodingKey {
        case id
        case version
        case decision
        case decidedBy = "decided_by"
        case reason
        case role
    }
}

public struct AccessionDecision: Codable, Sendable, Equatable {
    public var application: AccessionApplication
    /// The membership with basis accession, and what rules derived from it.
    public var membership: MembershipChange?

    public init(application: AccessionApplication, membership: MembershipChange?) {
        self.application = application
        self.membership = membership
    }
}

public struct ListAccessions: Query {
    public static let topic: Topic = "registry.accession.list"
    public typealias Reply = AccessionList

    public var declaration: String?
    public var status: ApplicationStatus?

    public init(declaration: String? = nil, status: ApplicationStatus? = nil) {
        self.declaration = declaration
        self.status = status
    }
}

public struct AccessionList: Codable, Sendable, Equatable {
    public var applications: [AccessionApplication]
    public init(applications: [AccessionApplication]) { self.applications = applications }
}

public struct AccessionApplied: Event {
    public static let topic: Topic = "registry.accession.applied"
    public var application: AccessionApplication
    public init(application: AccessionApplication) { self.application = application }
}

public struct AccessionReviewStarted: Event {
    public static let topic: Topic = "registry.accession.review_started"
    public var application: AccessionApplication
    public init(application: AccessionApplication) { self.application = application }
}

public struct AccessionAccepted: Event {
    public static let topic: Topic = "registry.accession.accepted"
    public var application: AccessionApplication
    public init(application: AccessionApplication) { self.application = application }
}

public struct AccessionRejected: Event {
    public static let topic: Topic = "registry.accession.rejected"
    public var application: AccessionApplication
    public init(application: AccessionApplication) { self.application = application }
}
