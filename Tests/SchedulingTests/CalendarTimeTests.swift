import Contracts
import Foundation
import Testing

/// The times replies carry: numbers that read and write exactly the three texts of the protocol.
@Suite struct CalendarTimeTests {
    @Test(arguments: [
        ("2027-01-04", CalendarTime.Form.date), ("2027-01-04T09:00:00", .local), ("2027-01-04T08:00:00Z", .utc),
        ("2024-02-29", .date), ("0001-01-01T00:00:00", .local), ("9999-12-31T23:59:59Z", .utc),
    ])
    func readsAndWritesTheThreeTexts(text: String, form: CalendarTime.Form) throws {
        let time = try #require(CalendarTime(text))
        #expect(time.form == form)
        #expect(time.text == text)
        #expect("\(time)" == text)
    }

    @Test(arguments: [
        "2027-02-29", "2027-04-31", "2027-13-01", "2027-00-10", "0000-01-01", "2027-01-04T24:00:00",
        "2027-01-04T09:60:00", "2027-01-04T09:00:60", "2027-01-04 09:00:00", "2027-01-04T09:00", "2027-1-4",
        "2027-01-04T09:00:00+01:00", "2027-01-04Z", "", "two thousand",
    ])
    func refusesAnythingElse(text: String) {
        #expect(CalendarTime(text) == nil)
    }

    @Test func itsPartsAreNumbers() throws {
        let time: CalendarTime = "1997-09-26T13:05:07Z"
        #expect(
            [time.year, time.month, time.day, time.hour, time.minute, time.second] == [Int]([1997, 9, 26, 13, 5, 7]))
        #expect(time.with(form: .date).text == "1997-09-26")
        #expect(time.with(form: .local).text == "1997-09-26T13:05:07")
        #expect(MemoryLayout<CalendarTime>.size <= 12)
    }

    @Test func ordersAsTheCalendarDoes() throws {
        let texts = ["2027-01-04T09:00:00", "2026-12-31T23:59:59", "2027-01-04T08:59:59", "2027-01-04T09:00:01"]
        let sorted = texts.compactMap(CalendarTime.init).sorted().map(\.text)
        #expect(sorted == ["2026-12-31T23:59:59", "2027-01-04T08:59:59", "2027-01-04T09:00:00", "2027-01-04T09:00:01"])
    }

    @Test func aYearBeyondFourDigitsIsWrittenInTheExpandedForm() {
        // The UTC instant of 9999-12-31T23:00:00 in New York.
        let time = CalendarTime(year: 10_000, month: 1, day: 1, hour: 4, form: .utc)
        #expect(time.text == "+10000-01-01T04:00:00Z")
        #expect(CalendarTime(year: 0, month: 12, day: 31, hour: 20, form: .utc).text == "+0000-12-31T20:00:00Z")
    }

    @Test func codesAsItsTextAndNamesWhatIsExpected() throws {
        struct Holder: Codable, Equatable { var at: CalendarTime }
        let data = try JSONEncoder().encode(Holder(at: "2027-01-04T09:00:00"))
        #expect(String(decoding: data, as: UTF8.self) == #"{"at":"2027-01-04T09:00:00"}"#)
        #expect(try JSONDecoder().decode(Holder.self, from: data).at.text == "2027-01-04T09:00:00")
        do {
            _ = try JSONDecoder().decode(Holder.self, from: Data(#"{"at":"2027-02-30"}"#.utf8))
            Issue.record("30 February was read")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription.contains("expected a date (2027-01-04)"))
            #expect(context.debugDescription.contains("got \"2027-02-30\""))
            #expect(context.codingPath.map(\.stringValue) == ["at"])
        }
    }
}

@Suite struct CalendarDayNumberTests {
    @Test(arguments: [
        ("1970-01-01", 0), ("1969-12-31", -1), ("2000-03-01", 11_017), ("2026-12-03", 20_790), ("0001-01-01", -719_162),
    ])
    func countsDaysFromTheEpoch(text: String, days: Int) throws {
        #expect(try #require(CalendarTime(text)).daysSinceEpoch == days)
    }
}
