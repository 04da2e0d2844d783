import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Testing

/// One-off meetings: zones, validation that names the field, conflict warnings, durable reminders.
@Suite struct MeetingTests {
    @Test func aMeetingTakesItsZoneFromItsVenueAndKeepsItsLocalTime() async throws {
        let fixture = try await SchedulingFixture()
        defer { Task { await fixture.close() } }
        let tomsk = try await fixture.city("Tomsk", "RU", "Asia/Tomsk")
        let change = try await fixture.send(
            ScheduleMeeting(
                meeting: MeetingFields(
                    kind: .plenary, title: "13th Plenary Meeting", number: 13, venue: Venue(actor: tomsk.id),
                    start: "2027-09-10T09:00:00", end: "2027-09-11T17:00:00")))
        #expect(change.meeting.fields.timeZone == "Asia/Tomsk")
        #expect(change.meeting.startUTC == "2027-09-10T02:00:00Z", "Tomsk is at +07:00 since 2016")
        #expect(change.meeting.endUTC == "2027-09-11T10:00:00Z")
        #expect(change.warnings.isEmpty)
        // From October 2014 to May 2016 Tomsk was at +06:00: the zone's history applies to past dates.
        let past = try await fixture.send(
            ScheduleMeeting(
                meeting: MeetingFields(
                    kind: .plenary, title: "Earlier", venue: Venue(actor: tomsk.id), start: "2015-09-10T09:00:00",
                    end: "2015-09-10T12:00:00", reminders: [])))
        #expect(past.meeting.startUTC == "2015-09-10T03:00:00Z")
        let scheduled = try await fixture.events("scheduling.meeting.scheduled")
        #expect(scheduled.count == 2)
    }

    @Test func badInputNamesTheField() async throws {
        let fixture = try await SchedulingFixture()
        defer { Task { await fixture.close() } }
        let hanoi = try await fixture.city("Hanoi", "VN", "Asia/Ho_Chi_Minh")
        func meeting(
            start: String = "2027-01-10T09:00:00", end: String = "2027-01-10T12:00:00", zone: String? = "Asia/Tokyo",
            participants: [Participant]? = nil, reminders: [String]? = nil, venue: Venue? = nil
        ) -> ScheduleMeeting {
            ScheduleMeeting(
                meeting: MeetingFields(
                    kind: .dialogue, title: "Dialogue", venue: venue, start: start, end: end, timeZone: zone,
                    participants: participants, reminders: reminders))
        }
        let cases: [(ScheduleMeeting, String, String)] = [
            (meeting(end: "2027-01-10T08:00:00"), "meeting.end", "expected a time after the start"),
            (meeting(zone: "Mars/Olympus"), "meeting.time_zone", "expected an IANA time zone"),
            (meeting(zone: nil), "meeting.time_zone", "required"),
            (meeting(start: "2027-02-30T09:00:00"), "meeting.start", "expected a local date-time"),
            (meeting(end: "2027-01-11"), "meeting.end", "expected a local date-time"),
            (
                meeting(participants: [Participant(actor: "nobody")]), "meeting.participants[0].actor",
                "no actor \"nobody\""
            ),
            (
                meeting(participants: [Participant(actor: hanoi.id), Participant(actor: hanoi.id)]),
                "meeting.participants[1]", "listed twice"
            ),
            (meeting(reminders: ["P7X"]), "meeting.reminders[0]", "ISO 8601 duration"),
        ]
        for (command, field, words) in cases {
            let error = try #require(await fixture.failure(command), "\(field) should be refused")
            #expect(error.code == .badRequest)
            #expect(error.message.hasPrefix(field + ":"), "\(error.message)")
            #expect(error.message.contains(words), "\(error.message)")
            #expect(error.details["field"] == .string(field))
        }
        #expect(try await fixture.send(ListMeetings()).meetings.isEmpty, "nothing was written")
    }

