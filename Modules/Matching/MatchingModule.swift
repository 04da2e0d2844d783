public import ConcordKit
import Contracts
import Foundation
import GRDB
import Synchronization

/// Brokers between what members need and who can fund or supply it: needs and offers, screening with reasons,
/// explainable scores, shortlists kept current, an exactly optimal allocation, and the decisions on matches.
///
/// Like every module it talks to the others only through typed messages: actors' country, region and size
/// class come from `registry.actor.get` and the registry's actor events. It imports no other module.
public struct MatchingModule: Module {
    public init() {}

    public var descriptor: ModuleDescriptor {
        ModuleDescriptor(
            name: "matching", version: "0.1.0",
            publishes: [NeedPosted.self, OfferPosted.self, MatchDecided.self, ShortlistChanged.self])
    }

    public var migrations: [Migration] {
        [
            Migration("v1") { db in
                try db.execute(
                    sql: """
                        CREATE TABLE matching_needs (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
                        CREATE TABLE matching_offers (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
                        CREATE TABLE matching_matches (
                            need TEXT NOT NULL, offer TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (need, offer)
                        ) WITHOUT ROWID;
                        CREATE TABLE matching_actors (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
                        CREATE TABLE matching_rates (key INTEGER PRIMARY KEY CHECK (key = 1), doc TEXT NOT NULL);
                        """)
            }
        ]
    }

    /// What the handlers share: the store, the registry, the clock and the state.
    final class Engine: Sendable {
        let store: any ModuleStore
        let bus: any MessageBus
        let clock: any WallClock
        let state = Mutex(MatchingState())

        init(store: any ModuleStore, bus: any MessageBus, clock: any WallClock) {
            self.store = store
            self.bus = bus
            self.clock = clock
        }

        var today: String {
            let parts = Calendar(identifier: .gregorian).dateComponents(
                in: TimeZone(identifier: "UTC")!, from: clock.now())
            return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
        }

        /// Runs `change` on the state inside a write, so its rows and events commit together; writes run one
        /// at a time. The state is changed in place (a copy of 10 000 needs would cost more than the change), so
        /// a change must throw its `ConcordError`s before it changes anything; any other failure (of the
        /// database, of the commit) has the state read again from the tables.
        func write<T: Sendable>(
            _ change: @escaping @Sendable (inout MatchingState, MatchingStore, String) throws -> ([any Event], T)
        ) async throws -> T {
            let today = self.today
            do {
                return try await store.write { transaction in
                    try self.state.withLock { state in
                        let (events, reply) = try change(&state, MatchingStore(db: transaction.db), today)
                        for event in events { transaction.emit(event) }
                        return reply
                    }
                }
            } catch let error as ConcordError {
                throw error
            } catch {
                try await reload()
                throw error
            }
        }

        func reload() async throws {
            var loaded = try await store.read { db in try MatchingStore(db: db).load() }
            loaded.rebuild(today: today)
            state.withLock { $0 = loaded }
        }
    }

    public func start(context: ModuleContext) async throws {
        let engine = Engine(store: context.store, bus: context.bus, clock: context.clock)
        try await engine.reload()
        Self.follow(context, engine)
        try context.handle(GetVocabulary.self, runsOn: .inline) { _, _ in Vocabulary() }
        try Self.startNeeds(context, engine)
        try Self.startOffers(context, engine)
        try Self.startAssessments(context, engine)
        try Self.startMatches(context, engine)
        try Self.startSessions(context, engine)
    }

    /// Keeps actors' facts current from the registry's events, re-assessing their needs.
    static func follow(_ context: ModuleContext, _ engine: Engine) {
        let update = { @Sendable (record: ActorRecord) async throws in
            let known = engine.state.withLock { $0.facts[record.id] }
            guard let known, known.version < record.version else { return }
            _ = try await engine.write { state, store, today -> ([any Event], Bool) in
                let facts = ActorFacts(record)
                state.set(facts)
                try store.save(facts)
                var events: [any Event] = []
                for need in state.needs.values.filter({ $0.fields.actors.contains(record.id) }).map(\.id).sorted() {
                    events += state.refresh(need: need, today: today)
                }
                return (events, true)
            }
        }
        context.on(ActorUpdated.self) { envelope in try await update(envelope.payload.actor) }
        context.on(ActorDeactivated.self) { envelope in try await update(envelope.payload.actor) }
    }

