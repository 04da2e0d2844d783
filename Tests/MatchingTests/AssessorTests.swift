import Contracts
import Testing

@testable import Matching

/// A small register and offers to screen against.
enum Fixture {
    static let pakse = facts("pakse", "Pakse", "LA", "035", .intermediary)
    static let vientiane = facts("vte", "Vientiane Capital", "LA", "035", .large)
    static let tomsk = facts("tomsk", "Tomsk", "RU", "151", .large)

    static func facts(_ id: String, _ name: String, _ country: String, _ region: String, _ size: SizeClass)
        -> ActorFacts
    {
        var fields = ActorFields(name: name, kind: .city, country: country)
        fields.population = size == .intermediary ? 90_000 : 1_500_000
        return ActorFacts(ActorRecord(id: id, fields: fields, region: region, regionName: region, version: 1))
    }

    static func need(
        id: String = "n1", actors: [String] = ["pakse"], sectors: [String] = ["140"],
        stage: ProjectStage = .concept, budget: AmountRange = AmountRange(min: 200_000, max: 600_000, currency: "USD"),
        deadline: String? = nil, text: String = "drainage canals and flood warning"
    ) -> Need {
        Need(
            id: id,
            fields: NeedFields(
                actors: actors, title: "Drainage", description: text, sectors: sectors, stage: stage, budget: budget,
                deadline: deadline),
            version: 1)
    }

    static func fund(_ id: String = "o1", _ change: (inout OfferFields) -> Void = { _ in }) -> Offer {
        var fields = OfferFields(
            kind: .finance, title: "Gap fund", description: "flood drainage for cities", sectors: ["140", "740"],
            instrument: "D02", ticket: AmountRange(min: 50_000, max: 1_000_000, currency: "USD"),
            capacity: Capacity(projects: 2))
        change(&fields)
        return Offer(id: id, fields: fields, allocated: Capacity(), version: 1)
    }

    static func assessor(
        today: String = "2026-12-03", rates: ExchangeRates? = nil, declined: [PairKey: Match] = [:],
        needs: [Need] = [], offers: [Offer] = []
    ) -> Assessor {
        var text = TextIndex()
        for need in needs { text.set("n:" + need.id, text: Assessor.text(of: need)) }
        for offer in offers { text.set("o:" + offer.id, text: Assessor.text(of: offer)) }
        text.freeze()
        for need in needs { text.set("n:" + need.id, text: Assessor.text(of: need)) }
        for offer in offers { text.set("o:" + offer.id, text: Assessor.text(of: offer)) }
        return Assessor(
            facts: [pakse.id: pakse, vientiane.id: vientiane, tomsk.id: tomsk], rates: rates, today: today, text: text,
            declined: declined, acceptedRegions: [:])
    }
}

@Suite struct ScreeningTests {
    func rule(_ need: Need, _ offer: Offer, _ assessor: Assessor = Fixture.assessor()) -> String? {
        assessor.exclusion(need, offer)?.0
    }

    @Test func anEligiblePairPasses() {
        #expect(rule(Fixture.need(), Fixture.fund()) == nil)
    }