    /// A meeting keeps its network as it was given; listing by the network's id or its acronym (any case) finds it.
    @Test func meetingsAndSeriesAreListedByTheNetworksIdOrAcronym() async throws {
        let fixture = try await SchedulingFixture()
        defer { Task { await fixture.close() } }
        let anmc = try await fixture.network("ANMC21")
        let umci = try await fixture.network("UMCI")
        let hanoi = try await fixture.city("Hanoi", "VN", "Asia/Ho_Chi_Minh")
        let byAcronym = try await fixture.send(
            ScheduleMeeting(
                meeting: MeetingFields(
                    kind: .expertMeeting, title: "Energy experts", network: "ANMC21", host: hanoi.id,
                    start: "2027-03-02T09:00:00", end: "2027-03-02T17:00:00", timeZone: "Asia/Ho_Chi_Minh")))
        let byID = try await fixture.send(
            ScheduleMeeting(
                meeting: MeetingFields(
                    kind: .tradeFair, title: "Trade fair", network: anmc.id, host: hanoi.id,
                    start: "2027-04-02T09:00:00", end: "2027-04-02T17:00:00", timeZone: "Asia/Ho_Chi_Minh")))
        _ = try await fixture.send(
            ScheduleMeeting(
                meeting: MeetingFields(
                    kind: .dialogue, title: "Dialogue", network: "UMCI", start: "2027-05-02T09:00:00",
                    end: "2027-05-02T17:00:00", timeZone: "Asia/Vientiane")))
        let both = [byAcronym.meeting.id, byID.meeting.id]
        for key in [anmc.id, "ANMC21", "anmc21"] {
            #expect(try await fixture.send(ListMeetings(network: key)).meetings.map(\.id) == both, "\(key)")
        }
        #expect(try await fixture.send(ListMeetings(network: "nobody")).meetings.isEmpty)
        for network in ["UMCI", anmc.id] {
            _ = try await fixture.send(
                CreateSeries(
                    series: SeriesFields(
                        kind: .plenary, title: "Plenary", network: network, dtstart: "2027-10-20T09:00:00",
                        duration: "PT8H", timeZone: "Asia/Tokyo", rrule: "FREQ=YEARLY;COUNT=2")))
        }
        #expect(try await fixture.send(ListSeries(network: umci.id)).series.map(\.fields.network) == ["UMCI"])
        #expect(try await fixture.send(ListSeries(network: "anmc21")).series.map(\.fields.network) == [anmc.id])
    }

