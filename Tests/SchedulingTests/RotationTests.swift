import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Testing

/// ANMC21's plenaries: hosted in turn, the network's override ("welcome Tomsk to host the 13th"), and what the
/// rotation skips.
@Suite struct RotationTests {
    struct Plenaries {
        let fixture: SchedulingFixture
        let cities: [String: ActorRecord]
        let memberships: [String: Membership]
        let series: Series
    }

    /// The eight cities of the Hanoi Declaration, members in that order, and a yearly plenary from the 13th.
    static func plenaries(
        policy: RotationPolicy.Kind = .roundRobin, cancelledUsesTurn: Bool? = nil, now: Date? = nil
    ) async throws -> Plenaries {
        let fixture = try await SchedulingFixture(now: now)
        _ = try await fixture.network("ANMC21")
        var cities: [String: ActorRecord] = [:]
        var memberships: [String: Membership] = [:]
        let list: [(String, String, String)] = [
            ("Bangkok", "TH", "Asia/Bangkok"), ("Hanoi", "VN", "Asia/Ho_Chi_Minh"), ("Jakarta", "ID", "Asia/Jakarta"),
            ("Kuala Lumpur", "MY", "Asia/Kuala_Lumpur"), ("Seoul", "KR", "Asia/Seoul"),
            ("Singapore", "SG", "Asia/Singapore"), ("Tokyo", "JP", "Asia/Tokyo"), ("Tomsk", "RU", "Asia/Tomsk"),
        ]
        for (name, country, zone) in list {
            cities[name] = try await fixture.city(name, country, zone)
            memberships[name] = try await fixture.member(cities[name]!, of: "ANMC21")
        }
        let series = try await fixture.send(
            CreateSeries(
                series: SeriesFields(
                    kind: .plenary, title: "{ordinal} Plenary Meeting", network: "ANMC21", firstNumber: 13,
                    dtstart: "2014-09-10", duration: "P2D", timeZone: "Asia/Tomsk", rrule: "FREQ=YEARLY;COUNT=8",
                    rotation: RotationPolicy(
                        kind: policy, after: cities["Hanoi"]!.id, cancelledUsesTurn: cancelledUsesTurn),
                    reminders: []))
        ).series
        return Plenaries(fixture: fixture, cities: cities, memberships: memberships, series: series)
    }

