import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Registry
import Testing

/// The Dushanbe joint declaration (seed 002) and accession to it.
@Suite struct DeclarationTests {
    struct Coalition {
        var parties: [ActorRecord]
        var custodian: ActorRecord
        var declaration: Declaration
        var started: [Membership]
    }

    func coalition(_ registry: RegistryFixture, openToAccession: Bool = true) async throws -> Coalition {
        _ = try await registry.network("CSCCA", "Coalition of Sustainable Cities in Central Asia")
        var parties: [ActorRecord] = []
        for (name, country) in [
            ("Akimat of Petropavlovsk", "KZ"), ("Osh City Mayor's Office", "KG"),
            ("Executive Body of the State Authority of Dushanbe", "TJ"), ("Hakimlik of Ashgabat", "TM"),
            ("Hokimiyat of Namangan", "UZ"),
        ] {
            parties.append(
                try await registry.harness.send(
                    RegisterActor(actor: ActorFields(name: name, kind: .localGovernment, country: country))))
        }
        let custodian = try await registry.harness.send(
            RegisterActor(
                actor: ActorFields(
                    name: "Center for Emergency Situations and Disaster Risk Reduction", kind: .internationalPartner,
                    country: "KZ")))
        let change = try await registry.harness.send(
            RecordDeclaration(
                declaration: DeclarationFields(
                    title:
                        "Joint Declaration on the establishment of the Coalition of Sustainable Cities in Central Asia",
                    kind: .declaration, network: "CSCCA", founding: true, adoptedOn: "2025-10-16", place: "Dushanbe",
                    articles: (1...11).map { Article(number: "\($0)", text: "Article \($0) text") },
                    parties: parties.map { Party(actor: $0.id, signedOn: "2025-10-16") },
                    entryIntoForce: "2025-10-16", openToAccession: openToAccession, custodian: custodian.id)))
        return Coalition(
            parties: parties, custodian: custodian, declaration: change.declaration, started: change.membershipsStarted)
    }

