import ConcordKit
import Contracts

/// Who hosts each occurrence of a series, and why: the policy's turn order, the members' standing on the
/// occurrence's date, and the decisions recorded for occurrences.
///
/// The rotation is replayed from the series' first occurrence, so a decision or an edit changes only what comes
/// after it; a recorded decision is kept as it was made.
struct Rotation {
    struct Member {
        var actor: String
        var name: String
        var region: String
        var membership: Membership?
    }

    let policy: RotationPolicy
    /// The turn order, with each member's standing.
    let order: [Member]
    let names: [String: String]
    let decisions: [String: [HostDecision]]

    /// Builds the turn order from the network's memberships and the actors (from the registry).
    init(
        policy: RotationPolicy, memberships: [Membership], actors: [String: ActorRecord],
        decisions: [HostDecision]
    ) {
        self.policy = policy
        var latest: [String: Membership] = [:]
        for membership in memberships {
            if let known = latest[membership.actor], (known.start ?? "") > (membership.start ?? "") { continue }
            latest[membership.actor] = membership
        }
        func member(_ actor: String) -> Member {
            let record = actors[actor]
            return Member(
                actor: actor, name: record?.fields.name ?? actor, region: record?.region ?? "",
                membership: latest[actor])
        }
        switch policy.kind {
        case .fixed:
            order = (policy.members ?? []).map(member)
        case .alphabetical:
            order = latest.keys.map(member).sorted { ($0.name, $0.actor) < ($1.name, $1.actor) }
        case .roundRobin, .volunteerFirst, .byRegion:
            order = latest.keys.map(member).sorted {
                ($0.membership?.start ?? "", $0.name, $0.actor) < ($1.membership?.start ?? "", $1.name, $1.actor)
            }
        }
        var names: [String: String] = [:]
        for (id, record) in actors { names[id] = record.fields.name }
        self.names = names
        self.decisions = Dictionary(grouping: decisions, by: \.originalStart)
    }

    /// Why `member` cannot host on `date`, or nil when it can.
    func ineligibility(_ member: Member, on date: String, declined: Set<String>) -> String? {
        if declined.contains(member.actor) { return "declined" }
        guard let membership = member.membership else {
            // A fixed list may name actors outside the network.
            return policy.kind == .fixed ? nil : "not a member"
        }
        switch membership.status {
        case .active: break
        case .suspended: return "suspended"
        case .applied: return "not yet a member"
        case .ended, .withdrawn: return "membership \(membership.status.rawValue) \(membership.end ?? "")"
        }
        if let start = membership.start, start > date { return "member only from \(start)" }
        if let end = membership.end, end < date { return "membership ended \(end)" }
        return nil
    }

    /// Where the turn order stands: the position of the next member to ask, per region for `by_region`.
    struct State {
        var position = 0
        var regionPosition = 0
        var positions: [String: Int] = [:]
        var last: String?
    }

    var regions: [String] {
        var seen: [String] = []
        for member in order where !seen.contains(member.region) { seen.append(member.region) }
        return seen
    }

    /// The state before the first occurrence: just after `policy.after`, when given.
    func initialState() -> State {
        var state = State()
        guard let after = policy.after else { return state }
        state.last = after
        advance(&state, past: after)
        return state
    }

    /// Moves the turn order past `actor`, as if it had just taken its turn.
    func advance(_ state: inout State, past actor: String) {
        guard let index = order.firstIndex(where: { $0.actor == actor }) else { return }
        state.position = index + 1
        if policy.kind == .byRegion {
            let region = order[index].region
            let inRegion = order.filter { $0.region == region }
            if let regionIndex = regions.firstIndex(of: region) { state.regionPosition = regionIndex + 1 }
            if let within = inRegion.firstIndex(where: { $0.actor == actor }) { state.positions[region] = within + 1 }
        }
    }