    @Test func tomskHostsTheThirteenthAndTheRotationGoesOn() async throws {
        let plenaries = try await Self.plenaries()
        let fixture = plenaries.fixture
        defer { Task { await fixture.close() } }
        let tomsk = plenaries.cities["Tomsk"]!
        let before = try await fixture.send(NextHosts(series: plenaries.series.id, count: 2, after: "2014-01-01"))
        #expect(before.turns.map(\.hostName) == ["Jakarta", "Kuala Lumpur"])
        #expect(before.turns.first?.reason == "next in rotation after Hanoi")
        let decided = try await fixture.send(
            DecideHost(
                series: plenaries.series.id, originalStart: "2014-09-10", kind: .override, actor: tomsk.id,
                reason: "plenary decision of 2013-11-19 (Hanoi Declaration, article 5)"))
        #expect(decided.warnings == nil)
        #expect(decided.turns.first?.hostName == "Tomsk")
        #expect(decided.turns.first?.number == 13)
        #expect(
            decided.turns.first?.reason == "override: plenary decision of 2013-11-19 (Hanoi Declaration, article 5)")
        let turns = try await fixture.send(NextHosts(series: plenaries.series.id, count: 8, after: "2014-01-01")).turns
        #expect(
            turns.map(\.hostName) == [
                "Tomsk", "Kuala Lumpur", "Seoul", "Singapore", "Tokyo", "Tomsk", "Bangkok", "Hanoi",
            ], "the override covered Jakarta's turn; the order goes on underneath it")
        #expect(turns[1].reason == "next in rotation after Tomsk")
        #expect(turns.map(\.number) == Array(13...20))
        let decisions = try await fixture.events("scheduling.rotation.decided")
        #expect(decisions.count == 1)
    }

    @Test func suspendedDeclinedAndCancelledAreSkippedAndNobodyHostsTwiceInARow() async throws {
        let plenaries = try await Self.plenaries()
        let fixture = plenaries.fixture
        defer { Task { await fixture.close() } }
        let seoul = plenaries.memberships["Seoul"]!
        _ = try await fixture.send(SuspendMembership(id: seoul.id, version: seoul.version, reason: "dues unpaid"))
        _ = try await fixture.send(
            DecideHost(
                series: plenaries.series.id, originalStart: "2015-09-10", kind: .declined,
                actor: plenaries.cities["Kuala Lumpur"]!.id, reason: "elections"))
        _ = try await fixture.send(
            OverrideOccurrence(
                series: plenaries.series.id,
                override: OccurrenceOverride(originalStart: "2016-09-10", status: .cancelled, reason: "pandemic")))
        let turns = try await fixture.send(NextHosts(series: plenaries.series.id, count: 4, after: "2014-01-01")).turns
        #expect(turns.map(\.hostName) == ["Jakarta", "Singapore", nil, "Tokyo"])
        #expect(
            turns[1].reason.contains("passed over Kuala Lumpur (declined), Seoul (suspended)"), "\(turns[1].reason)")
        #expect(turns[2].basis == "none")
        #expect(turns[2].reason == "cancelled; the turn passes to the next occurrence")
        #expect(turns.map(\.number) == [13, 14, nil, 15])
        #expect(turns[3].reason == "next in rotation after Singapore")
    }

    @Test func aCancelledOccurrenceUsesATurnWhenThePolicySaysSo() async throws {
        let plenaries = try await Self.plenaries(cancelledUsesTurn: true)
        let fixture = plenaries.fixture
        defer { Task { await fixture.close() } }
        _ = try await fixture.send(
            OverrideOccurrence(
                series: plenaries.series.id,
                override: OccurrenceOverride(originalStart: "2014-09-10", status: .cancelled)))
        let turns = try await fixture.send(NextHosts(series: plenaries.series.id, count: 2, after: "2014-01-01")).turns
        #expect(turns.map(\.hostName) == [nil, "Kuala Lumpur"])
        #expect(turns[0].reason == "cancelled; it used Jakarta's turn")
    }

    @Test func confirmedTurnsStayWhenMembersChange() async throws {
        let plenaries = try await Self.plenaries(
            policy: .alphabetical, now: ISO8601DateFormatter().date(from: "2014-01-01T00:00:00Z"))
        let fixture = plenaries.fixture
        defer { Task { await fixture.close() } }
        let confirmed = try await fixture.send(ConfirmRotation(series: plenaries.series.id, count: 2))
        #expect(confirmed.turns.map(\.hostName) == ["Jakarta", "Kuala Lumpur"])
        #expect(confirmed.turns.allSatisfy { $0.basis == "rotation" })
        let jakarta = plenaries.memberships["Jakarta"]!
        _ = try await fixture.send(SuspendMembership(id: jakarta.id, version: jakarta.version))
        let turns = try await fixture.send(NextHosts(series: plenaries.series.id, count: 3)).turns
        #expect(turns.map(\.hostName) == ["Jakarta", "Kuala Lumpur", "Seoul"], "recorded decisions are kept")
        let refused = try #require(
            await fixture.failure(
                DecideHost(
                    series: plenaries.series.id, originalStart: "2014-09-11", kind: .override,
                    actor: plenaries.cities["Tomsk"]!.id, reason: "x")))
        #expect(refused.message.hasPrefix("original_start:"))
    }

    @Test func anOverrideByANonMemberIsWarnedOf() async throws {
        let plenaries = try await Self.plenaries()
        let fixture = plenaries.fixture
        defer { Task { await fixture.close() } }
        let guest = try await fixture.city("Ulaanbaatar", "MN", "Asia/Ulaanbaatar")
        let decided = try await fixture.send(
            DecideHost(
                series: plenaries.series.id, originalStart: "2015-09-10", kind: .override, actor: guest.id,
                reason: "guest city"))
        #expect(decided.warnings?.map(\.code) == [.hostNotActiveMember])
        #expect(try await fixture.events("scheduling.conflict.detected").count == 1)
    }

    @Test func regionsTakeTurnsVolunteersComeFirstAndAFixedListCycles() async throws {
        let regional = try await Self.plenaries(policy: .byRegion)
        defer { Task { await regional.fixture.close() } }
        // South-eastern Asia (Bangkok, Hanoi, ...), Eastern Asia (Seoul, Tokyo), Eastern Europe (Tomsk), in turn.
        let turns = try await regional.fixture.send(
            NextHosts(series: regional.series.id, count: 6, after: "2014-01-01")
        ).turns
        #expect(turns.map(\.hostName) == ["Seoul", "Tomsk", "Jakarta", "Tokyo", "Tomsk", "Kuala Lumpur"])

        let volunteers = try await Self.plenaries(policy: .volunteerFirst)
        defer { Task { await volunteers.fixture.close() } }
        _ = try await volunteers.fixture.send(
            DecideHost(
                series: volunteers.series.id, originalStart: "2015-09-10", kind: .volunteered,
                actor: volunteers.cities["Singapore"]!.id, reason: "offered at the 13th"))
        let offered = try await volunteers.fixture.send(
            NextHosts(series: volunteers.series.id, count: 3, after: "2014-01-01")
        ).turns
        #expect(offered.map(\.hostName) == ["Jakarta", "Singapore", "Kuala Lumpur"])
        #expect(offered[1].basis == "volunteered")
        #expect(offered[1].reason == "volunteered: offered at the 13th")

        let fixed = try await Self.plenaries()
        defer { Task { await fixed.fixture.close() } }
        var fields = fixed.series.fields
        fields.rotation?.kind = .fixed
        let refused = try #require(await fixed.fixture.failure(CreateSeries(series: fields)))
        fields.rotation?.members = [fixed.cities["Tokyo"]!.id, fixed.cities["Seoul"]!.id]
        #expect(refused.message.hasPrefix("series.rotation.members:"))
        let listed = try await fixed.fixture.send(CreateSeries(series: fields)).series
        let cycle = try await fixed.fixture.send(NextHosts(series: listed.id, count: 3, after: "2014-01-01")).turns
        #expect(cycle.map(\.hostName) == ["Tokyo", "Seoul", "Tokyo"])
    }
}
