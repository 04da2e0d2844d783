import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import MembershipDues
import Registry
import Testing

/// The MembershipDues plugin run built in (``BuiltInPlugin``), on the test clock.
@Suite struct DuesTests {
    static func harness() async throws -> (TestHarness, DuesFixture) {
        let clock = TestClock(now: Date(timeIntervalSince1970: 1_796_083_200))  // 2026-12-01T00:00:00Z
        let harness = try await TestHarness(
            modules: [RegistryModule(), BuiltInPlugin<MembershipDues>()], clock: clock)
        return (harness, try await DuesFixture.make(harness))
    }

    @Test func invoicesFollowTheMostSpecificFeeAndSkipMembersWithoutOne() async throws {
        let (harness, fixture) = try await Self.harness()
        defer { Task { await harness.close() } }
        _ = try await harness.call("dues.rates.set", DuesFixture.rates)
        let issued = try await harness.call("dues.invoices.issue", ["network": "mdtn", "year": 2027])
        let amounts = Dictionary(
            uniqueKeysWithValues: issued["issued"]!.array.map { ($0["member"]!.string!, $0["amount"]!) })
        #expect(
            amounts == [
                fixture.metropolis.id: .int(500_000), fixture.large.id: .int(250_000),
                fixture.unknown.id: .int(100_000),
            ])
        #expect(issued["already_issued"] == .int(0))
        #expect(
            issued["skipped"]
                == .array([
                    .object([
                        "member": .string(fixture.observer.id),
                        "reason": "no fee for role observer and size class large",
                    ])
                ]))
        let unknown = try #require(issued["issued"]!.array.first { $0["member"]?.string == fixture.unknown.id })
        #expect(unknown["size_class"] == "unknown")
        #expect(unknown["member_name"] == "Châu Đốc")

        // Issuing again issues nothing twice.
        let again = try await harness.call(
            "dues.invoices.issue", ["network": .string(fixture.network.id), "year": 2027])
        #expect(again["issued"] == .array([]))
        #expect(again["already_issued"] == .int(3))
        let events = try await harness.journaled(prefixes: ["dues."]).map(\.topic.rawValue)
        #expect(events == ["dues.rates.set"] + Array(repeating: "dues.invoice.issued", count: 3))
    }

    @Test func paymentsSettleInvoicesAndArrearsCountTheDaysOverdue() async throws {
        let (harness, fixture) = try await Self.harness()
        defer { Task { await harness.close() } }
        _ = try await harness.call("dues.rates.set", DuesFixture.rates)
        let issued = try await harness.call("dues.invoices.issue", ["network": "MDTN", "year": 2027])
        let invoice = { (member: String) in
            issued["issued"]!.array.first { $0["member"]?.string == member }!["id"]!
        }
        let large = invoice(fixture.large.id)
        let partial = try await harness.call(
            "dues.payment.record", ["invoice": large, "amount": 100_000, "paid_on": "2027-02-01", "reference": "VCB-1"])
        #expect(partial["invoice"]?["outstanding"] == .int(150_000))
        #expect(partial["invoice"]?["status"] == "open")
        do {
            _ = try await harness.call(
                "dues.payment.record", ["invoice": large, "amount": 150_001, "paid_on": "2027-02-02"])
            Issue.record("an overpayment was accepted")
        } catch let error as ConcordError {
            #expect(error.code == .conflict)
            #expect(error.message.contains("150001 is more than the 150000 USD still owed"))
        }
        let settled = try await harness.call(
            "dues.payment.record", ["invoice": large, "amount": 150_000, "paid_on": "2027-02-03"])
        #expect(settled["invoice"]?["status"] == "settled")
        let topics = try await harness.journaled(prefixes: ["dues.payment", "dues.invoice.settled"]).map(
            \.topic.rawValue)
        #expect(topics == ["dues.payment.recorded", "dues.payment.recorded", "dues.invoice.settled"])

        let arrears = try await harness.call("dues.arrears.list", ["network": "MDTN", "as_of": "2027-04-30"])
        let members = arrears["members"]!.array
        #expect(members.map { $0["member"]!.string! } == [fixture.metropolis.id, fixture.unknown.id].sorted())
        #expect(members.first?["invoices"]?[0]?["days_overdue"] == .int(30))
        // Nothing is in arrears before the due date.
        let early = try await harness.call("dues.arrears.list", ["network": "MDTN", "as_of": "2027-03-31"])
        #expect(early["members"] == .array([]))

        let open = try await harness.call("dues.invoice.list", ["network": "MDTN", "status": "open"])
        #expect(open["invoices"]!.array.count == 2)
    }

    @Test func remindersFireBeforeAndAfterTheDueDateUntilTheInvoiceIsSettled() async throws {
        let (harness, fixture) = try await Self.harness()
        defer { Task { await harness.close() } }
        _ = try await harness.call("dues.rates.set", DuesFixture.rates)
        let issued = try await harness.call("dues.invoices.issue", ["network": "MDTN", "year": 2027])
        let settledID = issued["issued"]!.array.first { $0["member"]?.string == fixture.large.id }!["id"]!
        _ = try await harness.call(
            "dues.payment.record", ["invoice": settledID, "amount": 250_000, "paid_on": "2027-01-15"])
        let partialID = issued["issued"]!.array.first { $0["member"]?.string == fixture.metropolis.id }!["id"]!
        _ = try await harness.call(
            "dues.payment.record", ["invoice": partialID, "amount": 200_000, "paid_on": "2027-01-15"])

        // 14 days before 31 March, at 09:00 UTC; then the day after it.
        harness.clock.advance(to: Date(timeIntervalSince1970: 1_805_274_000))  // 2027-03-17T09:00:00Z
        #expect(try await eventually { try await harness.journaled(prefixes: ["dues.reminder."]).count == 2 })
        let upcoming = try await harness.journaled(prefixes: ["dues.reminder."])
        #expect(upcoming.allSatisfy { $0.payload["kind"] == "upcoming" })
        #expect(Set(upcoming.compactMap { $0.payload["invoice"]?.string }).contains(settledID.string!) == false)
        let partial = try #require(upcoming.first { $0.payload["invoice"] == partialID })
        #expect(partial.payload["outstanding"] == .int(300_000))

        harness.clock.advance(to: Date(timeIntervalSince1970: 1_806_570_000))  // 2027-04-01T09:00:00Z
        #expect(try await eventually { try await harness.journaled(prefixes: ["dues.reminder."]).count == 4 })
        let all = try await harness.journaled(prefixes: ["dues.reminder."])
        #expect(all.suffix(2).allSatisfy { $0.payload["kind"] == "overdue" })
    }

    @Test func aMemberWhoJoinsInAYearWithDuesIsInvoicedForIt() async throws {
        let (harness, fixture) = try await Self.harness()
        defer { Task { await harness.close() } }
        try await Self.joinDuringTheYear(harness, fixture)
        // The year's invoices, issued afterwards, count the member who joined as invoiced already.
        let later = try await harness.call("dues.invoices.issue", ["network": "MDTN", "year": 2026])
        #expect(later["already_issued"] == 1)
        #expect(later["issued"]!.array.count == 3)
    }

    /// Sets the dues of the test clock's year, adds a member, and expects its invoice from the subscription.
    static func joinDuringTheYear(_ harness: TestHarness, _ fixture: DuesFixture) async throws {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let year = utc.component(.year, from: harness.clock.now())
        var rates = DuesFixture.rates
        if case .object(var fields) = rates {
            fields["year"] = .int(Int64(year))
            fields["due_on"] = .string("\(year)-12-31")
            rates = .object(fields)
        }
        _ = try await harness.call("dues.rates.set", rates)
        let head = harness.journal.headSeq
        let joining = try await harness.send(
            RegisterActor(actor: ActorFields(name: "Pakse", kind: .city, country: "LA", population: 88_332)))
        _ = try await harness.send(
            AddMembership(
                actor: joining.id, network: fixture.network.id, role: .member, start: "2026-12-01",
                basis: MembershipBasis(kind: .accession, decidedBy: "MDTN council", decidedOn: "2026-11-20")))
        #expect(
            try await eventually {
                try await harness.journaled(after: head, prefixes: ["dues.invoice.issued"]).count == 1
            })
        let issued = try await harness.journaled(after: head, prefixes: ["dues.invoice.issued"])
        #expect(issued.first?.payload["invoice"]?["member"] == .string(joining.id))
        #expect(issued.first?.payload["invoice"]?["amount"] == 100_000)
        #expect(issued.first?.payload["invoice"]?["year"] == .int(Int64(year)))
    }

    @Test(arguments: [
        (
            "dues.rates.set", #"{"network":"MDTN","year":2027,"currency":"usd","due_on":"2027-03-31","fees":[]}"#,
            "args.currency: expected an ISO 4217 code"
        ),
        (
            "dues.rates.set", #"{"network":"MDTN","year":2027,"currency":"USD","due_on":"2027-02-30","fees":[]}"#,
            "args.due_on: expected a date YYYY-MM-DD"
        ),
        (
            "dues.rates.set", #"{"network":"MDTN","year":2027,"currency":"USD","due_on":"2027-03-31","fees":[]}"#,
            "args.fees: expected at least one fee"
        ),
        (
            "dues.rates.set",
            #"{"network":"MDTN","year":2027,"currency":"USD","due_on":"2027-03-31","fees":[{"role":"mayor","size_class":"*","amount":1}]}"#,
            "args.fees[0].role: expected one of"
        ),
        (
            "dues.rates.set",
            #"{"network":"MDTN","year":2027,"currency":"USD","due_on":"2027-03-31","fees":[{"role":"*","size_class":"*","amount":-1}]}"#,
            "args.fees[0].amount: expected 0 or more"
        ),
        (
            "dues.rates.set",
            #"{"network":"NOPE","year":2027,"currency":"USD","due_on":"2027-03-31","fees":[{"role":"*","size_class":"*","amount":1}]}"#,
            "network NOPE: no network has this id or acronym"
        ),
        ("dues.invoices.issue", #"{"network":"MDTN","year":2031}"#, "no dues are set for MDTN in 2031"),
        ("dues.invoices.issue", #"{"network":"MDTN","year":"2031"}"#, "args.year: expected an integer"),
        (
            "dues.payment.record", #"{"invoice":"nope","amount":5,"paid_on":"2027-01-01"}"#,
            "invoice nope: no such invoice"
        ),
        (
            "dues.payment.record", #"{"invoice":"nope","amount":0,"paid_on":"2027-01-01"}"#,
            "args.amount: expected more than 0"
        ),
        ("dues.invoice.list", #"{"status":"late"}"#, "args.status: expected open or settled"),
        ("dues.arrears.list", #"{"network":"MDTN","as_of":"31/03/2027"}"#, "args.as_of: expected a date"),
    ])
    func badInputNamesTheField(command: String, args: String, message: String) async throws {
        let (harness, _) = try await Self.harness()
        defer { Task { await harness.close() } }
        do {
            _ = try await harness.bus.dispatch(command: command, args: Data(args.utf8), context: CommandContext())
            Issue.record("\(command) accepted \(args)")
        } catch let error as ConcordError {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }
}
