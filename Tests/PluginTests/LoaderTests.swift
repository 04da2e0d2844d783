import Bus
import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import PluginHost
import Registry
import Testing

/// The daemon's side of the C boundary: the load checks, and a real `.so` plugin run through it.
@Suite struct LoaderTests {
    @Test func aPluginThatDoesNotMatchIsRefusedBeforeItRunsWithWhatItHasAndWhatIsNeeded() async throws {
        let directory = try PluginFiles.temporaryDirectory()
        _ = try PluginFiles.fixture("a-abi2", in: directory, defines: ["FIXTURE_ABI=2", "FIXTURE_NAME=\"abi\""])
        _ = try PluginFiles.fixture(
            "b-swift", in: directory, defines: ["FIXTURE_COMPILER=\"5.10\"", "FIXTURE_NAME=\"old\""])
        _ = try PluginFiles.fixture(
            "c-concord", in: directory,
            defines: ["FIXTURE_FROM=\"0.2.0\"", "FIXTURE_BELOW=\"0.3.0\"", "FIXTURE_NAME=\"future\""])
        _ = try PluginFiles.fixture("d-good", in: directory, defines: ["FIXTURE_NAME=\"echo\""])
        try Data("not an ELF file".utf8).write(to: directory.appendingPathComponent("e-text.so"))
        let logs = LogCapture()
        let outcome = await PluginLoader.load(directory: directory.path, logger: logs.logger(label: "test"))
        #expect(outcome.modules.map(\.descriptor.name) == ["echo"])
        let refused = outcome.refused.map { "\($0.name): \($0.error ?? "")" }
        #expect(refused.count == 4)
        #expect(refused[0] == "a-abi2: it was built for plugin ABI 2; this concordd loads plugin ABI 1")
        #expect(refused[1].hasPrefix("old: it was built with Swift 5.10; this concordd was built with Swift 6.3"))
        #expect(
            refused[2]
                == "future: it was built for Concord 0.2.0 up to, not including, 0.3.0; this is Concord \(ConcordVersion.current)"
        )
        #expect(refused[3].hasPrefix("e-text: it cannot be loaded: "))
        #expect(outcome.refused.allSatisfy { $0.state == .refused })
        #expect(logs.all.filter { $0.level == .error && $0.message.hasPrefix("plugin refused: ") }.count == 4)
    }

    @Test func aDirectoryThatDoesNotExistHoldsNoPlugins() async {
        let outcome = await PluginLoader.load(
            directory: "/nonexistent/concord/plugins", logger: LogCapture().logger(label: "test"))
        #expect(outcome.modules.isEmpty && outcome.refused.isEmpty)
    }

    @Test func aPluginThatClaimsAnotherModulesNamespaceOrFailsToStartIsReportedAndTheOthersRun() async throws {
        let directory = try PluginFiles.temporaryDirectory()
        _ = try PluginFiles.fixture(
            "a-thief", in: directory, defines: ["FIXTURE_NAME=\"thief\"", "FIXTURE_NAMESPACE=\"registry\""])
        _ = try PluginFiles.fixture(
            "b-fails", in: directory, defines: ["FIXTURE_NAME=\"fails\"", "FIXTURE_START_FAILS"])
        _ = try PluginFiles.fixture("c-echo", in: directory, defines: ["FIXTURE_NAME=\"echo\""])
        let outcome = await PluginLoader.load(directory: directory.path, logger: LogCapture().logger(label: "test"))
        let harness = try await TestHarness(modules: [RegistryModule()] + outcome.modules)
        defer { Task { await harness.close() } }
        let states = Dictionary(uniqueKeysWithValues: harness.runtime.moduleStates.map { ($0.name, $0) })
        #expect(states["thief"]?.state == .failed)
        #expect(
            states["thief"]?.error?.contains(
                #"module "thief" claims the namespace "registry", which module "registry" owns"#) == true)
        #expect(states["fails"]?.state == .failed)
        #expect(states["fails"]?.error?.contains("the fixture fails to start") == true)
        #expect(states["echo"]?.state == .running)
        #expect(states["registry"]?.state == .running)
        let echoed = try await harness.call("echo.echo", ["words": "xin chào"])
        #expect(echoed == ["words": "xin chào"])
        do {
            _ = try await harness.call("fails.echo", [:])
            Issue.record("a plugin that failed to start answered")
        } catch let error as ConcordError {
            #expect(error.code == .unknownCommand)
        }
    }

    @Test func theMembershipDuesSharedObjectRunsThroughTheBoundaryAsItDoesBuiltIn() async throws {
        let plugin = try await PluginLoader.load(path: try PluginFiles.membershipDues).get()
        let clock = TestClock(now: Date(timeIntervalSince1970: 1_796_083_200))  // 2026-12-01T00:00:00Z
        let harness = try await TestHarness(modules: [RegistryModule(), plugin], clock: clock)
        defer { Task { await harness.close() } }
        let fixture = try await DuesFixture.make(harness)
        let reminders = harness.bus.subscribe(prefix: "dues.reminder.", subscriber: "test", options: MailboxOptions())

        let rates = try await harness.call("dues.rates.set", DuesFixture.rates)
        #expect(rates["network"] == .string(fixture.network.id))
        let issued = try await harness.call("dues.invoices.issue", ["network": "MDTN", "year": 2027])
        #expect(issued["issued"]!.array.count == 3)
        let invoice = issued["issued"]!.array.first { $0["member"]?.string == fixture.unknown.id }!["id"]!

        // An idempotent payment: the retry answers the first reply and records nothing more.
        let args: JSONValue = ["invoice": invoice, "amount": 40_000, "paid_on": "2027-01-10"]
        let first = try await harness.call("dues.payment.record", args, idempotencyKey: "pay-1")
        let retry = try await harness.call("dues.payment.record", args, idempotencyKey: "pay-1")
        #expect(first == retry)
        let payments = try await harness.journaled(prefixes: ["dues.payment."])
        #expect(payments.count == 1)
        #expect(payments.first?.source == "dues")

        // Bad input is refused by the plugin's own decoding, naming the field.
        do {
            _ = try await harness.call("dues.payment.record", ["invoice": invoice, "amount": "many"])
            Issue.record("a bad amount was accepted")
        } catch let error as ConcordError {
            #expect(error.code == .badRequest)
            #expect(error.message == #"args.amount: expected an integer, got "many""#)
        }

        // The plugin's timers are the daemon's durable timers; they fire as untyped events under their own topic.
        clock.advance(to: Date(timeIntervalSince1970: 1_805_274_000))  // 2027-03-17T09:00:00Z
        var received: [Envelope<any Event>] = []
        for await batch in reminders {
            received += batch
            if received.count >= 3 { break }
        }
        #expect(received.map(\.topic.rawValue) == Array(repeating: "dues.reminder.due", count: 3))
        let payload = try #require(
            received.compactMap { $0.payload as? UntypedEvent }.first { $0.payload["invoice"] == invoice })
        #expect(payload.payload["outstanding"] == .int(60_000))

        // Its subscription is delivered across the boundary: a member who joins is invoiced for the year.
        try await DuesTests.joinDuringTheYear(harness, fixture)

        let catalog = try await harness.send(GetCatalog())
        #expect(catalog.events.filter { $0.module == "dues" }.map(\.topic).contains("dues.reminder.due"))
        #expect(catalog.commands.first { $0.command == "dues.payment.record" }?.mutating == true)
        let status = try await harness.send(GetStatus())
        let dues = try #require(status.modules.first { $0.name == "dues" })
        #expect(dues.details?["plugin"]?["swift"] == .string(ConcordVersion.swiftCompiler))
        #expect(dues.details?["report"]?["open_invoices"] == .int(4))
    }
}