    @Test func recordingAFoundingDeclarationMakesEachPartyAFoundingMember() async throws {
        let registry = try await RegistryFixture()
        let coalition = try await coalition(registry)
        #expect(coalition.declaration.fields.articles.count == 11)
        #expect(coalition.started.count == 5)
        for membership in coalition.started {
            #expect(membership.role == .foundingMember)
            #expect(membership.start == "2025-10-16")
            #expect(
                membership.basis
                    == MembershipBasis(kind: .foundingSignature, declaration: coalition.declaration.id))
        }
        let members = try await registry.harness.send(ListMemberships(network: "CSCCA", status: .active))
        #expect(Set(members.memberships.map(\.actor)) == Set(coalition.parties.map(\.id)))
        let topics = try await registry.harness.journaled(prefixes: ["registry.declaration.", "registry.membership."])
        #expect(topics.first?.topic.rawValue == "registry.declaration.recorded")
        #expect(topics.filter { $0.topic.rawValue == "registry.membership.started" }.count == 5)
        let listed = try await registry.harness.send(ListDeclarations(network: "CSCCA"))
        #expect(listed.declarations == [coalition.declaration])
    }

    @Test func certifiedCopiesAndTheFocalPointAreKeptWithVersions() async throws {
        let registry = try await RegistryFixture()
        let coalition = try await coalition(registry)
        var fields = coalition.declaration.fields
        fields.certifiedCopies = coalition.parties.map { CertifiedCopy(party: $0.id, sentOn: "2025-11-03") }
        fields.focalPoint = AgreementFocalPoint(
            actor: coalition.custodian.id, person: FocalPoint(name: "Coalition desk", email: "desk@cesdrr.org"))
        let updated = try await registry.harness.send(
            UpdateDeclaration(id: coalition.declaration.id, version: 1, declaration: fields))
        #expect(updated.declaration.version == 2)
        #expect(updated.declaration.fields.certifiedCopies?.count == 5)
        #expect(updated.membershipsStarted.isEmpty)
        await expectError(.conflict, containing: "is at version 2, not 1") {
            _ = try await registry.harness.send(
                UpdateDeclaration(id: coalition.declaration.id, version: 1, declaration: fields))
        }
        fields.certifiedCopies = [CertifiedCopy(party: coalition.custodian.id)]
        await expectError(.badRequest, containing: "declaration.certified_copies[0].party: expected one of the") {
            _ = try await registry.harness.send(
                UpdateDeclaration(id: coalition.declaration.id, version: 2, declaration: fields))
        }
    }

    @Test func declarationsAreValidatedFieldByField() async throws {
        let registry = try await RegistryFixture()
        let osh = try await registry.city("Osh", "KG")
        await expectError(.badRequest, containing: "declaration.founding: needs declaration.network") {
            _ = try await registry.harness.send(
                RecordDeclaration(declaration: DeclarationFields(title: "T", kind: .declaration, founding: true)))
        }
        await expectError(.badRequest, containing: "declaration.articles[1].number: article 1 appears twice") {
            _ = try await registry.harness.send(
                RecordDeclaration(
                    declaration: DeclarationFields(
                        title: "T", kind: .declaration,
                        articles: [Article(number: "1", text: "a"), Article(number: "1", text: "b")])))
        }
        await expectError(.notFound, containing: "declaration.parties[1].actor: no actor with id \"nobody\"") {
            _ = try await registry.harness.send(
                RecordDeclaration(
                    declaration: DeclarationFields(
                        title: "T", kind: .declaration, parties: [Party(actor: osh.id), Party(actor: "nobody")])))
        }
        await expectError(.badRequest, containing: "declaration.adopted_on: expected a date as YYYY-MM-DD") {
            _ = try await registry.harness.send(
                RecordDeclaration(declaration: DeclarationFields(title: "T", kind: .agreement, adoptedOn: "16/10/2025"))
            )
        }
        #expect(try await registry.harness.journaled().count == 1, "only the actor's registration")
    }

    @Test func anAcceptedAccessionStartsAMembershipWithBasisAccessionInOneCommit() async throws {
        let registry = try await RegistryFixture()
        let coalition = try await coalition(registry)
        let khujand = try await registry.city("Khujand", "TJ", population: 200_000)
        let applied = try await registry.harness.send(
            ApplyForAccession(declaration: coalition.declaration.id, actor: khujand.id, note: "Letter of 2026-01-12"))
        #expect(applied.status == .applied)
        await expectError(.conflict, containing: "has an application open already") {
            _ = try await registry.harness.send(
                ApplyForAccession(declaration: coalition.declaration.id, actor: khujand.id))
        }
        let reviewing = try await registry.harness.send(
            ReviewAccession(id: applied.id, version: 1, reviewer: "Coalition secretariat"))
        #expect(reviewing.status == .underReview)
        let before = try await registry.harness.journaled().last?.seq ?? 0
        let decision = try await registry.harness.send(
            DecideAccession(id: applied.id, version: 2, decision: .accept, decidedBy: "Meeting of the Parties"))
        #expect(decision.application.status == .accepted)
        let membership = try #require(decision.membership?.membership)
        #expect(membership.basis.kind == .accession)
        #expect(membership.basis.application == applied.id)
        #expect(membership.basis.declaration == coalition.declaration.id)
        #expect(membership.basis.decidedBy == "Meeting of the Parties")
        #expect(decision.application.membership == membership.id)

        let committed = try await registry.harness.journaled(after: before)
        #expect(
            committed.map(\.topic.rawValue) == [
                "registry.membership.started", "registry.accession.accepted", "registry.declaration.updated",
            ])
        let declaration = try await registry.harness.send(GetDeclaration(id: coalition.declaration.id))
        #expect(declaration.acceded.map(\.actor) == [khujand.id])
        await expectError(.conflict, containing: "is a party to") {
            _ = try await registry.harness.send(
                ApplyForAccession(declaration: coalition.declaration.id, actor: khujand.id))
        }
        await expectError(.conflict, containing: "was accepted on") {
            _ = try await registry.harness.send(
                DecideAccession(id: applied.id, version: 3, decision: .reject, decidedBy: "x", reason: "late"))
        }
    }

    @Test func aRejectionNeedsAReasonAndStartsNothing() async throws {
        let registry = try await RegistryFixture()
        let coalition = try await coalition(registry)
        let almaty = try await registry.city("Almaty", "KZ", population: 2_200_000)
        let applied = try await registry.harness.send(
            ApplyForAccession(declaration: coalition.declaration.id, actor: almaty.id))
        await expectError(.badRequest, containing: "reason: required when rejecting") {
            _ = try await registry.harness.send(
                DecideAccession(id: applied.id, version: 1, decision: .reject, decidedBy: "Parties"))
        }
        await expectError(.conflict, containing: "is at version 1, not 7") {
            _ = try await registry.harness.send(
                DecideAccession(id: applied.id, version: 7, decision: .accept, decidedBy: "Parties"))
        }
        let decision = try await registry.harness.send(
            DecideAccession(
                id: applied.id, version: 1, decision: .reject, decidedBy: "Parties", reason: "Documents incomplete"))
        #expect(decision.application.status == .rejected)
        #expect(decision.application.reason == "Documents incomplete")
        #expect(decision.membership == nil)
        #expect(try await registry.active(almaty).isEmpty)
        // Rejected applicants may apply again.
        let again = try await registry.harness.send(
            ApplyForAccession(declaration: coalition.declaration.id, actor: almaty.id))
        #expect(again.id != applied.id)
        let listed = try await registry.harness.send(ListAccessions(declaration: coalition.declaration.id))
        #expect(listed.applications.map(\.status) == [.rejected, .applied])
    }

    @Test func aClosedDeclarationTakesNoApplications() async throws {
        let registry = try await RegistryFixture()
        let coalition = try await coalition(registry, openToAccession: false)
        let almaty = try await registry.city("Almaty", "KZ")
        await expectError(.conflict, containing: "is not open to accession") {
            _ = try await registry.harness.send(
                ApplyForAccession(declaration: coalition.declaration.id, actor: almaty.id))
        }
    }
}
