import ConcordKit
import Contracts
import Foundation

/// CSV files with a Frictionless Data Package descriptor (`datapackage.json`): a Table Schema per file with types,
/// enums as constraints, and primary and foreign keys between the files, so `frictionless validate` checks every
/// reference. Actors stream page by page: the register is never held whole.
struct DataPackageWriter: ExportWriter {
    func write(_ job: ExportJob) async throws -> ExportOutput {
        let register = RegisterScope(job)
        let networks = try await register.networks()
        let memberships = try await register.memberships()
        let declarations = try await register.declarations()
        let plans = try await register.actionPlans()
        let meetings = try await job.sources.meetings(network: job.network)
        let series = try await job.sources.series(network: job.network)

        var files: [(resource: JSONValue, digest: ExportFileDigest)] = []
        var counts: [String: Int] = [:]
        func table<Row>(_ definition: TableDefinition<Row>, _ rows: [Row]) throws {
            let writer = try CSVWriter(definition, in: job.folder)
            for row in rows { try writer.append(row) }
            let digest = try writer.commit()
            files.append((definition.resource(digest), digest))
            counts[definition.name] = writer.rows
        }

        // Actors first: the others refer to them, and the whole register streams through.
        var referenced = Set(memberships.map(\.actor))
        referenced.formUnion(networks.compactMap(\.secretariat))
        for declaration in declarations {
            referenced.formUnion(declaration.fields.parties.map(\.actor) + declaration.acceded.map(\.actor))
            if let custodian = declaration.fields.custodian { referenced.insert(custodian) }
        }
        referenced.formUnion(meetings.compactMap(\.fields.host) + series.compactMap(\.fields.host))
        for plan in plans {
            if let actor = plan.actor { referenced.insert(actor) }
            referenced.formUnion(plan.actions.compactMap(\.owner))
        }
        let actors = try CSVWriter(Tables.actors, in: job.folder)
        var present = Set<String>()
        try await register.actors(referenced: referenced) { page in
            for actor in page {
                try actors.append(actor)
                if job.network != nil { present.insert(actor.id) }
            }
        }
        let actorsDigest = try actors.commit()
        files.append((Tables.actors.resource(actorsDigest), actorsDigest))
        counts["actors"] = actors.rows
        let refs = References(networks: networks, actors: job.network == nil ? nil : present)

        try table(Tables.networks(refs), networks)
        try table(Tables.memberships, memberships.filter { refs.actor($0.actor) != nil })
        try table(Tables.declarations(refs), declarations)
        try table(
            Tables.parties,
            declarations.flatMap { declaration in
                declaration.fields.parties.map { PartyRow(declaration: declaration.id, party: $0, accession: nil) }
                    + declaration.acceded.map { PartyRow(declaration: declaration.id, party: nil, accession: $0) }
            }.filter { refs.actor($0.actor) != nil })
        try table(Tables.meetings(refs), meetings)
        try table(Tables.series(refs), series)
        try table(Tables.plans(refs), plans)
        try table(
            Tables.actions(refs), plans.flatMap { plan in plan.actions.map { ActionRow(plan: plan.id, action: $0) } })
        try table(
            Tables.indicators,
            plans.flatMap { plan in
                plan.actions.flatMap { action in
                    action.indicators.map { IndicatorRow(plan: plan.id, action: action.key, indicator: $0) }
                }
            })

        let descriptor: JSONValue = .object([
            "profile": "tabular-data-package",
            "name": .string(job.network.map { "concord-\(Self.slug($0.acronym))" } ?? "concord-register"),
            "title": .string(job.network.map { "\($0.name): register" } ?? "Concord register"),
            "description": .string(
                "Actors, networks, memberships (with their basis), declarations and their parties, meetings and series, action plans, actions and indicators."
            ),
            "created": .string(job.generatedAtText),
            "licenses": .array([
                .object([
                    "name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                    "title": "Creative Commons Attribution 4.0",
                ])
            ]),
            "concord": .object([
                "generator": .string(Generator.text), "head_seq": .int(Int64(job.headSeq)),
                "generated_at": .string(job.generatedAtText),
                "scope": job.network.map { .object(["network": .string($0.id)]) } ?? .object([:]),
            ]),
            "resources": .array(files.map(\.resource)),
        ])
        let package = try OutputFile(name: "datapackage.json", in: job.folder)
        try package.write(try Self.prettyJSON(descriptor))
        try package.write("\n")
        let packageDigest = try package.commit()
        return ExportOutput(files: [packageDigest] + files.map(\.digest), counts: counts)
    }

