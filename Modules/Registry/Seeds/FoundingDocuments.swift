public import ConcordKit
import Contracts
import Foundation

/// The four founding documents in `shared/seeds/`, recorded through the registry's commands, so that
/// `concordd --demo` shows a new user a realistic register. Loaded once: a register with networks is left alone.
///
/// Populations are the latest official figures known for each city, with their year; what the documents do not
/// say (member lists beyond the named parties, signatory names) is not invented.
public enum FoundingDocuments {

    struct Sender {
        let bus: any MessageBus
        func callAsFunction<C: Command>(_ command: C) async throws -> C.Reply {
            try await bus.send(command, context: CommandContext(requestID: "demo"))
        }
    }

    /// Records the seeds unless the register has networks already; returns whether it did.
    public static func load(into bus: any MessageBus) async throws -> Bool {
        let send = Sender(bus: bus)
        guard try await send(ListNetworks()).networks.isEmpty else { return false }
        try await metropolisAndAspac(send)
        try await mekong(send)
        try await anmc21(send)
        try await centralAsia(send)
        return true
    }

    static func city(
        _ send: Sender, _ name: String, _ country: String, population: Int64, year: Int, capital: CapitalStatus,
        zone: String, at coordinates: (Double, Double), kind: ActorKind = .city, otherNames: [String: String]? = nil
    ) async throws -> ActorRecord {
        try await send(
            RegisterActor(
                actor: ActorFields(
                    name: name, otherNames: otherNames, kind: kind, country: country, population: population,
                    populationYear: year, capital: capital, timeZone: zone,
                    coordinates: Coordinates(latitude: coordinates.0, longitude: coordinates.1))))
    }

    static func organisation(_ send: Sender, _ name: String, _ country: String, _ zone: String) async throws
        -> ActorRecord
    {
        try await send(
            RegisterActor(
                actor: ActorFields(name: name, kind: .internationalPartner, country: country, timeZone: zone)))
    }

    // MARK: 003 Metropolis and UCLG ASPAC

    static func metropolisAndAspac(_ send: Sender) async throws {
        let metropolis = try await organisation(send, "Metropolis Secretariat General", "ES", "Europe/Madrid")
        let aspac = try await organisation(send, "UCLG ASPAC Secretariat", "ID", "Asia/Jakarta")
        _ = try await send(
            CreateNetwork(name: "United Cities and Local Governments", acronym: "UCLG", foundedOn: "2004-05-05"))
        _ = try await send(
            CreateNetwork(
                name: "United Cities and Local Governments Asia-Pacific", acronym: "UCLG ASPAC", secretariat: aspac.id))
        _ = try await send(
            CreateNetwork(
                name: "Metropolis", acronym: "METROPOLIS", foundedOn: "1985-04-19", secretariat: metropolis.id))
        _ = try await send(
            DefineRule(
                name: "UCLG ASPAC members that are state capitals or have at least one million inhabitants join "
                    + "Metropolis",
                source: "UCLG ASPAC", target: "METROPOLIS",
                conditions: RuleConditions(capitals: [.national, .state], minPopulation: 1_000_000)))
        _ = try await send(
            DefineRule(
                name: "Metropolis members from the Asia-Pacific region join UCLG ASPAC", source: "METROPOLIS",
                target: "UCLG ASPAC", conditions: RuleConditions(regions: ["asia_pacific"])))
        _ = try await send(
            DefineRule(
                name: "Metropolis members from the Asia-Pacific region join UCLG", source: "METROPOLIS",
                target: "UCLG", conditions: RuleConditions(regions: ["asia_pacific"])))
        let areas = [
            "Opportunities for shared members to mutually benefit from the programs led by the Metropolis and UCLG "
                + "ASPAC which have common goals for both parties, namely through research work, projects and "
                + "activities targeted on urban diplomacy and advocacy, capacity building and gender mainstreaming.",
            "Optimisation of resources towards the local implementation of the 2030 Agenda for Sustainable "
                + "Development and the New Urban Agenda.",
            "The development of a metropolitan thinking across UCLG ASPAC",
            "The incorporation Asia Pacific perspectives in all relevant Metropolis work.",
        ]
        _ = try await send(
            RecordDeclaration(
                declaration: DeclarationFields(
                    title: "Collaboration agreement between Metropolis and UCLG ASPAC", kind: .agreement,
                    network: "METROPOLIS", adoptedOn: "2019-04-06", place: "Montevideo",
                    preamble: "Signed by the Secretaries-general of Metropolis and UCLG ASPAC to support both parties "
                        + "to fulfil their roles as sections of UCLG. Joint membership since 2007: ASPAC members that "
                        + "are state capitals or urban agglomerations of at least one million inhabitants "
                        + "automatically join Metropolis; Metropolis members from the Asia-Pacific region join UCLG "
                        + "and UCLG ASPAC.",
                    articles: areas.enumerated().map { Article(number: "\($0.offset + 1)", text: $0.element) },
                    parties: [
                        Party(actor: metropolis.id, signedOn: "2019-04-06"),
                        Party(actor: aspac.id, signedOn: "2019-04-06"),
                    ],
                    entryIntoForce: "2019-04-06", openToAccession: false,
                    focalPoint: AgreementFocalPoint(
                        actor: metropolis.id,
                        person: FocalPoint(
                            name: "Agnès Bickart", title: "Senior Manager for Institutional Relations & Asia",
                            language: "en")))))
    }

