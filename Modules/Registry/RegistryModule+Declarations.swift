import ConcordKit
import Contracts
import Foundation

/// Declarations and agreements, and accession to them as a workflow: apply, review, accept or reject.
extension RegistryModule {
    static func startDeclarations(context: ModuleContext) throws {
        let store = context.store

        try context.handle(RecordDeclaration.self) { command, _ in
            try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                let fields = try checked(command.declaration, registry: registry, acceded: [])
                let declaration = Declaration(
                    id: EntityID.next(), fields: fields, acceded: [], version: 1)
                try registry.put(
                    declaration, in: .declarations, id: declaration.id, version: 1,
                    columns: ["network": fields.network])
                transaction.emit(DeclarationRecorded(declaration: declaration))
                var started: [Membership] = []
                if fields.founding == true, let networkID = fields.network {
                    let network = try registry.requireNetwork(networkID, field: "declaration.network")
                    let today = date(transaction.now)
                    for party in fields.parties {
                        let change = try startMembership(
                            of: try registry.requireActor(party.actor, field: "party"), in: network,
                            role: .foundingMember, status: .active,
                            start: party.signedOn ?? fields.adoptedOn ?? today,
                            basis: MembershipBasis(kind: .foundingSignature, declaration: declaration.id),
                            registry: registry, transaction: transaction)
                        started += [change.membership] + change.derivedStarted
                    }
                }
                return DeclarationChange(declaration: declaration, membershipsStarted: started)
            }
        }

