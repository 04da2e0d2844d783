import Contracts
import Foundation
import Synchronization

/// Everything the module holds, in memory, with the shortlists kept current as needs, offers, capacities and
/// decisions change: a change re-assesses only the need or offer it touches (one row or column of the pairs),
/// never all pairs, and reports the shortlists that changed.
///
/// Every change goes through the `set` methods, which keep the compiled forms the scorer reads in step.
struct MatchingState: Sendable {
    static let shortlistLength = 10

    private(set) var needs: [String: Need] = [:]
    private(set) var offers: [String: Offer] = [:]
    private(set) var facts: [String: ActorFacts] = [:]
    private(set) var rates: ExchangeRates?
    private(set) var matches: [PairKey: Match] = [:]
    private(set) var text = TextIndex()
    var needLists: [String: [Shortlist.Entry]] = [:]
    var offerLists: [String: [Shortlist.Entry]] = [:]

    /// Derived from the matches: each offer's declined needs, and the regions of its accepted matches' leads.
    private(set) var declinedNeeds: [String: Set<String>] = [:]
    private(set) var acceptedRegions: [String: [String]] = [:]
    private var compiledNeeds: [String: CompiledNeed] = [:]
    private var compiledOffers: [String: CompiledOffer] = [:]

    // MARK: Changes

    mutating func set(_ need: Need) {
        needs[need.id] = need
        text.set("n:" + need.id, text: Assessor.text(of: need))
        compiledNeeds[need.id] = CompiledNeed(need, state: self)
    }

    mutating func set(_ offer: Offer) {
        offers[offer.id] = offer
        text.set("o:" + offer.id, text: Assessor.text(of: offer))
        compiledOffers[offer.id] = CompiledOffer(offer, state: self)
    }

    /// New facts of an actor; the needs it is a member of are compiled again.
    mutating func set(_ facts: ActorFacts) {
        self.facts[facts.id] = facts
        for need in needs.values where need.fields.actors.contains(facts.id) {
            compiledNeeds[need.id] = CompiledNeed(need, state: self)
        }
    }

    mutating func set(_ match: Match) {
        matches[PairKey(need: match.need, offer: match.offer)] = match
        deriveMatches()
        if let offer = offers[match.offer] { compiledOffers[offer.id] = CompiledOffer(offer, state: self) }
    }

    /// Many matches at once (loading), deriving what follows from them once.
    mutating func set(_ matches: [Match]) {
        for match in matches { self.matches[PairKey(need: match.need, offer: match.offer)] = match }
        recompile()
    }

    mutating func set(_ rates: ExchangeRates?) {
        self.rates = rates
    }

    private mutating func deriveMatches() {
        declinedNeeds = [:]
        acceptedRegions = [:]
        for (key, match) in matches {
            if match.state == .declined { declinedNeeds[key.offer, default: []].insert(key.need) }
            if match.state == .accepted, let lead = needs[key.need]?.fields.actors.first,
                let region = facts[lead]?.region
            {
                acceptedRegions[key.offer, default: []].append(region)
            }
        }
    }

    /// Compiles everything again (after loading, new rates or new text statistics).
    private mutating func recompile() {
        deriveMatches()
        compiledNeeds = needs.mapValues { CompiledNeed($0, state: self) }
        compiledOffers = offers.mapValues { CompiledOffer($0, state: self) }
    }

    func assessor(today: String) -> Assessor {
        Assessor(
            facts: facts, rates: rates, today: today, text: text,
            declined: matches.filter { $0.value.state == .declined }, acceptedRegions: acceptedRegions)
    }

    func scorer(today: String) -> PairScorer { PairScorer(today: today, rates: rates) }

    /// Best first; ties by id, so the order is the same for the same input.
    static func top(_ entries: [Shortlist.Entry], _ k: Int) -> [Shortlist.Entry] {
        Array(entries.sorted { ($0.score, $1.id) > ($1.score, $0.id) }.prefix(k))
    }

    // MARK: Shortlists

    /// After a need or offer `id` changed: its shortlists and those it touches, or all of them when the text
    /// statistics are taken again. Returns the shortlists that changed.
    mutating func update(need id: String, today: String) -> [ShortlistChanged] {
        text.isStale ? rebuildReporting(today: today) : refresh(need: id, today: today)
    }

    mutating func update(offer id: String, today: String) -> [ShortlistChanged] {
        text.isStale ? rebuildReporting(today: today) : refresh(offer: id, today: today)
    }

    /// Re-assesses one need against every offer, and updates its shortlist and the offers' it enters or leaves.
    mutating func refresh(need id: String, today: String) -> [ShortlistChanged] {
        let scorer = scorer(today: today)
        var scores: [String: Double] = [:]
        if let need = compiledNeeds[id] {
            for offer in compiledOffers.values {
                if let score = scorer.score(need, offer) { scores[offer.id] = score }
            }
        }
        return apply(scores, to: id, own: \.needLists, others: \.offerLists) { state, other in
            state.fullList(offer: other, today: today)
        }
    }