    // MARK: 000 Urban Mekong Corridor Initiative

    static func mekong(_ send: Sender) async throws {
        let vientiane = try await city(
            send, "Vientiane Capital", "LA", population: 1_001_477, year: 2023, capital: .national,
            zone: "Asia/Vientiane", at: (17.9757, 102.6331), kind: .localGovernment, otherNames: ["lo": "ນະຄອນຫຼວງວຽງຈັນ"]
        )
        _ = try await send(
            CreateNetwork(
                name: "Urban Mekong Corridor Initiative", acronym: "UMCI", foundedOn: "2024-02-27",
                foundedAt: "Vientiane, Lao PDR"))
        let commitments = [
            (
                "Collaborative Action",
                "Actively participate in collaborative efforts, sharing knowledge, resources, "
                    + "and good/best practices to address the critical challenges, risk and opportunities facing Mekong Basin."
            ),
            (
                "Inclusive Urban Approach",
                "Work towards an inclusive approach to urban development, ensuring that small "
                    + "and intermediary cities and local governments are given particular consideration and support."
            ),
            (
                "Inclusive Green Growth",
                "Promote and implement strategies for inclusive green growth, aligning "
                    + "sustainable economic development with environmental stewardship and social equity."
            ),
            (
                "Multi-Level Stakeholder Engagement",
                "Engage in open and inclusive communication and collaboration "
                    + "across various levels of governance and with all stakeholders, including civil society, the "
                    + "private sector, and international partners."
            ),
            (
                "Regular Participation and Review",
                "Meet bi-annually to review progress, discuss collective challenges, "
                    + "share experiences, and adapt strategies as needed, ensuring the continuous relevance and "
                    + "effectiveness of our efforts."
            ),
            (
                "Representation and Advocacy",
                "Represent the interests and needs of our respective cities, local "
                    + "governments, and organisations, advocating for policies, strategies, initiatives, and actions, "
                    + "that support the objectives of the Urban Mekong Initiative."
            ),
            ("Access to finance and technology", "Collaborate access to finance and technology."),
        ]
        _ = try await send(
            RecordDeclaration(
                declaration: DeclarationFields(
                    title: "Outcome for the 1st Dialogue of Urban Mekong Corridor Initiative", kind: .outcome,
                    network: "UMCI", adoptedOn: "2024-02-27", place: "Vientiane, Lao PDR",
                    preamble: "We, the stakeholders, representing various cities and local governments across the "
                        + "Mekong Corridor, along with representatives from civil society, the private sector, and "
                        + "international partners, hereby declare our commitment to the goals and principles of the "
                        + "Urban Mekong Corridor Initiative.",
                    articles: commitments.enumerated().map {
                        Article(number: "\($0.offset + 1)", title: $0.element.0, text: $0.element.1)
                    },
                    openToAccession: true)))
        _ = try await send(
            AddMembership(
                actor: vientiane.id, network: "UMCI", role: .host, start: "2024-02-27",
                basis: MembershipBasis(kind: .manual, decidedBy: "First Dialogue", decidedOn: "2024-02-27")))
    }

    // MARK: 001 ANMC21, Hanoi Declaration

