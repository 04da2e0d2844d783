import Contracts
import Foundation

/// Everything the module holds, in memory, with the shortlists kept current as needs, offers, capacities and
/// decisions change: a change re-assesses only the need or offer it touches (one row or column of the pairs),
/// never all pairs, and reports the shortlists that changed.
struct MatchingState: Sendable {
    static let shortlistLength = 10

    var needs: [String: Need] = [:]
    var offers: [String: Offer] = [:]
    var facts: [String: ActorFacts] = [:]
    var rates: ExchangeRates?
    var matches: [PairKey: Match] = [:]
    var text = TextIndex()
    var needLists: [String: [Shortlist.Entry]] = [:]
    var offerLists: [String: [Shortlist.Entry]] = [:]

    func assessor(today: String) -> Assessor {
        var declined: [PairKey: Match] = [:]
        var regions: [String: [String]] = [:]
        for (key, match) in matches {
            if match.state == .declined { declined[key] = match }
            if match.state == .accepted, let lead = needs[key.need]?.fields.actors.first,
                let region = facts[lead]?.region
            {
                regions[key.offer, default: []].append(region)
            }
        }
        return Assessor(
            facts: facts, rates: rates, today: today, text: text, declined: declined, acceptedRegions: regions)
    }

    mutating func index(_ need: Need) { text.set("n:" + need.id, text: Assessor.text(of: need)) }
    mutating func index(_ offer: Offer) { text.set("o:" + offer.id, text: Assessor.text(of: offer)) }

    /// Best first; ties by id, so the order is the same for the same input.
    static func top(_ entries: [Shortlist.Entry], _ k: Int) -> [Shortlist.Entry] {
        Array(entries.sorted { ($0.score, $1.id) > ($1.score, $0.id) }.prefix(k))
    }

    /// Re-assesses one need against every offer, and updates its shortlist and the offers' it enters or leaves.
    /// Returns the shortlists that changed.
    mutating func refresh(need id: String, today: String) -> [ShortlistChanged] {
        let assessor = assessor(today: today)
        var changes: [ShortlistChanged] = []
        var scores: [String: Double] = [:]
        if let need = needs[id] {
            for offer in offers.values {
                if let score = assessor.assess(need, offer, explain: false).score { scores[offer.id] = score }
            }
        }
        let list = Self.top(scores.map { Shortlist.Entry(id: $0.key, score: $0.value) }, Self.shortlistLength)
        if list != needLists[id] ?? [] {
            needLists[id] = list
            changes.append(ShortlistChanged(need: id, offer: nil, entries: list))
        }
        for offer in offers.keys.sorted() {
            let old = offerLists[offer] ?? []
            var list = old.filter { $0.id != id }
            let wasIn = list.count != old.count
            if let score = scores[offer] { list.append(Shortlist.Entry(id: id, score: score)) }
            list = Self.top(list, Self.shortlistLength)
            // A need that drops out makes room for the next best, which only a full pass of the offer finds.
            if wasIn, !list.contains(where: { $0.id == id }) || list.count < old.count {
                list = fullList(offer: offer, assessor: assessor)
            }
            if list != old {
                offerLists[offer] = list
                changes.append(ShortlistChanged(need: nil, offer: offer, entries: list))
            }
        }
        return changes
    }

    /// The same for one offer against every need.
    mutating func refresh(offer id: String, today: String) -> [ShortlistChanged] {
        let assessor = assessor(today: today)
        var changes: [ShortlistChanged] = []
        var scores: [String: Double] = [:]
        if let offer = offers[id] {
            for need in needs.values {
                if let score = assessor.assess(need, offer, explain: false).score { scores[need.id] = score }
            }
        }
        let list = Self.top(scores.map { Shortlist.Entry(id: $0.key, score: $0.value) }, Self.shortlistLength)
        if list != offerLists[id] ?? [] {
            offerLists[id] = list
            changes.append(ShortlistChanged(need: nil, offer: id, entries: list))
        }
        for need in needs.keys.sorted() {
            let old = needLists[need] ?? []
            var list = old.filter { $0.id != id }
            let wasIn = list.count != old.count
            if let score = scores[need] { list.append(Shortlist.Entry(id: id, score: score)) }
            list = Self.top(list, Self.shortlistLength)
            if wasIn, !list.contains(where: { $0.id == id }) || list.count < old.count {
                list = fullList(need: need, assessor: assessor)
            }
            if list != old {
                needLists[need] = list
                changes.append(ShortlistChanged(need: need, offer: nil, entries: list))
            }
        }
        return changes
    }