    /// The next eligible member in turn order, with those passed over and why.
    func pick(_ state: State, on date: String, declined: Set<String>) -> (
        Member?, skipped: [String], next: State
    ) {
        var skipped: [String] = []
        var next = state
        func consider(_ member: Member) -> Bool {
            if member.actor == state.last {
                return false
            }
            if let why = ineligibility(member, on: date, declined: declined) {
                skipped.append("\(member.name) (\(why))")
                return false
            }
            return true
        }
        guard !order.isEmpty else { return (nil, [], state) }
        if policy.kind == .byRegion {
            let regions = self.regions
            for step in 0..<regions.count {
                let region = regions[(state.regionPosition + step) % regions.count]
                let inRegion = order.filter { $0.region == region }
                let start = state.positions[region] ?? 0
                for offset in 0..<inRegion.count {
                    let member = inRegion[(start + offset) % inRegion.count]
                    if consider(member) {
                        advance(&next, past: member.actor)
                        next.last = member.actor
                        return (member, skipped, next)
                    }
                }
            }
            return (nil, skipped, state)
        }
        for offset in 0..<order.count {
            let member = order[(state.position + offset) % order.count]
            if consider(member) {
                advance(&next, past: member.actor)
                next.last = member.actor
                return (member, skipped, next)
            }
        }
        return (nil, skipped, state)
    }

    func name(_ actor: String?) -> String? { actor.map { names[$0] ?? $0 } }

    /// The turns of `items` (all of the series' occurrences from its first, in order).
    func turns(_ items: [SeriesEngine.Item], numbers: [Int?]) -> [HostTurn] {
        var state = initialState()
        var turns: [HostTurn] = []
        for (index, item) in items.enumerated() {
            let date = String(item.key.prefix(10))
            let recorded = decisions[item.key] ?? []
            let declined = Set(recorded.filter { $0.kind == .declined }.map(\.actor))
            let number = numbers[index]
            func turn(_ host: String?, _ basis: String, _ reason: String) -> HostTurn {
                HostTurn(
                    originalStart: item.key, number: number, host: host, hostName: name(host), basis: basis,
                    reason: reason)
            }
            let previous = name(state.last)
            if item.isCancelled {
                if policy.cancelledUsesTurn == true {
                    let (member, _, next) = pick(state, on: date, declined: declined)
                    state = next
                    turns.append(turn(nil, "none", "cancelled; it used \(member?.name ?? "nobody")'s turn"))
                } else {
                    turns.append(turn(nil, "none", "cancelled; the turn passes to the next occurrence"))
                }
                continue
            }
            if let decision = recorded.first(where: { $0.kind == .override }) {
                // The override takes the occurrence; the turn it covers is used, the order goes on from there.
                let (_, _, next) = pick(state, on: date, declined: declined)
                state = next
                state.last = decision.actor
                turns.append(turn(decision.actor, "override", "override: \(decision.reason)"))
                continue
            }
            if let decision = recorded.first(where: { $0.kind == .rotation }) {
                advance(&state, past: decision.actor)
                state.last = decision.actor
                turns.append(turn(decision.actor, "rotation", decision.reason))
                continue
            }
            if policy.kind == .volunteerFirst,
                let volunteer = recorded.first(where: { decision in
                    decision.kind == .volunteered && decision.actor != state.last
                        && order.first(where: { $0.actor == decision.actor }).map({
                            ineligibility($0, on: date, declined: declined) == nil
                        }) ?? false
                })
            {
                state.last = volunteer.actor
                turns.append(turn(volunteer.actor, "volunteered", "volunteered: \(volunteer.reason)"))
                continue
            }
            let (member, skipped, next) = pick(state, on: date, declined: declined)
            guard let member else {
                let why = skipped.isEmpty ? "" : ": " + skipped.joined(separator: ", ")
                turns.append(turn(nil, "none", "no member can host" + why))
                continue
            }
            state = next
            var reason = previous.map { "next in rotation after \($0)" } ?? "first in rotation"
            if !skipped.isEmpty { reason += "; passed over " + skipped.joined(separator: ", ") }
            turns.append(turn(member.actor, "computed", reason))
        }
        return turns
    }
}