    static func anmc21(_ send: Sender) async throws {
        let cities: [(String, String, Int64, Int, CapitalStatus, String, (Double, Double))] = [
            ("Bangkok", "TH", 5_494_932, 2023, .national, "Asia/Bangkok", (13.7563, 100.5018)),
            ("Hanoi", "VN", 8_435_700, 2022, .national, "Asia/Ho_Chi_Minh", (21.0278, 105.8342)),
            ("Jakarta", "ID", 10_562_088, 2020, .national, "Asia/Jakarta", (-6.2088, 106.8456)),
            ("Kuala Lumpur", "MY", 1_982_112, 2020, .national, "Asia/Kuala_Lumpur", (3.139, 101.6869)),
            ("Seoul", "KR", 9_386_034, 2023, .national, "Asia/Seoul", (37.5665, 126.978)),
            ("Singapore", "SG", 5_917_600, 2023, .national, "Asia/Singapore", (1.3521, 103.8198)),
            ("Tokyo", "JP", 14_047_594, 2020, .national, "Asia/Tokyo", (35.6762, 139.6503)),
            ("Tomsk", "RU", 568_195, 2021, .state, "Asia/Tomsk", (56.4977, 84.9744)),
        ]
        var members: [String: ActorRecord] = [:]
        for city in cities {
            members[city.0] = try await Self.city(
                send, city.0, city.1, population: city.2, year: city.3, capital: city.4, zone: city.5, at: city.6)
        }
        _ = try await send(CreateNetwork(name: "Asian Network of Major Cities 21", acronym: "ANMC21"))
        for city in cities {
            _ = try await send(
                // Members at least since the 12th Plenary, which the declaration says they all took part in.
                AddMembership(
                    actor: members[city.0]!.id, network: "ANMC21", role: city.0 == "Tokyo" ? .foundingMember : .member,
                    start: "2013-11-18",
                    basis: MembershipBasis(kind: .manual, decidedBy: "ANMC21 Plenary Meeting", decidedOn: "2013-11-19"))
            )
        }
        let articles = [
            "to further strengthen cooperation and share experiences in planning management in particular and "
                + "socio-economic development in general based on the common voice reached in the planning and "
                + "management of planning;",
            "to address the energy-related issues for sustainable urban development such as development of highly "
                + "qualified human resources for energy management, market development for high-performance "
                + "equipments, technology and energy-saving label products, development of electricity network in "
                + "sync with urban infrastructure;",
            "to agree on reviewing joint projects as well as pursuing the following new initiatives and engagement: "
                + "a. new joint project \"Platform for Technology and Industry\"; b. new framework \"Pilot Program\" "
                + "to deal with common and individual issues of cities in a timely manner by time limited and "
                + "one-off measures, launching the project \"Education for Urban Solutions\";",
            "to connect and share experiences in improving mechanisms and policies to attract investment, trade, and "
                + "tourism; supporting member cities' enterprises in search of cooperation opportunities;",
            "to welcome Tomsk to host the 13th Plenary Meeting of the ANMC21 at an appropriate date in 2014.",
        ]
        _ = try await send(
            RecordDeclaration(
                declaration: DeclarationFields(
                    title: "Hanoi Declaration", kind: .declaration, network: "ANMC21", adoptedOn: "2013-11-19",
                    place: "Hanoi (12th Plenary Meeting of the ANMC21, 18 to 19 November 2013)",
                    articles: articles.enumerated().map { Article(number: "\($0.offset + 1)", text: $0.element) },
                    parties: cities.map { Party(actor: members[$0.0]!.id, signedOn: "2013-11-19") })))
        for name in [
            "Infectious disease control", "Crisis management (emergency drills)", "Waste treatment",
            "Business meetings for companies",
        ] {
            _ = try await send(StartProject(network: "ANMC21", name: name, kind: .jointProject))
        }
        _ = try await send(
            StartProject(
                network: "ANMC21", name: "Platform for Technology and Industry", kind: .programme,
                description: "Regular expert meetings, cooperative studies and economic exchange such as trade fairs",
                participants: cities.map { members[$0.0]!.id }, start: "2013-11-19"))
        let pilot = try await send(
            StartProject(
                network: "ANMC21", name: "Pilot Program", kind: .programme,
                description: "Time-limited, one-off measures on common and individual issues of cities",
                start: "2013-11-19"))
        _ = try await send(
            StartProject(
                network: "ANMC21", name: "Education for Urban Solutions", kind: .pilotProgramme, parent: pilot.id,
                description: "Information sharing on cooperation between local government and universities; the "
                    + "declaration gives no end date, so it is set to the 13th Plenary year's end",
                start: "2013-11-19", end: "2014-12-31"))
    }

    // MARK: 002 Coalition of Sustainable Cities in Central Asia