    static func prettyJSON(_ value: JSONValue) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// Lowercase letters, digits and `-`.
    static func slug(_ text: String) -> String {
        String(text.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" })
    }
}

/// How the tables name other rows: a network by its id (meetings may name it by acronym), and only rows the
/// package holds, so no foreign key dangles (an actor outside a network's package is left empty).
struct References: Sendable {
    let networks: [Network]
    /// The actors the package holds; nil when it holds them all.
    let actors: Set<String>?

    func actor(_ id: String?) -> String? {
        guard let id else { return nil }
        return actors.map { $0.contains(id) ? id : nil } ?? id
    }

    func network(_ key: String?) -> String? {
        guard let key else { return nil }
        return networks.first { $0.id == key || $0.acronym == key }?.id
    }
}

extension Column {
    /// A column of an enum: its constraint lists the type's cases.
    static func choice<E: CaseIterable & RawRepresentable & Sendable>(
        _ name: String, _ description: String, _ type: E.Type, required: Bool = false,
        _ value: @escaping @Sendable (Row) -> E?
    ) -> Column where E.RawValue == String {
        Column(
            name: name, type: "string", description: description, required: required,
            values: E.allCases.map(\.rawValue)
        ) { value($0)?.rawValue }
    }
}

extension TableDefinition.ForeignKey {
    /// `field` names a row of `actors.csv`.
    static func actor(_ field: String) -> Self { Self(fields: [field], resource: "actors", reference: ["id"]) }
    /// `field` names a row of `networks.csv`.
    static func network(_ field: String) -> Self { Self(fields: [field], resource: "networks", reference: ["id"]) }
}

struct PartyRow {
    var declaration: String
    var party: Party?
    var accession: Accession?
    var actor: String { party?.actor ?? accession?.actor ?? "" }
}

struct ActionRow {
    var plan: String
    var action: PlanAction
}

struct IndicatorRow {
    var plan: String
    var action: String
    var indicator: Indicator
}

/// The tables of the data package.
enum Tables {
    private static func number(_ value: Double?) -> String? {
        guard let value else { return nil }
        return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    static let actors = TableDefinition<ActorRecord>(
        name: "actors", title: "Actors: cities, local governments, partners",
        columns: [
            Column(name: "id", type: "string", description: "Concord's id of the actor", required: true) { $0.id },
            Column(name: "name", type: "string", description: "Name", required: true) { $0.fields.name },
            Column.choice("kind", "Kind of actor", ActorKind.self, required: true) { $0.fields.kind },
            Column(
                name: "country", type: "string", description: "ISO 3166-1 alpha-2 country code", required: true,
                pattern: "^[A-Z]{2}$"
            ) { $0.fields.country },
            Column(name: "region", type: "string", description: "UN M49 region code") { $0.region },
            Column(name: "region_name", type: "string", description: "UN M49 region name") { $0.regionName },
            Column(name: "population", type: "integer", description: "Inhabitants") {
                $0.fields.population.map(String.init)
            },
            Column(name: "population_year", type: "integer", description: "Year of the population figure") {
                $0.fields.populationYear.map(String.init)
            },
            Column.choice("capital", "Capital status", CapitalStatus.self) { $0.fields.capital },
            Column.choice("size_class", "City size class by population", SizeClass.self) { $0.sizeClass },
            Column(name: "time_zone", type: "string", description: "IANA time zone") { $0.fields.timeZone },
            Column(name: "location", type: "geopoint", description: "Longitude, latitude (WGS 84)") { actor in
                actor.fields.coordinates.map { "\($0.longitude), \($0.latitude)" }
            },
            Column(name: "languages", type: "string", description: "Languages (BCP 47), space-separated") {
                $0.fields.languages?.joined(separator: " ")
            },
            Column(name: "other_names", type: "object", description: "Names in other languages, by language") {
                actor in
                guard let names = actor.fields.otherNames, !names.isEmpty else { return nil }
                let sorted = names.sorted { $0.key < $1.key }.reduce(into: JSONObject()) {
                    $0[$1.key] = .string($1.value)
                }
                return try? JSONStreamEncoder.text(JSONValue.object(sorted))
            },
            Column(name: "inactive_since", type: "date", description: "No longer active since") { $0.inactiveSince },
        ],
        primaryKey: ["id"])

    static func networks(_ refs: References) -> TableDefinition<Network> {
        TableDefinition(
            name: "networks", title: "Networks of cities",
            columns: [
                Column(name: "id", type: "string", description: "Concord's id of the network", required: true) {
                    $0.id
                },
                Column(name: "name", type: "string", description: "Name", required: true) { $0.name },
                Column(name: "acronym", type: "string", description: "Acronym", required: true) { $0.acronym },
                Column(name: "founded_on", type: "date", description: "Founding date") { $0.foundedOn },
                Column(name: "founded_at", type: "string", description: "Founding place") { $0.foundedAt },
                Column(name: "secretariat", type: "string", description: "Actor hosting the secretariat") {
                    refs.actor($0.secretariat)
                },
            ],
            primaryKey: ["id"],
            foreignKeys: [.actor("secretariat")])
    }

    static let memberships = TableDefinition<Membership>(
        name: "memberships", title: "Memberships of actors in networks, with their basis",
        columns: [
            Column(name: "id", type: "string", description: "Concord's id of the membership", required: true) {
                $0.id
            },
            Column(name: "actor", type: "string", description: "The member", required: true) { $0.actor },
            Column(name: "network", type: "string", description: "The network", required: true) { $0.network },
            Column.choice("role", "Role", MembershipRole.self, required: true) { $0.role },
            Column.choice("status", "Status", MembershipStatus.self, required: true) { $0.status },
            Column(name: "start", type: "date", description: "Start") { $0.start },
            Column(name: "end", type: "date", description: "End") { $0.end },
            Column.choice("basis", "What the membership rests on", BasisKind.self, required: true) { $0.basis.kind },
            Column(name: "basis_rule", type: "string", description: "The membership rule that derived it") {
                $0.basis.rule
            },
            Column(name: "basis_source", type: "string", description: "The membership it was derived from") {
                $0.basis.source
            },
            Column(name: "decided_by", type: "string", description: "Who decided a manual membership") {
                $0.basis.decidedBy
            },
            Column(name: "decided_on", type: "date", description: "When it was decided") { $0.basis.decidedOn },
            Column(name: "declaration", type: "string", description: "The declaration signed or acceded to") {
                $0.basis.declaration
            },
            Column(name: "application", type: "string", description: "The accession application") {
                $0.basis.application
            },
            Column(name: "end_reason", type: "string", description: "Why it ended") { $0.endReason },
        ],
        primaryKey: ["id"],
        foreignKeys: [
            .actor("actor"),
            .network("network"),
        ])

    static func declarations(_ refs: References) -> TableDefinition<Declaration> {
        TableDefinition(
            name: "declarations", title: "Declarations and agreements",
            columns: [
                Column(name: "id", type: "string", description: "Concord's id", required: true) { $0.id },
                Column(name: "title", type: "string", description: "Title", required: true) { $0.fields.title },
                Column.choice("kind", "Kind", DeclarationKind.self, required: true) { $0.fields.kind },
                Column(name: "network", type: "string", description: "The network it founds or belongs to") {
                    refs.network($0.fields.network)
                },
                Column(name: "adopted_on", type: "date", description: "Adopted on") { $0.fields.adoptedOn },
                Column(name: "place", type: "string", description: "Place of adoption") { $0.fields.place },
                Column(name: "entry_into_force", type: "date", description: "Entry into force") {
                    $0.fields.entryIntoForce
                },
                Column(name: "open_to_accession", type: "boolean", description: "Open to accession") {
                    $0.fields.openToAccession.map { $0 ? "true" : "false" }
                },
                Column(name: "custodian", type: "string", description: "The actor keeping the original") {
                    refs.actor($0.fields.custodian)
                },
                Column(name: "articles", type: "integer", description: "Number of articles or commitments") {
                    String($0.fields.articles.count)
                },
            ],
            primaryKey: ["id"],
            foreignKeys: [
                .network("network"),
                .actor("custodian"),
            ])
    }

    static let parties = TableDefinition<PartyRow>(
        name: "declaration_parties", title: "Parties to declarations: signatories and accessions",
        columns: [
            Column(name: "declaration", type: "string", description: "The declaration", required: true) {
                $0.declaration
            },
            Column(name: "actor", type: "string", description: "The party", required: true) { $0.actor },
            Column(
                name: "via", type: "string", description: "How it became a party", required: true,
                values: ["signature", "accession"]
            ) { $0.party != nil ? "signature" : "accession" },
            Column(name: "on", type: "date", description: "Signed or acceded on") {
                $0.party?.signedOn ?? $0.accession?.on
            },
            Column(name: "signatory", type: "string", description: "Who signed") { $0.party?.signatory?.name },
            Column(name: "signatory_title", type: "string", description: "The signatory's title") {
                $0.party?.signatory?.title
            },
            Column(name: "application", type: "string", description: "The accession application") {
                $0.accession?.application
            },
        ],
        primaryKey: ["declaration", "actor"],
        foreignKeys: [
            .init(fields: ["declaration"], resource: "declarations", reference: ["id"]),
            .actor("actor"),
        ])

    static func meetings(_ refs: References) -> TableDefinition<Meeting> {
        TableDefinition(
            name: "meetings", title: "Meetings",
            columns: [
                Column(name: "id", type: "string", description: "Concord's id", required: true) { $0.id },
                Column.choice("kind", "Kind", MeetingKind.self, required: true) { $0.fields.kind },
                Column(name: "title", type: "string", description: "Title", required: true) { $0.fields.title },
                Column(name: "number", type: "integer", description: "Number in its series") {
                    $0.fields.number.map(String.init)
                },
                Column(name: "network", type: "string", description: "The network") { refs.network($0.fields.network) },
                Column(name: "host", type: "string", description: "The hosting actor") { refs.actor($0.fields.host) },
                Column.choice("status", "Status", MeetingStatus.self) { ($0.fields.status ?? .planned) },
                Column(name: "start", type: "string", description: "Local start (date-time, or date when all-day)") {
                    $0.fields.start
                },
                Column(name: "end", type: "string", description: "Local end") { $0.fields.end },
                Column(name: "time_zone", type: "string", description: "IANA time zone") { $0.fields.timeZone },
                Column(name: "start_utc", type: "datetime", description: "Start, UTC") { $0.startUTC },
                Column(name: "end_utc", type: "datetime", description: "End, UTC") { $0.endUTC },
            ],
            primaryKey: ["id"],
            foreignKeys: [
                .network("network"),
                .actor("host"),
            ])
    }

    static func series(_ refs: References) -> TableDefinition<Series> {
        TableDefinition(
            name: "series", title: "Series of meetings (RFC 5545 recurrences)",
            columns: [
                Column(name: "id", type: "string", description: "Concord's id", required: true) { $0.id },
                Column.choice("kind", "Kind", MeetingKind.self, required: true) { $0.fields.kind },
                Column(name: "title", type: "string", description: "Title of the occurrences", required: true) {
                    $0.fields.title
                },
                Column(name: "network", type: "string", description: "The network") { refs.network($0.fields.network) },
                Column(name: "dtstart", type: "string", description: "First start, local") { $0.fields.dtstart },
                Column(name: "duration", type: "string", description: "ISO 8601 duration") { $0.fields.duration },
                Column(name: "time_zone", type: "string", description: "IANA time zone") { $0.fields.timeZone },
                Column(name: "rrule", type: "string", description: "RFC 5545 RRULE") { $0.fields.rrule },
                Column(name: "rdates", type: "string", description: "Added starts, space-separated") {
                    $0.fields.rdates?.joined(separator: " ")
                },
                Column(name: "exdates", type: "string", description: "Removed starts, space-separated") {
                    $0.fields.exdates?.joined(separator: " ")
                },
                Column(name: "host", type: "string", description: "Host of every occurrence") {
                    refs.actor($0.fields.host)
                },
            ],
            primaryKey: ["id"],
            foreignKeys: [
                .network("network"),
                .actor("host"),
            ])
    }

    static func plans(_ refs: References) -> TableDefinition<ActionPlan> {
        TableDefinition(
            name: "action_plans", title: "Action plans",
            columns: [
                Column(name: "id", type: "string", description: "Concord's id", required: true) { $0.id },
                Column(name: "network", type: "string", description: "The network", required: true) { $0.network },
                Column(name: "actor", type: "string", description: "The member whose plan it is") {
                    refs.actor($0.actor)
                },
                Column(name: "title", type: "string", description: "Title", required: true) { $0.title },
                Column(name: "themes", type: "string", description: "Themes, space-separated") {
                    $0.themes.joined(separator: " ")
                },
                Column(name: "adopted_on", type: "date", description: "Adopted on") { $0.adoptedOn },
            ],
            primaryKey: ["id"],
            foreignKeys: [
                .network("network"),
                .actor("actor"),
            ])
    }

    static func actions(_ refs: References) -> TableDefinition<ActionRow> {
        TableDefinition(
            name: "plan_actions", title: "Actions of action plans",
            columns: [
                Column(name: "plan", type: "string", description: "The plan", required: true) { $0.plan },
                Column(name: "key", type: "string", description: "Number within the plan", required: true) {
                    $0.action.key
                },
                Column(name: "title", type: "string", description: "Title", required: true) { $0.action.title },
                Column(name: "owner", type: "string", description: "The actor responsible") {
                    refs.actor($0.action.owner)
                },
                Column(name: "deadline", type: "date", description: "Deadline") { $0.action.deadline },
                Column.choice("status", "Status", ActionStatus.self, required: true) { $0.action.status },
            ],
            primaryKey: ["plan", "key"],
            foreignKeys: [
                .init(fields: ["plan"], resource: "action_plans", reference: ["id"]),
                .actor("owner"),
            ])
    }

    static let indicators = TableDefinition<IndicatorRow>(
        name: "indicators", title: "Indicators of actions: baseline, target and latest value",
        columns: [
            Column(name: "plan", type: "string", description: "The plan", required: true) { $0.plan },
            Column(name: "action", type: "string", description: "The action's key", required: true) { $0.action },
            Column(name: "key", type: "string", description: "Key within the action", required: true) {
                $0.indicator.key
            },
            Column(name: "name", type: "string", description: "Name", required: true) { $0.indicator.name },
            Column(name: "unit", type: "string", description: "Unit") { $0.indicator.unit },
            Column(name: "baseline", type: "number", description: "Baseline") { number($0.indicator.baseline) },
            Column(name: "target", type: "number", description: "Target") { number($0.indicator.target) },
            Column(name: "current", type: "number", description: "Latest value reported") {
                number($0.indicator.current)
            },
            Column(name: "reported_on", type: "date", description: "When the latest value was reported") {
                $0.indicator.reportedOn
            },
        ],
        primaryKey: ["plan", "action", "key"],
        foreignKeys: [.init(fields: ["plan", "action"], resource: "plan_actions", reference: ["plan", "key"])])
}