    @Test func eachRuleExcludesWithItsName() {
        let need = Fixture.need()
        var closed = Fixture.fund()
        closed.fields.status = .closed
        #expect(rule(need, closed) == "status")
        #expect(rule(need, Fixture.fund { $0.window = Window(opens: "2027-01-01") }) == "window")
        #expect(rule(need, Fixture.fund { $0.window = Window(opens: "2026-01-01", closes: "2026-11-30") }) == "window")
        var full = Fixture.fund()
        full.allocated = Capacity(projects: 2)
        #expect(rule(need, full) == "capacity")
        #expect(rule(need, Fixture.fund { $0.countries = ["KH", "VN"] }) == "country")
        #expect(rule(need, Fixture.fund { $0.regions = ["143"] }) == "region")
        #expect(
            rule(Fixture.need(actors: ["vte"]), Fixture.fund { $0.sizeClasses = [.small, .intermediary] })
                == "size_class")
        #expect(rule(Fixture.need(sectors: ["210"]), Fixture.fund()) == "sector")
        #expect(rule(need, Fixture.fund { $0.stages = [.feasibility] }) == "stage")
        #expect(
            rule(Fixture.need(budget: AmountRange(min: 1, max: 10_000, currency: "USD")), Fixture.fund()) == "ticket")
        #expect(
            rule(Fixture.need(budget: AmountRange(min: 2_000_000, max: 3_000_000, currency: "USD")), Fixture.fund())
                == "ticket")
        #expect(rule(need, Fixture.fund { $0.capacity = Capacity(amount: 100_000) }) == "capacity")
        #expect(rule(Fixture.need(actors: ["unknown"]), Fixture.fund()) == "member")
    }

    @Test func theReasonIsInWordsToForward() {
        let (_, reason) = Fixture.assessor().exclusion(Fixture.need(), Fixture.fund { $0.countries = ["KH", "VN"] })!
        #expect(reason == "Pakse is in LA, and the offer is open to KH, VN only")
        let (_, ticket) = Fixture.assessor().exclusion(
            Fixture.need(budget: AmountRange(min: 1, max: 10_000, currency: "USD")), Fixture.fund())!
        #expect(ticket == "the budget of at most 10000 USD is below the smallest ticket of 50000 USD")
    }

    @Test func theFirstFailingRuleIsReported() {
        // Closed window and wrong sector: the window comes first.
        let offer = Fixture.fund { $0.window = Window(opens: "2027-01-01") }
        #expect(rule(Fixture.need(sectors: ["210"]), offer) == "window")
    }

    @Test func currenciesConvertOnlyThroughTheOperatorsRates() {
        let need = Fixture.need(budget: AmountRange(min: 4_300_000_000, max: 8_600_000_000, currency: "LAK"))
        #expect(rule(need, Fixture.fund()) == "currency")
        let rates = ExchangeRates(date: "2026-12-01", base: "USD", rates: ["LAK": 21_500])
        #expect(rule(need, Fixture.fund(), Fixture.assessor(rates: rates)) == nil)
        let range = Fixture.assessor(rates: rates).convert(need.fields.budget, to: "USD")!
        #expect(range.min == 200_000 && range.max == 400_000)
        // Between two non-base currencies, through the base.
        let euro = ExchangeRates(date: "2026-12-01", base: "USD", rates: ["LAK": 21_500, "EUR": 0.5])
        #expect(Assessor.factor(from: "LAK", to: "EUR", rates: euro) == 0.5 / 21_500)
    }

    @Test func aDeclinedPairIsExcluded() {
        let key = PairKey(need: "n1", offer: "o1")
        let declined = Match(
            need: "n1", offer: "o1", state: .declined, score: 50, declinedBy: .provider, reason: "out of scope")
        let (rule, reason) = Fixture.assessor(declined: [key: declined]).exclusion(Fixture.need(), Fixture.fund())!
        #expect(rule == "declined")
        #expect(reason == "the provider declined this match: out of scope")
    }
}

@Suite struct ScoringTests {
    func components(_ need: Need, _ offer: Offer, _ assessor: Assessor? = nil) -> [String: Double] {
        let assessor = assessor ?? Fixture.assessor(needs: [need], offers: [offer])
        let parts = assessor.assess(need, offer, explain: true).components ?? []
        return Dictionary(uniqueKeysWithValues: parts.map { ($0.name, $0.value) })
    }

    @Test func thePartsAddUpToTheScore() {
        let need = Fixture.need()
        let offer = Fixture.fund()
        let assessment = Fixture.assessor(needs: [need], offers: [offer]).assess(need, offer, explain: true)
        let sum = assessment.components!.reduce(0) { $0 + $1.points }
        #expect(abs(sum - assessment.score!) < 0.01)
        #expect(assessment.components!.map(\.weight).reduce(0, +) == 100)
    }

    @Test func sectorIsTheShareOfTheNeedsSectorsCovered() {
        #expect(components(Fixture.need(sectors: ["140", "210"]), Fixture.fund())["sector"] == 0.5)
        #expect(components(Fixture.need(sectors: ["140", "740"]), Fixture.fund())["sector"] == 1)
    }

    @Test func budgetIsTheShareOfTheRangeInsideTheTicket() {
        let need = Fixture.need(budget: AmountRange(min: 0, max: 100_000, currency: "USD"))
        #expect(components(need, Fixture.fund())["budget"] == 0.5)
    }