    static func startNeeds(_ context: ModuleContext, _ engine: Engine) throws {
        try context.handle(PostNeed.self, runsOn: .inline) { command, _ in
            let id = try MatchingRules.identifier(command.id, field: "id", prefix: "need")
            try MatchingRules.validate(command.fields)
            let facts = try await Self.facts(of: command.fields.actors, engine: engine)
            return try await engine.write { state, store, today in
                guard state.needs[id] == nil else {
                    throw ConcordError.conflict("id: a need \"\(id)\" exists; matching.need.update changes it")
                }
                return try Self.save(Need(id: id, fields: command.fields, version: 1), facts, &state, store, today)
            }
        }
        try context.handle(UpdateNeed.self, runsOn: .inline) { command, _ in
            try MatchingRules.validate(command.fields)
            let facts = try await Self.facts(of: command.fields.actors, engine: engine)
            return try await engine.write { state, store, today in
                guard let old = state.needs[command.id] else {
                    throw ConcordError.notFound("no need \"\(command.id)\"")
                }
                return try Self.save(
                    Need(id: old.id, fields: command.fields, version: old.version + 1), facts, &state, store, today)
            }
        }
        try context.handle(GetNeed.self, runsOn: .inline) { query, _ in
            guard let need = engine.state.withLock({ $0.needs[query.id] }) else {
                throw ConcordError.notFound("no need \"\(query.id)\"")
            }
            return need
        }
    }

    static func save(
        _ need: Need, _ facts: [ActorFacts], _ state: inout MatchingState, _ store: MatchingStore, _ today: String
    ) throws -> ([any Event], Need) {
        for fact in facts {
            state.set(fact)
            try store.save(fact)
        }
        state.set(need)
        try store.save(need)
        let changes = state.update(need: need.id, today: today)
        return ([NeedPosted(need: need)] + changes, need)
    }

    /// The members' facts from the registry; `not_found` naming the field for an actor it does not know.
    static func facts(of actors: [String], engine: Engine) async throws -> [ActorFacts] {
        var facts: [ActorFacts] = []
        for (index, actor) in actors.enumerated() {
            do {
                facts.append(ActorFacts(try await engine.bus.send(GetActor(id: actor))))
            } catch let error as ConcordError where error.code == .notFound {
                throw ConcordError(
                    .notFound, "fields.actors[\(index)]: no actor \"\(actor)\" in the registry",
                    details: ["field": .string("fields.actors[\(index)]")])
            }
        }
        return facts
    }

    static func startOffers(_ context: ModuleContext, _ engine: Engine) throws {
        try context.handle(PostOffer.self, runsOn: .inline) { command, _ in
            let id = try MatchingRules.identifier(command.id, field: "id", prefix: "offer")
            try MatchingRules.validate(command.fields)
            return try await engine.write { state, store, today in
                guard state.offers[id] == nil else {
                    throw ConcordError.conflict("id: an offer \"\(id)\" exists; matching.offer.update changes it")
                }
                return try Self.save(
                    Offer(id: id, fields: command.fields, allocated: Capacity(), version: 1), &state, store, today)
            }
        }
        try context.handle(UpdateOffer.self, runsOn: .inline) { command, _ in
            try MatchingRules.validate(command.fields)
            return try await engine.write { state, store, today in
                guard let old = state.offers[command.id] else {
                    throw ConcordError.notFound("no offer \"\(command.id)\"")
                }
                try MatchingRules.check(command.fields.capacity, allocated: old.allocated, field: "fields.capacity")
                return try Self.save(
                    Offer(id: old.id, fields: command.fields, allocated: old.allocated, version: old.version + 1),
                    &state, store, today)
            }
        }
        try context.handle(SetCapacity.self, runsOn: .inline) { command, _ in
            try MatchingRules.validate(command.capacity, field: "capacity")
            return try await engine.write { state, store, today in
                guard var offer = state.offers[command.id] else {
                    throw ConcordError.notFound("no offer \"\(command.id)\"")
                }
                guard offer.fields.kind == .finance else {
                    throw ConcordError.badRequest(
                        "id: \"\(command.id)\" is a technology offer; only finance has capacity")
                }
                try MatchingRules.check(command.capacity, allocated: offer.allocated, field: "capacity")
                offer.fields.capacity = command.capacity
                offer.version += 1
                return try Self.save(offer, &state, store, today)
            }
        }
        try context.handle(GetOffer.self, runsOn: .inline) { query, _ in
            guard let offer = engine.state.withLock({ $0.offers[query.id] }) else {
                throw ConcordError.notFound("no offer \"\(query.id)\"")
            }
            return offer
        }
        try context.handle(SetRates.self, runsOn: .inline) { command, _ in
            try MatchingRules.validate(command.rates)
            return try await engine.write { state, store, today in
                state.set(command.rates)
                try store.save(command.rates)
                // New rates can move any pair across currencies: every shortlist is recomputed.
                return (state.rebuildReporting(today: today), command.rates)
            }
        }
    }

