import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Registry
import Testing

/// Bulk import: begin with the header, stage rows, commit all or nothing.
@Suite struct ImportTests {
    static let header = ["name", "kind", "country", "population", "time_zone", "other_names"]

    func run(
        _ registry: RegistryFixture, _ kind: ImportKind = .actors, header: [String] = header, rows: String,
        dryRun: Bool? = nil, partial: Bool? = nil
    ) async throws -> (ImportProgress, String) {
        let opened = try await registry.harness.send(
            BeginImport(kind: kind, header: header, dryRun: dryRun, partial: partial))
        let progress = try await registry.harness.send(ImportRows(import: opened.import, firstLine: 2, csv: rows))
        return (progress, opened.import)
    }

    @Test func rowsAreCheckedWithTheirLineAndCommittedInOneTransaction() async throws {
        let registry = try await RegistryFixture()
        let rows = """
            Osh,city,KG,322164,Asia/Bishkek,ru:Ош
            "Dushanbe, capital",city,TJ,863400,Asia/Dushanbe,"ru:Душанбе;tg:Душанбе"
            Namangan,city,UZ,1708500,Asia/Tashkent,

            """
        let (progress, id) = try await run(registry, rows: rows)
        #expect(progress.accepted == 3)
        #expect(progress.rejected.isEmpty)
        let summary = try await registry.harness.send(CommitImport(import: id))
        #expect(summary.imported == 3)
        let page = try await registry.harness.send(ListActors())
        #expect(page.actors.map(\.fields.name) == ["Dushanbe, capital", "Namangan", "Osh"])
        #expect(page.actors[0].fields.otherNames == ["ru": "Душанбе", "tg": "Душанбе"])
        // Every column of an imported row is written where the queries look for it.
        #expect(
            try await registry.harness.send(ListActors(country: "TJ")).actors.map(\.fields.name) == [
                "Dushanbe, capital"
            ])
        #expect(try await registry.harness.send(ListActors(region: "143")).actors.count == 3, "Central Asia")
        #expect(try await registry.harness.send(ListActors(kind: .localGovernment)).actors.isEmpty)
        #expect(
            try await registry.harness.send(ListActors(sizeClass: .large)).actors.map(\.fields.name) == ["Namangan"])
        #expect(try await registry.harness.send(ListActors(text: "душанбе")).actors.count == 1)
        let dushanbe = try await registry.harness.send(GetActor(id: page.actors[0].id))
        #expect(dushanbe == page.actors[0])
        #expect(dushanbe.version == 1)
        let events = try await registry.harness.journaled()
        #expect(
            events.map(\.topic.rawValue)
                == Array(repeating: "registry.actor.registered", count: 3) + ["registry.import.committed"])
        #expect(events[0].payload["actor"]?["fields"]?["name"] == .string("Osh"))
        await expectError(.notFound, containing: "no open import") {
            _ = try await registry.harness.send(CommitImport(import: id))
        }
    }

    @Test func oneRejectedRowRejectsTheFileUnlessPartial() async throws {
        let registry = try await RegistryFixture()
        let rows = """
            Osh,city,KG,322164,Asia/Bishkek,
            "Long
            name",town,KG,,,
            Atlantis,city,XX,,,
            Osh,city,KG,,,
            Bishkek,city,KG,-5,,

            """
        let (progress, id) = try await run(registry, rows: rows)
        #expect(progress.accepted == 1)
        #expect(progress.rejected.map(\.line) == [3, 5, 6, 7], "a quoted newline moves the lines after it")
        #expect(progress.rejected[0].reason.contains("kind: expected one of city, local_government"))
        #expect(progress.rejected[1].reason.contains("country: expected an ISO 3166-1 alpha-2"))
        #expect(progress.rejected[2].reason.contains("appears earlier in the file"))
        #expect(progress.rejected[3].reason.contains("population: expected a non-negative integer"))
        await expectError(.badRequest, containing: "4 of 5 rows were rejected, so nothing was imported") {
            _ = try await registry.harness.send(CommitImport(import: id))
        }
        #expect(try await registry.harness.send(ListActors()).actors.isEmpty)

        let (_, partialID) = try await run(registry, rows: rows, partial: true)
        let summary = try await registry.harness.send(CommitImport(import: partialID))
        #expect(summary.imported == 1)
        #expect(summary.rejected == 4)
        #expect(try await registry.harness.send(ListActors()).actors.map(\.fields.name) == ["Osh"])
    }

    @Test func aLargePieceIsCheckedInPartsWithExactLinesAndOrder() async throws {
        // Over 128 KiB, so the daemon reads it in parts (one per core, cut near the middle on two). The
        // middle of the text falls inside a quoted name that spans 40 lines: a cut there would split a
        // record. A duplicate after it refers to a row before it.
        let registry = try await RegistryFixture()
        let half = (0..<2500).map { String(format: "Town a%05d,city,KG,1000,Asia/Bishkek,\n", $0) }
        let other = (0..<2500).map { String(format: "Town b%05d,city,KG,1000,Asia/Bishkek,\n", $0) }
        let spanning = (0..<40).map { "w\($0)" }.joined(separator: "\n")
        let rows =
            half.joined() + "\"\(spanning)\",city,KG,1000,Asia/Bishkek,\n" + other.joined()
            + "Town a00007,city,KG,1000,Asia/Bishkek,\n" + "Last,city,XX,,,\n"
        #expect(rows.utf8.count > 2 * 65_536)
        let spanningLine = 2 + half.count
        let duplicateLine = spanningLine + 40 + other.count

        let (progress, id) = try await run(registry, rows: rows, partial: true)
        #expect(progress.rejected.map(\.line) == [duplicateLine, duplicateLine + 1])
        #expect(progress.rejected.first?.reason.contains("appears earlier in the file") == true)
        #expect(progress.rejected.last?.reason.contains("country: expected an ISO 3166-1 alpha-2") == true)
        #expect(progress.accepted == 5001)

        let summary = try await registry.harness.send(CommitImport(import: id))
        #expect(summary.imported == 5001)
        let names = try await registry.harness.journaled(prefixes: ["registry.actor."]).map {
            $0.payload["actor"]?["fields"]?["name"]?.stringValue ?? ""
        }
        #expect(names.count == 5001)
        #expect(names[2499] == "Town a02499")
        #expect(names[2500].hasPrefix("w0 w1 w2"), "the spanning name, its newlines made single spaces")
        #expect(names[2501] == "Town b00000")
        #expect(Array(names[..<2500]) == half.map { String($0.prefix(11)) })
        #expect(Array(names[2501...]) == other.map { String($0.prefix(11)) })
    }

    @Test func aDryRunWritesNothing() async throws {
        let registry = try await RegistryFixture()
        let (_, id) = try await run(registry, rows: "Osh,city,KG,,,\n", dryRun: true)
        let summary = try await registry.harness.send(CommitImport(import: id))
        #expect(summary.dryRun)
        #expect(summary.imported == 0)
        #expect(summary.rows == 1)
        #expect(try await registry.harness.journaled().isEmpty)
    }

    @Test func existingActorsAreDuplicatesUnlessForced() async throws {
        let registry = try await RegistryFixture()
        let osh = try await registry.city("Osh", "KG")
        let rows = "osh,city,KG,,,\nOsh,city,UZ,,,\n OSH ,local_government,KG,,,\n"
        let (progress, _) = try await run(registry, rows: rows)
        #expect(progress.rejected.map(\.line) == [2, 4], "the same name in another country is another actor")
        #expect(progress.rejected.allSatisfy { $0.reason.contains("exists already (\(osh.id))") })
        let opened = try await registry.harness.send(BeginImport(kind: .actors, header: Self.header, force: true))
        let forced = try await registry.harness.send(
            ImportRows(import: opened.import, firstLine: 2, csv: "osh,city,KG,,,\n"))
        #expect(forced.accepted == 1)
    }

    /// An import holds the writer from its first piece, so the register cannot change under rows already checked:
    /// a namesake registered while it is open waits for the commit and is then refused as a duplicate.
    @Test func writesWaitForAnOpenImportAndThenSeeItsRows() async throws {
        let registry = try await RegistryFixture()
        let naryn = try await registry.city("Naryn", "KG")
        let (progress, id) = try await run(registry, rows: "Osh,city,KG,,,\nTalas,city,KG,,,\n")
        #expect(progress.accepted == 2)
        let seqBefore = registry.harness.journal.headSeq

        let harness = registry.harness
        let register = Task {
            try await harness.send(RegisterActor(actor: ActorFields(name: "OSH", kind: .city, country: "KG")))
        }
        var renamed = naryn.fields
        renamed.name = "Naryn city"
        let rename = Task {
            try await harness.send(UpdateActor(id: naryn.id, version: naryn.version, actor: renamed))
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(registry.harness.journal.headSeq == seqBefore, "nothing commits while the import holds the writer")
        #expect(try await registry.harness.send(ListActors()).actors.map(\.fields.name) == ["Naryn"])

        let summary = try await registry.harness.send(CommitImport(import: id))
        #expect(summary.imported == 2)
        await expectError(.conflict, containing: "an actor named \"OSH\" in KG exists already") {
            _ = try await register.value
        }
        _ = try await rename.value
        #expect(
            try await registry.harness.send(ListActors()).actors.map(\.fields.name) == ["Naryn city", "Osh", "Talas"])
        let topics = try await registry.harness.journaled(after: seqBefore).map(\.topic.rawValue)
        #expect(
            topics == [
                "registry.actor.registered", "registry.actor.registered", "registry.import.committed",
                "registry.actor.updated",
            ])
    }

    /// Aborting rolls back what the import had written and frees the writer at once.
    @Test func anAbortedImportKeepsNothing() async throws {
        let registry = try await RegistryFixture()
        let (_, id) = try await run(registry, rows: "Osh,city,KG,,,\n")
        _ = try await registry.harness.send(AbortImport(import: id))
        _ = try await registry.city("Talas", "KG")
        #expect(try await registry.harness.send(ListActors()).actors.map(\.fields.name) == ["Talas"])
        #expect(try await registry.harness.journaled(prefixes: ["registry.actor.registered"]).count == 1)
    }

    @Test func aRecordThatIsNotCSVIsRejectedWithItsLine() async throws {
        let registry = try await RegistryFixture()
        let (progress, _) = try await run(registry, rows: "Osh,city,KG,,,\n\"Talas\" town,city,KG,,,\n", partial: true)
        #expect(progress.accepted == 1)
        #expect(
            progress.rejected == [
                RejectedRow(
                    line: 3, reason: "csv: field 1: expected a comma or the end of the line after its closing quote")
            ])
    }

    @Test func headersAreChecked() async throws {
        let registry = try await RegistryFixture()
        await expectError(.badRequest, containing: "header: unknown column \"mayor\" (column 4)") {
            _ = try await registry.harness.send(
                BeginImport(kind: .actors, header: ["name", "kind", "country", "mayor"]))
        }
        await expectError(.badRequest, containing: "header: missing column country") {
            _ = try await registry.harness.send(BeginImport(kind: .actors, header: ["name", "kind"]))
        }
        let opened = try await registry.harness.send(BeginImport(kind: .actors, header: ["name", "kind", "country"]))
        let progress = try await registry.harness.send(
            ImportRows(import: opened.import, firstLine: 2, csv: "Osh,city\n"))
        #expect(progress.rejected == [RejectedRow(line: 2, reason: "expected 3 fields as in the header, got 2")])
        _ = try await registry.harness.send(AbortImport(import: opened.import))
        await expectError(.notFound, containing: "no open import") {
            _ = try await registry.harness.send(ImportRows(import: opened.import, firstLine: 2, csv: "a,city,KG\n"))
        }
    }

    @Test func importedMembershipsRunTheRules() async throws {
        let registry = try await RegistryFixture()
        try await registry.jointMembershipRules()
        _ = try await registry.city("Jakarta", "ID", population: 10_600_000, capital: .national)
        _ = try await registry.city("Bogor", "ID", population: 1_100_000)
        _ = try await registry.city("Hue", "VN", population: 650_000)
        let rows = """
            Jakarta,ID,ASPAC,member,accession,
            Bogor,ID,ASPAC,member,manual,ASPAC secretariat
            Hue,VN,ASPAC,member,accession,
            Hue,VN,NOWHERE,member,accession,
            Ghost,VN,ASPAC,member,accession,

            """
        let (progress, id) = try await run(
            registry, .memberships, header: ["actor_name", "actor_country", "network", "role", "basis", "decided_by"],
            rows: rows, partial: true)
        #expect(progress.accepted == 3)
        #expect(progress.rejected.map(\.line) == [5, 6])
        #expect(progress.rejected[0].reason.contains("network: no network with id or acronym \"NOWHERE\""))
        #expect(progress.rejected[1].reason.contains("actor_name: no actor named \"Ghost\" in VN"))
        let summary = try await registry.harness.send(CommitImport(import: id))
        #expect(summary.imported == 3)
        // Jakarta and Bogor join Metropolis, and from there UCLG (ASPAC they are in already).
        #expect(summary.derived == 4)
        let joint = try await registry.harness.send(GetJointMembers(first: "ASPAC", second: "METROPOLIS"))
        #expect(joint.count == 2)
    }

    /// A membership the register refuses when it is written (the actor is a member already) fails the whole import
    /// with its line; a partial import counts it as rejected and writes the others.
    @Test func aMembershipRefusedAtWriteFailsTheImportUnlessPartial() async throws {
        let registry = try await RegistryFixture()
        _ = try await registry.network("ASPAC")
        let jakarta = try await registry.city("Jakarta", "ID")
        _ = try await registry.city("Bogor", "ID")
        _ = try await registry.join(jakarta, "ASPAC")
        let header = ["actor_name", "actor_country", "network", "role", "basis"]
        let rows = "Bogor,ID,ASPAC,member,accession\nJakarta,ID,ASPAC,member,accession\n"
        let seqBefore = registry.harness.journal.headSeq

        let (progress, id) = try await run(registry, .memberships, header: header, rows: rows)
        #expect(progress.accepted == 2, "both rows name a known actor and network")
        await expectError(.conflict, containing: "nothing was imported: line 3: Jakarta already has a membership") {
            _ = try await registry.harness.send(CommitImport(import: id))
        }
        #expect(registry.harness.journal.headSeq == seqBefore)
        #expect(try await registry.harness.send(ListMemberships(network: "ASPAC")).memberships.count == 1)

        let (_, partialID) = try await run(registry, .memberships, header: header, rows: rows, partial: true)
        let summary = try await registry.harness.send(CommitImport(import: partialID))
        #expect(summary.imported == 1)
        #expect(summary.rejected == 1)
        #expect(try await registry.harness.send(ListMemberships(network: "ASPAC")).memberships.count == 2)
    }
}