    @Test func stageIsNearnessToTheLatestStageTaken() {
        #expect(components(Fixture.need(stage: .readyToFinance), Fixture.fund())["stage"] == 1)
        #expect(components(Fixture.need(stage: .idea), Fixture.fund())["stage"] == 0)
        #expect(
            components(Fixture.need(stage: .concept), Fixture.fund { $0.stages = [.idea, .concept] })["stage"] == 1)
    }

    @Test func urgencyGrowsAsTheDeadlineNears() {
        #expect(components(Fixture.need(), Fixture.fund())["urgency"] == 0)
        #expect(components(Fixture.need(deadline: "2027-12-03"), Fixture.fund())["urgency"] == 0)
        let soon = components(Fixture.need(deadline: "2027-01-02"), Fixture.fund())["urgency"]!
        #expect(abs(soon - (1 - 30.0 / 365)) < 0.001)
    }

    @Test func smallAndIntermediaryCitiesComeFirst() {
        #expect(components(Fixture.need(actors: ["pakse"]), Fixture.fund())["small_cities"] == 1)
        #expect(components(Fixture.need(actors: ["vte"]), Fixture.fund())["small_cities"] == 0)
    }

    @Test func regionalBalanceFavoursRegionsTheOfferHasNotServed() {
        var assessor = Fixture.assessor()
        assessor.acceptedRegions = ["o1": ["035", "035", "151", "151"]]
        #expect(components(Fixture.need(), Fixture.fund(), assessor)["regional_balance"] == 0.5)
        assessor.acceptedRegions = ["o1": ["151"]]
        #expect(components(Fixture.need(), Fixture.fund(), assessor)["regional_balance"] == 1)
    }

    @Test func relevantTextScoresHigher() {
        let related = Fixture.need(id: "a", text: "flood drainage canals")
        let unrelated = Fixture.need(id: "b", text: "school textbooks and teacher training")
        let offer = Fixture.fund()
        let assessor = Fixture.assessor(needs: [related, unrelated], offers: [offer])
        #expect(components(related, offer, assessor)["text"]! > components(unrelated, offer, assessor)["text"]!)
    }
}

@Suite struct TextIndexTests {
    @Test func wordsAreLowercasedLettersAndDigits() {
        #expect(TextIndex.tokens("Flood-warning, 2026: Cần Thơ!") == ["flood", "warning", "2026", "cần", "thơ"])
    }

    @Test func scriptsWithoutSpacesAreCutIntoPairs() {
        #expect(TextIndex.tokens("防災計画") == ["防", "防災", "災計", "計画"])
        #expect(TextIndex.tokens("น้ำท่วม").count > 1)
    }

    @Test func rarerTermsWeighMore() {
        var index = TextIndex()
        index.set("a", text: "flood drainage city")
        index.set("b", text: "city transport city")
        index.set("c", text: "city energy")
        index.freeze()
        for (key, text) in [("a", "flood drainage city"), ("b", "city transport city"), ("c", "city energy")] {
            index.set(key, text: text)
        }
        index.set("q1", text: "drainage")
        index.set("q2", text: "city")
        let rare = TextIndex.relevance(index.documents["q1"], index.documents["a"])
        let common = TextIndex.relevance(index.documents["q2"], index.documents["a"])
        #expect(rare > common)
        #expect(TextIndex.relevance(index.documents["q1"], index.documents["b"]) == 0)
        // Weights use the statistics as frozen: a new document changes no other document's weights.
        index.set("d", text: "drainage drainage drainage")
        #expect(TextIndex.relevance(index.documents["q1"], index.documents["a"]) == rare)
        index.remove("a")
        #expect(TextIndex.relevance(index.documents["q1"], index.documents["a"]) == 0)
    }

    /// The bulk pass's laid-out document gives the merge's relevance to the last bit, one document after another
    /// (each load clears the last), with words numbered after it was sized.
    @Test func aScatteredDocumentGivesTheSameRelevanceAsTheMerge() {
        var random = SplitMix(state: 8)
        var index = TextIndex()
        let words = (0..<60).map { "w\($0)" } + ["flood", "ນ້ຳຖ້ວມ", "防災計画", "Душанбе"]
        func text() -> String {
            (0..<(1 + random.below(12))).map { _ in words[random.below(words.count)] }.joined(separator: " ")
        }
        for key in 0..<40 { index.set("d\(key)", text: text()) }
        index.freeze()
        var scattered = TextIndex.Scattered(words: 10)
        for key in 0..<40 {
            index.set("late\(key)", text: text() + " new\(key)")
        }
        var shared = 0
        for a in index.documents.keys.sorted() {
            scattered.load(index.documents[a])
            for b in index.documents.keys.sorted() {
                let merged = TextIndex.relevance(index.documents[a], index.documents[b])
                #expect(scattered.relevance(index.documents[b]).bitPattern == merged.bitPattern, "\(a) x \(b)")
                if merged > 0 { shared += 1 }
            }
        }
        #expect(shared > 1000)
        scattered.load(nil)
        #expect(scattered.relevance(index.documents["d0"]) == 0)
    }
}