    static func save(_ offer: Offer, _ state: inout MatchingState, _ store: MatchingStore, _ today: String) throws
        -> ([any Event], Offer)
    {
        state.set(offer)
        try store.save(offer)
        let changes = state.update(offer: offer.id, today: today)
        return ([OfferPosted(offer: offer)] + changes, offer)
    }

    static func startAssessments(_ context: ModuleContext, _ engine: Engine) throws {
        try context.handle(AssessPairs.self, runsOn: .pool) { query, _ in
            let today = engine.today
            return try engine.state.withLock { state in
                let assessor = state.assessor(today: today)
                switch (query.need, query.offer) {
                case (let need?, let offer?):
                    return Assessments(pairs: [
                        assessor.assess(try state.need(need), try state.offer(offer), explain: true)
                    ])
                case (let need?, nil):
                    let need = try state.need(need)
                    return Assessments(
                        pairs: state.offers.keys.sorted().map {
                            assessor.assess(need, state.offers[$0]!, explain: true)
                        })
                case (nil, let offer?):
                    let offer = try state.offer(offer)
                    return Assessments(
                        pairs: state.needs.keys.sorted().map { assessor.assess(state.needs[$0]!, offer, explain: true) }
                    )
                case (nil, nil):
                    throw ConcordError.badRequest("need: expected a need, an offer or both")
                }
            }
        }
        try context.handle(GetShortlist.self, runsOn: .pool) { query, _ in
            let k = query.k ?? MatchingState.shortlistLength
            guard (1...100).contains(k) else { throw ConcordError.badRequest("k: expected 1..100, got \(k)") }
            let today = engine.today
            return try engine.state.withLock { state in
                switch (query.need, query.offer) {
                case (let need?, nil):
                    _ = try state.need(need)
                    let entries =
                        k <= MatchingState.shortlistLength
                        ? Array((state.needLists[need] ?? []).prefix(k))
                        : state.fullList(need: need, today: today, k: k)
                    return Shortlist(need: need, offer: nil, entries: entries)
                case (nil, let offer?):
                    _ = try state.offer(offer)
                    let entries =
                        k <= MatchingState.shortlistLength
                        ? Array((state.offerLists[offer] ?? []).prefix(k))
                        : state.fullList(offer: offer, today: today, k: k)
                    return Shortlist(need: nil, offer: offer, entries: entries)
                default:
                    throw ConcordError.badRequest("need: expected a need or an offer, not both")
                }
            }
        }
        try context.handle(Rescore.self, runsOn: .inline) { _, _ in
            try await engine.write { state, _, today in
                let changes = state.rebuildReporting(today: today)
                return (changes, Rescored(needs: state.needs.count, offers: state.offers.count, changed: changes.count))
            }
        }
        try context.handle(ProposeAllocation.self, runsOn: .pool) { _, _ in
            let today = engine.today
            let state = engine.state.withLock { $0 }
            return state.allocation(today: today)
        }
    }