    @Test func doubleBookingsAndANonMemberHostAreWarnedOfNotRefused() async throws {
        let fixture = try await SchedulingFixture()
        defer { Task { await fixture.close() } }
        _ = try await fixture.network("ANMC21")
        let hanoi = try await fixture.city("Hanoi", "VN", "Asia/Ho_Chi_Minh")
        let jakarta = try await fixture.city("Jakarta", "ID", "Asia/Jakarta")
        try await fixture.member(hanoi, of: "ANMC21")
        let first = try await fixture.send(
            ScheduleMeeting(
                meeting: MeetingFields(
                    kind: .expertMeeting, title: "Energy experts", network: "ANMC21", host: hanoi.id,
                    venue: Venue(actor: hanoi.id, text: "City Hall"), start: "2027-03-02T09:00:00",
                    end: "2027-03-02T17:00:00", participants: [Participant(actor: jakarta.id)])))
        #expect(first.warnings.isEmpty)
        let second = try await fixture.send(
            ScheduleMeeting(
                meeting: MeetingFields(
                    kind: .tradeFair, title: "Trade fair", network: "ANMC21", host: jakarta.id,
                    venue: Venue(actor: hanoi.id, text: "city hall"), start: "2027-03-02T15:00:00",
                    end: "2027-03-02T18:00:00", timeZone: "Asia/Ho_Chi_Minh")))
        #expect(
            Set(second.warnings.map(\.code)) == [
                .participantDoubleBooked, .venueDoubleBooked, .hostNotActiveMember,
            ])
        #expect(second.warnings.first { $0.code == .participantDoubleBooked }?.with == first.meeting.id)
        let events = try await fixture.events("scheduling.conflict.detected")
        #expect(events.count == 1)
        #expect(events.first?["subject"] == .string(second.meeting.id))
        // Cancelled, the first no longer collides.
        _ = try await fixture.send(CancelMeeting(id: first.meeting.id, version: 1, reason: "moved online"))
        let moved = try await fixture.send(
            UpdateMeeting(id: second.meeting.id, version: 1, meeting: second.meeting.fields))
        #expect(moved.warnings.map(\.code) == [.hostNotActiveMember])
        #expect(moved.meeting.version == 2)
        let stale = try #require(
            await fixture.failure(UpdateMeeting(id: second.meeting.id, version: 1, meeting: second.meeting.fields)))
        #expect(stale.code == .conflict)
    }

    /// Reminders at 30, 7 and 1 day before, in the meeting's zone; they move with a postponement, go with a
    /// cancellation, and none fires twice across a restart.
    @Test func remindersFollowTheMeetingAndFireOnce() async throws {
        let fixture = try await SchedulingFixture()
        defer { Task { await fixture.close() } }
        let clock = fixture.harness.clock
        // 2027-04-01 09:00 in Berlin (+02:00, summer time); 30 days before is 2027-03-02 09:00 (+01:00).
        let meeting = try await fixture.send(
            ScheduleMeeting(
                meeting: MeetingFields(
                    kind: .review, title: "Review", start: "2027-04-01T09:00:00", end: "2027-04-01T11:00:00",
                    timeZone: "Europe/Berlin"))
        ).meeting
        func fired() async throws -> [String] {
            try await fixture.events("scheduling.meeting.reminder_due").compactMap { event in
                guard let offset = event["offset"]?.stringValue, let start = event["start"]?.stringValue else {
                    return nil
                }
                return "\(offset) \(start.prefix(10))"
            }
        }
        clock.advance(to: ISO8601DateFormatter().date(from: "2027-03-02T07:59:00Z")!)
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await fired().isEmpty)
        clock.advance(to: ISO8601DateFormatter().date(from: "2027-03-02T08:00:00Z")!)
        #expect(try await eventually { try await fired() == ["P30D 2027-04-01"] })
        let reminder = try #require(try await fixture.events("scheduling.meeting.reminder_due").first)
        #expect(reminder["start_utc"] == .string("2027-04-01T07:00:00Z"))
        #expect(reminder["time_zone"] == .string("Europe/Berlin"))
        // Postponed by a week: the reminders move; the 30-day one is due again, for the new date.
        let postponed = try await fixture.send(
            PostponeMeeting(id: meeting.id, version: 1, start: "2027-04-08T09:00:00", reason: "venue flooded"))
        #expect(postponed.meeting.fields.status == .postponed)
        #expect(postponed.meeting.fields.end == "2027-04-08T11:00:00")
        try await fixture.harness.restart(modules: SchedulingFixture.modules)
        clock.advance(to: ISO8601DateFormatter().date(from: "2027-03-25T07:30:00Z")!)
        try await Task.sleep(for: .milliseconds(100))
        #expect(
            try await fired() == ["P30D 2027-04-01", "P30D 2027-04-08"],
            "the old 7-day reminder (due 2027-03-25T08:00Z) was moved, and nothing fired twice")
        clock.advance(to: ISO8601DateFormatter().date(from: "2027-04-01T07:00:00Z")!)
        #expect(try await eventually { try await fired().last == "P7D 2027-04-08" })
        _ = try await fixture.send(CancelMeeting(id: meeting.id, version: 2))
        clock.advance(to: ISO8601DateFormatter().date(from: "2027-04-09T00:00:00Z")!)
        try await fixture.harness.restart(modules: SchedulingFixture.modules)
        try await Task.sleep(for: .milliseconds(100))
        #expect(
            try await fired() == ["P30D 2027-04-01", "P30D 2027-04-08", "P7D 2027-04-08"],
            "cancelled: the 1-day reminder never fires")
    }
}