@Suite struct ShortlistTests {
    /// A register of needs and offers with varied sectors, stages and budgets.
    static func state(needs: Int, offers: Int, seed: UInt64) -> MatchingState {
        var random = SplitMix(state: seed)
        var state = MatchingState()
        state.set(Fixture.pakse)
        state.set(Fixture.vientiane)
        let sectors = ["140", "210", "410", "740"]
        let words = ["flood", "drainage", "water", "transport", "energy", "waste", "warning", "sanitation"]
        for index in 0..<offers {
            let offer = Fixture.fund("o\(index)") { fields in
                fields.sectors = [sectors[random.below(4)], sectors[random.below(4)]]
                fields.description = (0..<4).map { _ in words[random.below(words.count)] }.joined(separator: " ")
                fields.capacity = Capacity(projects: 1 + random.below(2))
            }
            state.set(offer)
        }
        for index in 0..<needs {
            let need = Fixture.need(
                id: "n\(index)", actors: [random.below(2) == 0 ? "pakse" : "vte"], sectors: [sectors[random.below(4)]],
                stage: ProjectStage.allCases[random.below(5)],
                text: (0..<5).map { _ in words[random.below(words.count)] }.joined(separator: " "))
            state.set(need)
        }
        return state
    }

    @Test func incrementalUpdatesMatchARebuild() {
        var state = Self.state(needs: 30, offers: 12, seed: 5)
        state.rebuild(today: "2026-12-03")
        var random = SplitMix(state: 11)
        for step in 0..<20 {
            if step % 2 == 0 {
                let need = Fixture.need(
                    id: "new\(step)", sectors: [["140", "740"][random.below(2)]], text: "flood water warning")
                state.set(need)
                let changes = state.refresh(need: need.id, today: "2026-12-03")
                #expect(changes.contains { $0.need == need.id } || state.needLists[need.id, default: []].isEmpty)
            } else {
                var offer = state.offers["o\(random.below(12))"]!
                offer.fields.capacity = Capacity(projects: 0)
                state.set(offer)
                _ = state.refresh(offer: offer.id, today: "2026-12-03")
            }
            var rebuilt = state
            rebuilt.rebuild(today: "2026-12-03", refreshingStatistics: false)
            #expect(state.needLists.filter { !$0.value.isEmpty } == rebuilt.needLists.filter { !$0.value.isEmpty })
            #expect(state.offerLists.filter { !$0.value.isEmpty } == rebuilt.offerLists.filter { !$0.value.isEmpty })
        }
    }

    /// The bulk scorer and the assessor that explains agree on every pair: eligibility and score.
    @Test func theScorerAgreesWithTheAssessor() {
        var state = Self.state(needs: 40, offers: 15, seed: 21)
        state.set(ExchangeRates(date: "2026-12-01", base: "USD", rates: ["LAK": 21_500]))
        state.rebuild(today: "2026-12-03")
        let assessor = state.assessor(today: "2026-12-03")
        var eligible = 0
        for need in state.needs.values {
            let list = state.fullList(need: need.id, today: "2026-12-03", k: 100)
            for offer in state.offers.values {
                let assessment = assessor.assess(need, offer, explain: false)
                #expect(list.first { $0.id == offer.id }?.score == assessment.score, "\(need.id) x \(offer.id)")
                if assessment.eligible { eligible += 1 }
            }
        }
        #expect(eligible > 50)
    }

    @Test func anUnchangedShortlistEmitsNothing() {
        var state = Self.state(needs: 10, offers: 5, seed: 3)
        state.rebuild(today: "2026-12-03")
        #expect(state.refresh(need: "n0", today: "2026-12-03").isEmpty)
        #expect(state.refresh(offer: "o0", today: "2026-12-03").isEmpty)
    }

    @Test func theAllocationIsOptimalDeterministicAndWithinCapacity() {
        var state = Self.state(needs: 9, offers: 4, seed: 8)
        state.rebuild(today: "2026-12-03")
        let allocation = state.allocation(today: "2026-12-03")
        #expect(allocation.optimal)
        #expect(allocation == state.allocation(today: "2026-12-03"))
        var load: [String: Int] = [:]
        for assignment in allocation.assignments { load[assignment.offer, default: 0] += 1 }
        for (offer, count) in load { #expect(count <= state.offers[offer]!.fields.capacity!.projects!) }
        // Brute force over the same scores.
        let assessor = state.assessor(today: "2026-12-03")
        let needs = state.needs.keys.sorted()
        let offers = state.offers.keys.sorted()
        var best = 0.0
        var used: [String: Int] = [:]
        func visit(_ index: Int, _ total: Double) {
            guard index < needs.count else {
                best = max(best, total)
                return
            }
            visit(index + 1, total)
            for offer in offers where used[offer, default: 0] < state.offers[offer]!.fields.capacity!.projects! {
                guard
                    let score = assessor.assess(state.needs[needs[index]]!, state.offers[offer]!, explain: false).score
                else { continue }
                used[offer, default: 0] += 1
                visit(index + 1, total + score)
                used[offer, default: 0] -= 1
            }
        }
        visit(0, 0)
        #expect(abs(best - allocation.total) < 1e-6)
    }
}