    /// The same for one offer against every need.
    mutating func refresh(offer id: String, today: String) -> [ShortlistChanged] {
        let scorer = scorer(today: today)
        var scores: [String: Double] = [:]
        if let offer = compiledOffers[id] {
            for need in compiledNeeds.values {
                if let score = scorer.score(need, offer) { scores[need.id] = score }
            }
        }
        return apply(scores, to: id, own: \.offerLists, others: \.needLists) { state, other in
            state.fullList(need: other, today: today)
        }
    }

    /// Sets `id`'s own list from its `scores` with the other side, and puts `id` into (or takes it out of) the
    /// other side's lists. A member that drops out of a full list makes room for the next best, which only a
    /// full pass of that list finds.
    private mutating func apply(
        _ scores: [String: Double], to id: String, own: WritableKeyPath<Self, [String: [Shortlist.Entry]]>,
        others: WritableKeyPath<Self, [String: [Shortlist.Entry]]>,
        full: (Self, String) -> [Shortlist.Entry]
    ) -> [ShortlistChanged] {
        let isNeed = own == \Self.needLists
        var changes: [ShortlistChanged] = []
        let list = Self.top(scores.map { Shortlist.Entry(id: $0.key, score: $0.value) }, Self.shortlistLength)
        if list != self[keyPath: own][id] ?? [] {
            self[keyPath: own][id] = list
            changes.append(Self.change(isNeed ? (id, nil) : (nil, id), list))
        }
        var changedOthers: [ShortlistChanged] = []
        for other in isNeed ? Array(offers.keys) : Array(needs.keys) {
            let old = self[keyPath: others][other] ?? []
            let score = scores[other]
            let wasIn = old.contains { $0.id == id }
            if !wasIn {
                // Most lists neither hold `id` nor take it: settle those without building anything.
                guard let score else { continue }
                if old.count == Self.shortlistLength,
                    !TopK.better(Shortlist.Entry(id: id, score: score), old[old.count - 1])
                {
                    continue
                }
            }
            var list = old.filter { $0.id != id }
            if let score { list.append(Shortlist.Entry(id: id, score: score)) }
            list = Self.top(list, Self.shortlistLength)
            if wasIn, !list.contains(where: { $0.id == id }) || list.count < old.count {
                list = full(self, other)
            }
            if list != old {
                self[keyPath: others][other] = list
                changedOthers.append(Self.change(isNeed ? (nil, other) : (other, nil), list))
            }
        }
        // Events in the order of the ids, whatever the order of the dictionaries.
        return changes + changedOthers.sorted { ($0.need ?? $0.offer ?? "") < ($1.need ?? $1.offer ?? "") }
    }

    private static func change(_ subject: (need: String?, offer: String?), _ entries: [Shortlist.Entry])
        -> ShortlistChanged
    {
        ShortlistChanged(need: subject.need, offer: subject.offer, entries: entries)
    }

    func fullList(need id: String, today: String, k: Int = shortlistLength) -> [Shortlist.Entry] {
        guard let need = compiledNeeds[id] else { return [] }
        let scorer = scorer(today: today)
        let entries = compiledOffers.values.compactMap { offer in
            scorer.score(need, offer).map { Shortlist.Entry(id: offer.id, score: $0) }
        }
        return Self.top(entries, k)
    }

    func fullList(offer id: String, today: String, k: Int = shortlistLength) -> [Shortlist.Entry] {
        guard let offer = compiledOffers[id] else { return [] }
        let scorer = scorer(today: today)
        let entries = compiledNeeds.values.compactMap { need in
            scorer.score(need, offer).map { Shortlist.Entry(id: need.id, score: $0) }
        }
        return Self.top(entries, k)
    }

    mutating func rebuildReporting(today: String) -> [ShortlistChanged] {
        let (oldNeeds, oldOffers) = (needLists, offerLists)
        rebuild(today: today)
        var changes: [ShortlistChanged] = []
        for (id, list) in needLists.sorted(by: { $0.key < $1.key }) where list != oldNeeds[id] ?? [] {
            changes.append(ShortlistChanged(need: id, offer: nil, entries: list))
        }
        for (id, list) in offerLists.sorted(by: { $0.key < $1.key }) where list != oldOffers[id] ?? [] {
            changes.append(ShortlistChanged(need: nil, offer: id, entries: list))
        }
        return changes
    }