    static func startMatches(_ context: ModuleContext, _ engine: Engine) throws {
        try context.handle(ProposeMatch.self, runsOn: .inline) { command, _ in
            try await engine.write { state, store, today in
                let key = PairKey(need: command.need, offer: command.offer)
                let assessment = state.assessor(today: today).assess(
                    try state.need(command.need), try state.offer(command.offer), explain: false)
                if let existing = state.matches[key], existing.state != .declined {
                    return ([], existing)
                }
                guard let score = assessment.score else {
                    throw ConcordError(
                        .conflict, "the pair is not eligible (\(assessment.rule ?? "")): \(assessment.reason ?? "")",
                        details: ["rule": .string(assessment.rule ?? "")])
                }
                let match = Match(need: command.need, offer: command.offer, state: .proposed, score: score)
                state.set(match)
                try store.save(match)
                return ([MatchDecided(match: match, party: nil)], match)
            }
        }
        try context.handle(DecideMatch.self, runsOn: .inline) { command, _ in
            if !command.accept, (command.reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                throw ConcordError.badRequest("reason: a decline needs a reason, to forward to the other party")
            }
            return try await engine.write { state, store, today in
                let key = PairKey(need: command.need, offer: command.offer)
                guard var match = state.matches[key] else {
                    throw ConcordError.notFound(
                        "no match of \"\(command.need)\" with \"\(command.offer)\"; matching.match.propose makes one")
                }
                switch (match.state, command.accept, command.party) {
                case (.declined, _, _), (.accepted, _, _):
                    throw ConcordError.conflict("the match is already \(match.state.rawValue)")
                case (_, false, _):
                    match.state = .declined
                    match.declinedBy = command.party
                    match.reason = command.reason
                case (.acceptedByMember, true, .provider), (.acceptedByProvider, true, .member):
                    match.state = .accepted
                case (.proposed, true, .member):
                    match.state = .acceptedByMember
                case (.proposed, true, .provider):
                    match.state = .acceptedByProvider
                default:
                    return ([], match)
                }
                state.set(match)
                try store.save(match)
                var events: [any Event] = [MatchDecided(match: match, party: command.party)]
                if match.state == .accepted, var offer = state.offers[command.offer], offer.fields.kind == .finance {
                    // An accepted match takes a place and the need's budget (at most the largest ticket).
                    let assessor = state.assessor(today: today)
                    offer.allocated.projects = (offer.allocated.projects ?? 0) + 1
                    if let ticket = offer.fields.ticket, let need = state.needs[command.need],
                        let budget = assessor.convert(need.fields.budget, to: ticket.currency)
                    {
                        offer.allocated.amount =
                            (offer.allocated.amount ?? 0) + Int64(min(budget.max, Double(ticket.max)).rounded())
                    }
                    offer.version += 1
                    state.set(offer)
                    try store.save(offer)
                }
                if match.state == .accepted || match.state == .declined {
                    events += state.refresh(offer: command.offer, today: today)
                }
                return (events, match)
            }
        }
        try context.handle(ListMatches.self, runsOn: .inline) { query, _ in
            let matches = engine.state.withLock { $0.matches.values }
            return MatchList(
                matches: matches.filter { match in
                    (query.need.map { $0 == match.need } ?? true) && (query.offer.map { $0 == match.offer } ?? true)
                }.sorted { ($0.need, $0.offer) < ($1.need, $1.offer) })
        }
    }
}