    static func centralAsia(_ send: Sender) async throws {
        let parties = [
            try await city(
                send, "Akimat of Petropavlovsk", "KZ", population: 222_000, year: 2023, capital: .state,
                zone: "Asia/Almaty", at: (54.8728, 69.143), kind: .localGovernment),
            try await city(
                send, "Osh City Mayor's Office", "KG", population: 322_164, year: 2021, capital: .state,
                zone: "Asia/Bishkek", at: (40.5283, 72.7985), kind: .localGovernment),
            try await city(
                send, "Executive Body of the State Authority of Dushanbe", "TJ", population: 1_201_800, year: 2020,
                capital: .national, zone: "Asia/Dushanbe", at: (38.5598, 68.787), kind: .localGovernment),
            try await city(
                send, "Hakimlik of Ashgabat", "TM", population: 1_030_063, year: 2022, capital: .national,
                zone: "Asia/Ashgabat", at: (37.9601, 58.3261), kind: .localGovernment),
            try await city(
                send, "Hokimiyat of Namangan", "UZ", population: 708_500, year: 2023, capital: .state,
                zone: "Asia/Tashkent", at: (40.9983, 71.6726), kind: .localGovernment),
        ]
        let custodian = try await organisation(
            send, "Center for Emergency Situations and Disaster Risk Reduction", "KZ", "Asia/Almaty")
        _ = try await organisation(send, "United Nations Development Programme", "US", "America/New_York")
        _ = try await send(
            CreateNetwork(
                name: "Coalition of Sustainable Cities in Central Asia", acronym: "CSCCA", foundedOn: "2025-10-16",
                foundedAt: "Dushanbe"))
        let articles = [
            "The purpose of this Declaration is to establish a \"Coalition of Sustainable Cities of Central Asia\" "
                + "(hereinafter referred to as the Coalition) to strengthen interaction and cooperation, consolidate "
                + "actions, and expand partnerships to ensure inclusive, safe, and resilient cities in the face of "
                + "disaster risks and climate change.",
            "The Parties agree to develop interaction and intend to strengthen cooperation within the framework of "
                + "the Coalition and this Declaration, acting within the scope of their mandates, functions, and "
                + "competencies, based on compliance with national laws and international treaties, the principles "
                + "of voluntariness, equality, and mutual respect, without infringing on the rights and interests of "
                + "either Party.",
            "The Parties express their readiness and intend to fully support the efforts of UNDP and other "
                + "international organizations in the area of disaster risk reduction, adaptation, and mitigation to "
                + "climate change, to consolidate efforts to achieve the global Sustainable Development Goals, the "
                + "targets of the Paris Agreement, and the priorities and principles of the Sendai Framework for "
                + "Disaster Risk Reduction 2015-2030.",
            "The Parties intend to implement actions to ensure urban resilience through the provision of "
                + "comprehensive support and within the framework of the UN global initiative \"Making Cities "
                + "Resilient 2030,\" the UNDP regional project \"Enhancing Urban Resilience to Disaster Risks and "
                + "Climate Change in Central Asia,\" funded by the Government of Japan, and other international "
                + "initiatives.",
            "The Parties intend to jointly, with the support of development partners, develop and implement "
                + "practical measures to ensure urban resilience to disaster risks and climate change through: "
                + "a) special commissions and technical/thematic working groups; b) joint meetings, sessions, "
                + "trainings and consultations; c) joint research and projects to assess disaster risk and climate "
                + "change; d) reviewing environmental management mechanisms, critical infrastructure, disaster risk "
                + "management and emergency systems, and sustainable development planning.",
            "The Parties agree to develop and implement action plans to integrate disaster risk reduction and "
                + "climate change adaptation, which will serve as the basis for planning and implementing effective, "
                + "innovative urban planning approaches to ensure sustainable socio-economic development.",
            "The Parties, to expand cooperation and consolidate efforts to ensure urban resilience at the regional "
                + "level, have agreed to establish a \"Coalition of Sustainable Cities of Central Asian Countries.\"",
            "This Declaration is not an international treaty and does not create any rights or obligations for the "
                + "Parties or their states under international law.",
            "Disputes regarding the application or interpretation of this Declaration will be resolved through "
                + "consultations and negotiations.",
            "This Declaration is open to accession by other cities and interested parties.",
            "This Declaration shall enter into force on the date of its signature by the respective representatives "
                + "of the Parties, in one original copy in the Russian language. The original copy of the "
                + "Declaration will be kept by the Center for Emergency Situations and Disaster Risk Reduction, which "
                + "will send certified copies to the Parties.",
        ]
        _ = try await send(
            RecordDeclaration(
                declaration: DeclarationFields(
                    title: "Joint Declaration on the establishment of the Coalition of Sustainable Cities in Central "
                        + "Asia",
                    kind: .declaration, network: "CSCCA", founding: true, adoptedOn: "2025-10-16", place: "Dushanbe",
                    articles: articles.enumerated().map {
                        Article(number: "\($0.offset + 1)", title: "Article \($0.offset + 1)", text: $0.element)
                    },
                    parties: parties.map { Party(actor: $0.id, signedOn: "2025-10-16") },
                    entryIntoForce: "2025-10-16", openToAccession: true, custodian: custodian.id)))
        _ = try await send(
            CreateWorkingGroup(
                network: "CSCCA", name: "Disaster risk reduction and climate change adaptation", kind: .technical,
                mandate: "Integration of methods and approaches for disaster risk reduction and climate change "
                    + "adaptation, with representatives of all stakeholders",
                establishedBy: "Joint Declaration, Article 5 a"))
        _ = try await send(
            AdoptActionPlan(
                network: "CSCCA",
                title: "Action plan to integrate disaster risk reduction and climate change "
                    + "adaptation (Article 6)", themes: ["drr", "climate_adaptation"], adoptedOn: "2025-10-16",
                actions: []))
    }
}