        try context.handle(UpdateDeclaration.self) { command, _ in
            try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                var declaration = try registry.requireDocument(
                    Declaration.self, in: .declarations, id: command.id, field: "id", what: "declaration")
                try checkVersion(command.version, current: declaration.version, of: "declaration \(command.id)")
                let fields = try checked(command.declaration, registry: registry, acceded: declaration.acceded)
                guard fields.network == declaration.fields.network,
                    (fields.founding ?? false) == (declaration.fields.founding ?? false)
                else {
                    throw ConcordError.badRequest(
                        "declaration.network and declaration.founding: cannot change once recorded; they decided "
                            + "the founding memberships. Record a new declaration instead")
                }
                declaration.fields = fields
                declaration.version += 1
                try registry.put(
                    declaration, in: .declarations, id: declaration.id, version: declaration.version,
                    columns: ["network": fields.network])
                transaction.emit(DeclarationUpdated(declaration: declaration))
                return DeclarationChange(declaration: declaration, membershipsStarted: [])
            }
        }

        try context.handle(GetDeclaration.self) { query, _ in
            try await store.read { db in
                try RegistryStore(db: db).requireDocument(
                    Declaration.self, in: .declarations, id: query.id, field: "id", what: "declaration")
            }
        }

        try context.handle(ListDeclarations.self) { query, _ in
            try await store.read { db in
                let registry = RegistryStore(db: db)
                let network = try query.network.map { try registry.requireNetwork($0, field: "network").id }
                return DeclarationList(
                    declarations: try registry.documents(
                        Declaration.self, in: .declarations, where: ["network": network]))
            }
        }

        try context.handle(ApplyForAccession.self) { command, _ in
            let note = try command.note.map { try Validation.text($0, field: "note", limit: 4000) }
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                let declaration = try registry.requireDocument(
                    Declaration.self, in: .declarations, id: command.declaration, field: "declaration",
                    what: "declaration")
                let actor = try registry.requireActor(command.actor, field: "actor")
                guard declaration.fields.openToAccession == true else {
                    throw ConcordError(
                        .conflict, "\"\(declaration.fields.title)\" is not open to accession")
                }
                if declaration.fields.parties.contains(where: { $0.actor == actor.id })
                    || declaration.acceded.contains(where: { $0.actor == actor.id })
                {
                    throw ConcordError(
                        .conflict, "\(actor.fields.name) is a party to \"\(declaration.fields.title)\" already")
                }
                let open = try registry.documents(
                    AccessionApplication.self, in: .applications,
                    where: ["declaration": declaration.id, "actor": actor.id]
                ).first { $0.status == .applied || $0.status == .underReview }
                if let open {
                    throw ConcordError(
                        .conflict,
                        "\(actor.fields.name) has an application open already (\(open.id), \(open.status.rawValue))",
                        details: ["existing": .string(open.id)])
                }
                let application = AccessionApplication(
                    id: EntityID.next(), declaration: declaration.id, actor: actor.id,
                    status: .applied, appliedOn: date(transaction.now), note: note, version: 1)
                try save(application, registry)
                transaction.emit(AccessionApplied(application: application))
                return application
            }
        }

        try context.handle(ReviewAccession.self) { command, _ in
            let reviewer = try Validation.name(command.reviewer, field: "reviewer")
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                var application = try openApplication(command.id, version: command.version, registry: registry)
                guard application.status == .applied else {
                    throw ConcordError(.conflict, "application \(application.id) is under review already")
                }
                application.status = .underReview
                application.reviewer = reviewer
                application.version += 1
                try save(application, registry)
                transaction.emit(AccessionReviewStarted(application: application))
                return application
            }
        }

        try context.handle(DecideAccession.self) { command, _ in
            let decidedBy = try Validation.name(command.decidedBy, field: "decided_by")
            let reason = try command.reason.map { try Validation.text($0, field: "reason", limit: 4000) }
            if command.decision == .reject, reason == nil {
                throw ConcordError.badRequest("reason: required when rejecting an application; say why")
            }
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                var application = try openApplication(command.id, version: command.version, registry: registry)
                let today = date(transaction.now)
                application.decidedBy = decidedBy
                application.decidedOn = today
                application.reason = reason
                application.version += 1
                guard command.decision == .accept else {
                    application.status = .rejected
                    try save(application, registry)
                    transaction.emit(AccessionRejected(application: application))
                    return AccessionDecision(application: application, membership: nil)
                }
                application.status = .accepted
                var declaration = try registry.requireDocument(
                    Declaration.self, in: .declarations, id: application.declaration, field: "declaration",
                    what: "declaration")
                declaration.acceded.append(Accession(actor: application.actor, on: today, application: application.id))
                declaration.version += 1
                try registry.put(
                    declaration, in: .declarations, id: declaration.id, version: declaration.version,
                    columns: ["network": declaration.fields.network])
                var membership: MembershipChange?
                if let networkID = declaration.fields.network {
                    let network = try registry.requireNetwork(networkID, field: "declaration.network")
                    let actor = try registry.requireActor(application.actor, field: "actor")
                    // An actor that is a member already (by a rule, say) accedes without a second membership.
                    if try registry.currentMembership(actor: actor.id, network: network.id) == nil {
                        membership = try startMembership(
                            of: actor, in: network, role: command.role ?? .member, status: .active, start: today,
                            basis: MembershipBasis(
                                kind: .accession, decidedBy: decidedBy, decidedOn: today, declaration: declaration.id,
                                application: application.id),
                            registry: registry, transaction: transaction)
                        application.membership = membership?.membership.id
                    }
                }
                try save(application, registry)
                transaction.emit(AccessionAccepted(application: application))
                transaction.emit(DeclarationUpdated(declaration: declaration))
                return AccessionDecision(application: application, membership: membership)
            }
        }

        try context.handle(ListAccessions.self) { query, _ in
            try await store.read { db in
                AccessionList(
                    applications: try RegistryStore(db: db).documents(
                        AccessionApplication.self, in: .applications,
                        where: ["declaration": query.declaration, "status": query.status?.rawValue]))
            }
        }
    }

    private static func save(_ application: AccessionApplication, _ registry: RegistryStore) throws {
        try registry.put(
            application, in: .applications, id: application.id, version: application.version,
            columns: [
                "declaration": application.declaration, "actor": application.actor,
                "status": application.status.rawValue,
            ])
    }

    private static func openApplication(_ id: String, version: Int, registry: RegistryStore) throws
        -> AccessionApplication
    {
        let application = try registry.requireDocument(
            AccessionApplication.self, in: .applications, id: id, field: "id", what: "accession application")
        try checkVersion(version, current: application.version, of: "application \(id)")
        guard application.status == .applied || application.status == .underReview else {
            throw ConcordError(
                .conflict, "application \(id) was \(application.status.rawValue) on \(application.decidedOn ?? "-")")
        }
        return application
    }

    /// Validates a declaration field by field; the network comes back as its id.
    private static func checked(_ fields: DeclarationFields, registry: RegistryStore, acceded: [Accession]) throws
        -> DeclarationFields
    {
        var fields = fields
        fields.title = try Validation.text(fields.title, field: "declaration.title")
        fields.network = try fields.network.map { try registry.requireNetwork($0, field: "declaration.network").id }
        if fields.founding == true, fields.network == nil {
            throw ConcordError.badRequest(
                "declaration.founding: needs declaration.network, the network whose founding members the parties are")
        }
        _ = try Validation.date(fields.adoptedOn, field: "declaration.adopted_on")
        _ = try Validation.date(fields.entryIntoForce, field: "declaration.entry_into_force")
        fields.preamble = try fields.preamble.map {
            try Validation.text($0, field: "declaration.preamble", limit: 20_000)
        }
        var numbers: Set<String> = []
        for (index, article) in fields.articles.enumerated() {
            let field = "declaration.articles[\(index)]"
            fields.articles[index].number = try Validation.key(article.number, field: "\(field).number")
            guard numbers.insert(article.number).inserted else {
                throw ConcordError.badRequest("\(field).number: article \(article.number) appears twice")
            }
            fields.articles[index].text = try Validation.text(article.text, field: "\(field).text", limit: 20_000)
        }
        var parties: Set<String> = []
        for (index, party) in fields.parties.enumerated() {
            let field = "declaration.parties[\(index)]"
            _ = try registry.requireActor(party.actor, field: "\(field).actor")
            guard parties.insert(party.actor).inserted else {
                throw ConcordError.badRequest("\(field).actor: \(party.actor) is a party twice")
            }
            _ = try Validation.date(party.signedOn, field: "\(field).signed_on")
            if let signatory = party.signatory {
                _ = try Validation.name(signatory.name, field: "\(field).signatory.name")
            }
        }
        if let custodian = fields.custodian {
            _ = try registry.requireActor(custodian, field: "declaration.custodian")
        }
        for (index, copy) in (fields.certifiedCopies ?? []).enumerated() {
            let field = "declaration.certified_copies[\(index)]"
            guard parties.contains(copy.party) || acceded.contains(where: { $0.actor == copy.party }) else {
                throw ConcordError.badRequest(
                    "\(field).party: expected one of the declaration's parties, got \"\(copy.party)\"")
            }
            _ = try Validation.date(copy.sentOn, field: "\(field).sent_on")
        }
        if let point = fields.focalPoint {
            if let actor = point.actor { _ = try registry.requireActor(actor, field: "declaration.focal_point.actor") }
            try Validation.focalPoint(point.person, field: "declaration.focal_point.person")
        }
        return fields
    }
}
