import Bus
import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Ledger
import Synchronization
import Testing

@Suite struct SystemModuleTests {
    @Test func pingAnswersWithTheVersion() async throws {
        let harness = try await TestHarness(modules: [])
        defer { Task { await harness.close() } }
        #expect(try await harness.send(Ping()) == Pong(version: ConcordVersion.current))
    }

    @Test func statusReportsModulesHeadUptimeAndMailboxes() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        // Subscribed before the first write: events reach mailboxes after commit, asynchronously, so a
        // subscription made between writes could see an earlier event or not.
        let subscription = harness.bus.subscribe(
            to: EntryRecorded.self,
            subscriber: "dashboard",
            options: MailboxOptions(capacity: 1, overflow: .drop)
        )
        for (name, amount) in [("a", 1), ("b", 2), ("c", 3)] {
            _ = try await harness.send(RecordEntry(name: name, amount: amount))
        }
        harness.clock.advance(by: 90)

        // Wait (without a deadline that could make the test flaky) until the three events reached the mailbox.
        var status = try await harness.send(GetStatus())
        while status.subscribers.first(where: { $0.subscriber == "dashboard" }).map({ $0.depth + Int($0.dropped) }) != 3
        {
            try await Task.sleep(for: .milliseconds(5))
            status = try await harness.send(GetStatus())
        }
        #expect(status.modules.map(\.name) == ["system", "ledger"])
        #expect(status.modules.allSatisfy { $0.state == .running })
        #expect(status.headSeq == 3)
        #expect(status.uptimeSeconds >= 90)
        #expect(status.accepting)
        let dashboard = try #require(status.subscribers.first { $0.subscriber == "dashboard" })
        #expect(dashboard.depth == 1)
        #expect(dashboard.dropped == 2)
        #expect(dashboard.overflow == .drop)
        #expect(status.drops >= 1)
        subscription.cancel()
    }

    /// A module's own report appears under its entry's details, asked afresh each time.
    @Test func aModulesReportIsInItsStatusEntry() async throws {
        final class Asked: Sendable {
            let count = Mutex(0)
            func next() -> Int64 {
                Int64(
                    count.withLock {
                        $0 += 1; return $0
                    })
            }
        }
        struct Reporting: Module {
            let asked = Asked()
            var descriptor: ModuleDescriptor { ModuleDescriptor(name: "reporting", version: "1.0.0") }
            func start(context: ModuleContext) async throws {
                context.statusReport.provide { [asked] in .object(["asked": .int(asked.next())]) }
            }
        }
        let harness = try await TestHarness(modules: [Reporting(), TestLedger()])
        defer { Task { await harness.close() } }
        let first = try await harness.send(GetStatus())
        #expect(first.modules.first { $0.name == "reporting" }?.details == .object(["asked": .int(1)]))
        #expect(first.modules.first { $0.name == "ledger" }?.details == nil)
        let second = try await harness.send(GetStatus())
        #expect(second.modules.first { $0.name == "reporting" }?.details == .object(["asked": .int(2)]))
    }

    @Test func catalogListsEveryCommandAndEventWithGeneratedSchemas() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let catalog = try await harness.send(GetCatalog())
        let commands = Set(catalog.commands.map(\.command))
        #expect(
            commands.isSuperset(of: [
                "system.ping", "system.status", "system.catalog", "events.head", "events.replay",
                "ledger.entry.record", "ledger.entries.count",
            ])
        )
        let record = try #require(catalog.commands.first { $0.command == "ledger.entry.record" })
        #expect(record.module == "ledger")
        #expect(record.mutating)
        #expect(record.argsSchema["properties"]?["amount"] == .object(["type": "integer"]))
        #expect(record.replySchema["properties"]?["id"] == .object(["type": "integer"]))
        #expect(catalog.commands.first { $0.command == "events.replay" }?.mutating == false)
        let recorded = try #require(catalog.events.first { $0.topic == "ledger.entry.recorded" })
        #expect(recorded.payloadSchema["properties"]?["name"] == .object(["type": "string"]))
        #expect(catalog.events.contains { $0.topic == "system.heartbeat" })
    }

    @Test func replayFiltersByPrefixAndLimitsAndReportsTheHead() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        for index in 0..<5 { _ = try await harness.send(RecordEntry(name: "e\(index)", amount: index)) }
        _ = try await harness.send(SetReminder(key: "k", due: harness.clock.now()))
        #expect(try await eventually { try await harness.send(GetEventsHead()).headSeq == 6 })

        let all = try await harness.send(ReplayEvents(afterSeq: 0))
        #expect(all.events.count == 6)
        #expect(all.headSeq == 6)
        let first = try #require(all.events.first)
        for field in ["seq", "id", "topic", "time", "source", "correlation_id", "payload"] {
            #expect(first[field] != nil, "envelope lacks \(field)")
        }
        #expect(first["time"]?.stringValue?.hasSuffix("Z") == true)

        let page = try await harness.send(ReplayEvents(afterSeq: 2, limit: 2))
        #expect(page.events.compactMap { $0["seq"]?.intValue } == [3, 4])
        let reminders = try await harness.send(ReplayEvents(afterSeq: 0, topics: ["ledger.reminder."]))
        #expect(reminders.events.compactMap { $0["topic"]?.stringValue } == ["ledger.reminder.due"])
        let none = try await harness.send(ReplayEvents(afterSeq: 0, topics: ["registry."]))
        #expect(none.events.isEmpty)
    }

    @Test(arguments: [0, 10_001, -1])
    func replayRefusesALimitOutOfRange(_ limit: Int) async throws {
        let harness = try await TestHarness(modules: [])
        defer { Task { await harness.close() } }
        let error = await #expect(throws: ConcordError.self) {
            _ = try await harness.send(ReplayEvents(afterSeq: 0, limit: limit))
        }
        #expect(error?.code == .badRequest)
        #expect(error?.message.contains("args.limit") == true)
    }

    @Test(arguments: [
        (#"{"name": "a", "amount": "many"}"#, #"args.amount: expected an integer, got "many""#),
        (#"{"name": "a"}"#, "args.amount: missing"),
        (#"{"name": 5, "amount": 1}"#, "args.name: expected a string, got 5"),
        (#"{"name": "a", "amount": 1, "amout": 2}"#, "args.amout: unknown field"),
        (#"[1, 2]"#, "args: expected a JSON object, got an array"),
        (#"{"name": null, "amount": 1}"#, "args.name: expected a string, got null"),
    ])
    func jsonArgumentsThatDoNotFitAreAnsweredWithTheFieldAndTheExpectedForm(args: String, message: String) async throws
    {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let error = await #expect(throws: ConcordError.self) {
            _ = try await harness.bus.dispatch(
                command: "ledger.entry.record", args: Data(args.utf8), context: CommandContext())
        }
        #expect(error?.code == .badRequest)
        #expect(error?.message.hasPrefix(message) == true, "got: \(error?.message ?? "")")
        #expect(try await harness.send(CountEntries()) == 0)
    }

    @Test func jsonDispatchRunsTheTypedHandler() async throws {
        let harness = try await TestHarness(modules: [TestLedger()])
        defer { Task { await harness.close() } }
        let reply = try await harness.bus.dispatch(
            command: "ledger.entry.record",
            args: Data(#"{"name": "Vientiane", "amount": 3}"#.utf8),
            context: CommandContext(requestID: "c-1")
        )
        // The reply's keys come in the order its type declares them, every time.
        #expect(String(decoding: reply, as: UTF8.self) == #"{"id":1,"name":"Vientiane","amount":3}"#)
        let unknown = await #expect(throws: ConcordError.self) {
            _ = try await harness.bus.dispatch(command: "ledger.nothing", args: Data(), context: CommandContext())
        }
        #expect(unknown?.code == .unknownCommand)
    }
}