extension MatchingModule {
    static func startSessions(_ context: ModuleContext, _ engine: Engine) throws {
        try context.handle(PlanSession.self, runsOn: .pool) { query, _ in
            guard !query.slots.isEmpty, query.slots.count <= 500 else {
                throw MatchingRules.bad("slots", "expected 1 to 500 slots, got \(query.slots.count)")
            }
            guard (1...10_000).contains(query.tables) else {
                throw MatchingRules.bad("tables", "expected 1..10000, got \(query.tables)")
            }
            let meeting: Meeting
            do {
                meeting = try await engine.bus.send(GetMeeting(id: query.meeting))
            } catch let error as ConcordError where error.code == .notFound {
                throw ConcordError(
                    .notFound, "meeting: no meeting \"\(query.meeting)\" in scheduling",
                    details: ["field": .string("meeting")])
            }
            guard [.tradeFair, .expertMeeting].contains(meeting.fields.kind) else {
                throw MatchingRules.bad(
                    "meeting", "expected a trade fair or an expert meeting, got a \(meeting.fields.kind.rawValue)")
            }
            for (participant, slots) in query.availability ?? [:] {
                for slot in slots where !query.slots.indices.contains(slot) {
                    throw MatchingRules.bad(
                        "availability.\(participant)", "expected slot indices 0..\(query.slots.count - 1), got \(slot)")
                }
            }
            let state = engine.state.withLock { $0 }
            var pairs: [PlanSession.PairRef] = []
            if let given = query.pairs {
                for (index, pair) in given.enumerated() {
                    guard state.needs[pair.need] != nil, state.offers[pair.offer] != nil else {
                        throw MatchingRules.bad(
                            "pairs[\(index)]", "no need \"\(pair.need)\" or offer \"\(pair.offer)\"")
                    }
                    pairs.append(pair)
                }
            } else {
                pairs = state.matches.values.filter { $0.state == .accepted }
                    .sorted { ($0.need, $0.offer) < ($1.need, $1.offer) }
                    .map { PlanSession.PairRef(need: $0.need, offer: $0.offer) }
            }
            return Self.plan(query, meeting: meeting.id, pairs: pairs, state: state)
        }
    }

    static func plan(_ query: PlanSession, meeting: String, pairs: [PlanSession.PairRef], state: MatchingState)
        -> SessionPlan
    {
        var members: [String] = []
        var providers: [String] = []
        var memberIndex: [String: Int] = [:]
        var providerIndex: [String: Int] = [:]
        var ends: [(left: Int, right: Int)] = []
        var names: [(String, String)] = []
        for pair in pairs {
            let member = state.needs[pair.need]!.fields.actors[0]
            let offer = state.offers[pair.offer]!
            let provider = offer.fields.provider ?? offer.id
            if memberIndex[member] == nil {
                memberIndex[member] = members.count
                members.append(member)
            }
            if providerIndex[provider] == nil {
                providerIndex[provider] = providers.count
                providers.append(provider)
            }
            ends.append((memberIndex[member]!, providerIndex[provider]!))
            names.append((member, provider))
        }
        let availability = query.availability.map { $0.mapValues(Set.init) }
        let plan = SessionPlanner.plan(
            meetings: ends, leftCount: members.count, rightCount: providers.count, slotCount: query.slots.count,
            tables: query.tables
        ) { left, index, slot in
            let participant = left ? members[index] : providers[index]
            return availability?[participant].map { $0.contains(slot) } ?? true
        }
        var tablesUsed = [Int](repeating: 0, count: query.slots.count)
        var bookings: [SessionPlan.Booking] = []
        var unplaced: [PlanSession.PairRef] = []
        for (index, slot) in plan.slots.enumerated() {
            guard let slot else {
                unplaced.append(pairs[index])
                continue
            }
            tablesUsed[slot] += 1
            bookings.append(
                .init(
                    need: pairs[index].need, offer: pairs[index].offer, member: names[index].0,
                    provider: names[index].1, slot: slot, table: tablesUsed[slot]))
        }
        bookings.sort { ($0.slot, $0.table) < ($1.slot, $1.table) }
        var degrees: [String: Int] = [:]
        for (member, provider) in names {
            degrees["m:" + member, default: 0] += 1
            degrees["p:" + provider, default: 0] += 1
        }
        return SessionPlan(
            meeting: meeting, bookings: bookings, unplaced: unplaced,
            slotsUsed: Set(bookings.map(\.slot)).count, lowerBound: degrees.values.max() ?? 0,
            guarantee: plan.fewest ? "fewest" : "first_fit")
    }
}

extension MatchingState {
    func need(_ id: String) throws -> Need {
        guard let need = needs[id] else { throw ConcordError.notFound("no need \"\(id)\"") }
        return need
    }

    func offer(_ id: String) throws -> Offer {
        guard let offer = offers[id] else { throw ConcordError.notFound("no offer \"\(id)\"") }
        return offer
    }
}