    func fullList(need id: String, assessor: Assessor, k: Int = shortlistLength) -> [Shortlist.Entry] {
        guard let need = needs[id] else { return [] }
        let entries = offers.values.compactMap { offer in
            assessor.assess(need, offer, explain: false).score.map { Shortlist.Entry(id: offer.id, score: $0) }
        }
        return Self.top(entries, k)
    }

    func fullList(offer id: String, assessor: Assessor, k: Int = shortlistLength) -> [Shortlist.Entry] {
        guard let offer = offers[id] else { return [] }
        let entries = needs.values.compactMap { need in
            assessor.assess(need, offer, explain: false).score.map { Shortlist.Entry(id: need.id, score: $0) }
        }
        return Self.top(entries, k)
    }

    /// After a need or offer `id` changed: its shortlists and those it touches, or all of them when the text
    /// statistics are taken again. Returns the shortlists that changed.
    mutating func update(need id: String, today: String) -> [ShortlistChanged] {
        text.isStale ? rebuildReporting(today: today) : refresh(need: id, today: today)
    }

    mutating func update(offer id: String, today: String) -> [ShortlistChanged] {
        text.isStale ? rebuildReporting(today: today) : refresh(offer: id, today: today)
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

    /// Every shortlist from scratch (at start-up), with the text statistics taken afresh unless told not to.
    mutating func rebuild(today: String, refreshingStatistics: Bool = true) {
        if refreshingStatistics { text.freeze() }
        let assessor = assessor(today: today)
        var byNeed: [String: [Shortlist.Entry]] = [:]
        var byOffer: [String: [Shortlist.Entry]] = [:]
        for need in needs.values {
            for offer in offers.values {
                guard let score = assessor.assess(need, offer, explain: false).score else { continue }
                byNeed[need.id, default: []].append(Shortlist.Entry(id: offer.id, score: score))
                byOffer[offer.id, default: []].append(Shortlist.Entry(id: need.id, score: score))
            }
        }
        needLists = byNeed.mapValues { Self.top($0, Self.shortlistLength) }
        offerLists = byOffer.mapValues { Self.top($0, Self.shortlistLength) }
    }

    /// The exact allocation of open needs to open finance sources with project places left.
    func allocation(today: String) -> Allocation {
        let assessor = assessor(today: today)
        let taken = Set(
            matches.values.filter { $0.state == .accepted && offers[$0.offer]?.fields.kind == .finance }.map(\.need))
        let needIDs = needs.keys.filter { !taken.contains($0) }.sorted()
        let sources = offers.values.filter { $0.fields.kind == .finance }.map(\.id).sorted()
        let capacities = sources.map { id -> Int in
            let offer = offers[id]!
            guard let projects = offer.fields.capacity?.projects else { return needIDs.count }
            return max(0, projects - (offer.allocated.projects ?? 0))
        }
        var pairs: [(need: Int, source: Int, score: Int64)] = []
        for (needIndex, needID) in needIDs.enumerated() {
            let need = needs[needID]!
            for (sourceIndex, sourceID) in sources.enumerated() {
                guard matches[PairKey(need: needID, offer: sourceID)]?.state != .declined,
                    let score = assessor.assess(need, offers[sourceID]!, explain: false).score
                else { continue }
                let points = Int64((score * 1000).rounded())
                if points > 0 { pairs.append((needIndex, sourceIndex, points)) }
            }
        }
        let result = CapacitatedAssignment.solve(
            .init(needCount: needIDs.count, capacities: capacities, pairs: pairs))
        var assignments: [Allocation.Assignment] = []
        var unassigned: [String] = []
        var scoreOf: [Int: Int64] = [:]
        for pair in pairs { scoreOf[pair.need * max(1, sources.count) + pair.source] = pair.score }
        for (index, source) in result.sourceOfNeed.enumerated() {
            if source >= 0 {
                let points = scoreOf[index * max(1, sources.count) + source] ?? 0
                assignments.append(
                    .init(need: needIDs[index], offer: sources[source], score: Double(points) / 1000))
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