    /// Every shortlist from scratch (at start-up), with the text statistics taken afresh unless told not to:
    /// all pairs, the needs split across the cores.
    mutating func rebuild(today: String, refreshingStatistics: Bool = true) {
        if refreshingStatistics { text.freeze() }
        recompile()
        let needList = Array(compiledNeeds.values)
        let offerList = Array(compiledOffers.values)
        let scorer = scorer(today: today)
        let k = Self.shortlistLength
        let words = text.numbers.count
        let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, needList.count / 64 + 1))
        let results = Mutex<[Int: (needs: [String: [Shortlist.Entry]], offers: [[Shortlist.Entry]])]>([:])
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            var byNeed: [String: [Shortlist.Entry]] = [:]
            var byOffer = [TopK](repeating: TopK(k), count: offerList.count)
            var scattered = TextIndex.Scattered(words: words)
            var start = needList.count * chunk / chunks
            let end = needList.count * (chunk + 1) / chunks
            while start < end {
                let need = needList[start]
                scattered.load(need.document)
                var mine = TopK(k)
                for (index, offer) in offerList.enumerated() {
                    guard let score = scorer.score(need, offer, relevance: { scattered.relevance(offer.document) })
                    else { continue }
                    mine.insert(Shortlist.Entry(id: offer.id, score: score))
                    byOffer[index].insert(Shortlist.Entry(id: need.id, score: score))
                }
                if !mine.entries.isEmpty { byNeed[need.id] = mine.entries }
                start += 1
            }
            let lists = byOffer.map(\.entries)
            results.withLock { $0[chunk] = (byNeed, lists) }
        }
        var needLists: [String: [Shortlist.Entry]] = [:]
        var merged = [TopK](repeating: TopK(k), count: offerList.count)
        for chunk in 0..<chunks {
            let (byNeed, byOffer) = results.withLock { $0[chunk]! }
            needLists.merge(byNeed) { first, _ in first }
            for (index, entries) in byOffer.enumerated() { for entry in entries { merged[index].insert(entry) } }
        }
        var offerLists: [String: [Shortlist.Entry]] = [:]
        for (index, offer) in offerList.enumerated() where !merged[index].entries.isEmpty {
            offerLists[offer.id] = merged[index].entries
        }
        self.needLists = needLists
        self.offerLists = offerLists
    }

    /// The best `k` entries seen, by score then id (the order of ``top(_:_:)``).
    struct TopK {
        let k: Int
        var entries: [Shortlist.Entry] = []
        init(_ k: Int) { self.k = k }

        static func better(_ a: Shortlist.Entry, _ b: Shortlist.Entry) -> Bool {
            a.score > b.score || (a.score == b.score && a.id < b.id)
        }

        mutating func insert(_ entry: Shortlist.Entry) {
            if entries.count == k {
                guard Self.better(entry, entries[k - 1]) else { return }
                entries.removeLast()
            }
            var index = entries.count
            while index > 0, Self.better(entry, entries[index - 1]) { index -= 1 }
            entries.insert(entry, at: index)
        }
    }

    // MARK: Allocation

    /// The exact allocation of open needs to open finance sources with project places left.
    func allocation(today: String) -> Allocation {
        let scorer = scorer(today: today)
        let taken = Set(
            matches.values.filter { $0.state == .accepted && offers[$0.offer]?.fields.kind == .finance }.map(\.need))
        let needIDs = needs.keys.filter { !taken.contains($0) }.sorted()
        let sources = offers.values.filter { $0.fields.kind == .finance }.map(\.id).sorted()
        let capacities = sources.map { id -> Int in
            let offer = offers[id]!
            guard let projects = offer.fields.capacity?.projects else { return needIDs.count }
            return max(0, projects - (offer.allocated.projects ?? 0))
        }
        let compiledSources = sources.map { compiledOffers[$0]! }
        var pairs: [(need: Int, source: Int, score: Int64)] = []
        for (needIndex, needID) in needIDs.enumerated() {
            let need = compiledNeeds[needID]!
            for (sourceIndex, source) in compiledSources.enumerated() {
                guard let score = scorer.score(need, source) else { continue }
                let points = Int64((score * 1000).rounded())
                if points > 0 { pairs.append((needIndex, sourceIndex, points)) }
            }
        }
        let result = CapacitatedAssignment.solve(
            .init(needCount: needIDs.count, capacities: capacities, pairs: pairs))
        var scoreOf: [Int: Int64] = [:]
        for pair in pairs { scoreOf[pair.need * max(1, sources.count) + pair.source] = pair.score }
        var assignments: [Allocation.Assignment] = []
        var unassigned: [String] = []
        for (index, source) in result.sourceOfNeed.enumerated() {
            if source >= 0 {
                let points = scoreOf[index * max(1, sources.count) + source] ?? 0
                assignments.append(.init(need: needIDs[index], offer: sources[source], score: Double(points) / 1000))
            } else {
                unassigned.append(needIDs[index])
            }
        }
        return Allocation(
            assignments: assignments, unassigned: unassigned, total: Double(result.total) / 1000,
            dualBound: Double(result.dualBound) / 1000, optimal: result.dualBound == result.total,
            prices: zip(sources, result.sourcePrices).map { .init(offer: $0, price: Double($1) / 1000) })
    }
}
