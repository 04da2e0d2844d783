import Bus
import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Ledger
import Synchronization
import Testing

/// The hub external modules attach to, with a link that records what the daemon sends and a test that answers
/// as the module would.
@Suite struct ExternalModulesTests {
    final class RecordingLink: ModuleLink {
        private let sent = Mutex<[JSONValue]>([])
        private let open = Atomic<Bool>(true)

        func send(_ message: [UInt8]) -> Bool {
            guard open.load(ordering: .relaxed) else { return false }
            sent.withLock { $0.append(JSONValue.parse(message) ?? .null) }
            return true
        }

        func close() { open.store(false, ordering: .relaxed) }

        /// The next command the daemon sent, waiting for it.
        func nextCommand(after count: Int = 0) async throws -> JSONValue {
            var found: JSONValue?
            #expect(
                try await eventually {
                    found = sent.withLock { $0.filter { $0["type"] == "command" }.dropFirst(count).first }
                    return found != nil
                })
            return try #require(found)
        }

        var commands: Int { sent.withLock { $0.filter { $0["type"] == "command" }.count } }
        var heartbeats: Int { sent.withLock { $0.filter { $0["type"] == "heartbeat" }.count } }
    }

    static let declaration = AttachModule(
        name: "monitoring", version: "1.0.0",
        commands: [
            ExternalCommand(command: "monitoring.report.submit"),
            ExternalCommand(command: "monitoring.report.list", mutating: false),
        ],
        events: [ExternalEvent(topic: "monitoring.report.submitted")], heartbeatMs: 100, commandTimeoutMs: 500)

    /// Sends the module's heartbeats from `linkID` until cancelled, as a live module would.
    static func beat(_ hub: ExternalModules, from linkID: [UInt8]) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                try? hub.received(["type": "heartbeat"], from: linkID)
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    static func reply(to command: JSONValue, _ fields: JSONObject) -> JSONObject {
        var message: JSONObject = ["type": "reply", "call": command["call"] ?? .null]
        for (key, value) in fields { message[key] = value }
        return message
    }

    @Test func aReplysEventsAreJournaledInTheCommitThatAnswersAndAnIdempotentRetryIsNotSentAgain() async throws {
        let harness = try await TestHarness(modules: [LedgerModule()])
        defer { Task { await harness.close() } }
        let link = RecordingLink()
        let hub = harness.runtime.externals
        _ = try hub.attach(Self.declaration, link: link, linkID: [1], peer: "intake")
        let beating = Self.beat(hub, from: [1])
        defer { beating.cancel() }
        let caller = Task {
            try await harness.bus.dispatch(
                command: "monitoring.report.submit", args: ["city": "osh"],
                context: CommandContext(
                    requestID: "r-1", idempotencyKey: "k-1", caller: "secretariat", role: "operator")
            )
        }
        let command = try await link.nextCommand()
        #expect(command["command"] == "monitoring.report.submit")
        #expect(command["args"] == ["city": "osh"])
        #expect(command["caller"] == "secretariat" && command["role"] == "operator")
        #expect(command["idempotency_key"] == "k-1")
        try hub.received(
            Self.reply(
                to: command,
                [
                    "ok": true, "result": ["report": "r1"],
                    "events": [["topic": "monitoring.report.submitted", "payload": ["report": "r1"]]],
                ]), from: [1])
        let answer = try await caller.value
        #expect(JSONValue.parse(answer) == ["report": "r1"])
        let journaled = try await harness.journaled(prefixes: ["monitoring."])
        #expect(journaled.map(\.topic.rawValue) == ["monitoring.report.submitted"])
        #expect(journaled.first?.source == "monitoring" && journaled.first?.correlationID == "r-1")
        // The key was kept with the event: a retry answers the first reply without asking the module again.
        let retry = try await harness.bus.dispatch(
            command: "monitoring.report.submit", args: ["city": "osh"],
            context: CommandContext(idempotencyKey: "k-1", caller: "secretariat"))
        #expect(JSONValue.parse(retry) == ["report": "r1"])
        #expect(link.commands == 1)
        let catalog = try await harness.send(GetCatalog())
        #expect(catalog.commands.filter { $0.module == "monitoring" }.map(\.command).count == 2)
        #expect(catalog.events.filter { $0.module == "monitoring" }.map(\.topic) == ["monitoring.report.submitted"])
    }

    @Test func aCallNotAnsweredInTimeIsUnavailableAndItsLateReplyIsCounted() async throws {
        let harness = try await TestHarness(modules: [])
        defer { Task { await harness.close() } }
        let link = RecordingLink()
        let hub = harness.runtime.externals
        _ = try hub.attach(Self.declaration, link: link, linkID: [2], peer: "intake")
        let beating = Self.beat(hub, from: [2])
        defer { beating.cancel() }
        let started = ContinuousClock.now
        do {
            _ = try await harness.bus.dispatch(
                command: "monitoring.report.list", args: [:], context: CommandContext())
            Issue.record("an unanswered call was answered")
        } catch let error as ConcordError {
            #expect(error.code == .unavailable)
            #expect(error.message == #"module "monitoring" did not answer in time; retry the command"#)
        }
        #expect(ContinuousClock.now - started >= .milliseconds(500))
        // The daemon beat every 100 ms meanwhile.
        #expect(link.heartbeats >= 3)
        let command = try await link.nextCommand()
        try hub.received(Self.reply(to: command, ["ok": true, "result": [:]]), from: [2])
        let status = try await harness.send(GetStatus())
        let module = try #require(status.modules.first { $0.name == "monitoring" })
        #expect(module.state == .running)
        #expect(module.details?["external"]?["timed_out"] == 1)
        #expect(module.details?["external"]?["late_replies"] == 1)
    }

    @Test func aSilentModuleIsDetachedItsCallsAnsweredAndItsCommandsUnavailableUntilItAttachesAgain() async throws {
        let harness = try await TestHarness(modules: [])
        defer { Task { await harness.close() } }
        let link = RecordingLink()
        let hub = harness.runtime.externals
        var patient = Self.declaration
        patient.commandTimeoutMs = 60_000
        _ = try hub.attach(patient, link: link, linkID: [3], peer: "intake")
        do {
            // Nothing answers and nothing beats: detached after three heartbeats (300 ms), long before the timeout.
            _ = try await harness.bus.dispatch(command: "monitoring.report.list", args: [:], context: CommandContext())
            Issue.record("a call to a silent module was answered")
        } catch let error as ConcordError {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("is detached (no heartbeat for three intervals)"))
        }
        let status = try await harness.send(GetStatus())
        #expect(status.modules.first { $0.name == "monitoring" }?.state == .detached)
        do {
            _ = try await harness.bus.dispatch(command: "monitoring.report.list", args: [:], context: CommandContext())
            Issue.record("a detached module's command was answered")
        } catch let error as ConcordError {
            #expect(error.code == .unavailable)
        }
        #expect(throws: ConcordError.self) { try hub.received(["type": "heartbeat"], from: [3]) }

        let again = RecordingLink()
        _ = try hub.attach(Self.declaration, link: again, linkID: [4], peer: "intake")
        let beating = Self.beat(hub, from: [4])
        defer { beating.cancel() }
        let caller = Task {
            try await harness.bus.dispatch(command: "monitoring.report.list", args: [:], context: CommandContext())
        }
        let command = try await again.nextCommand()
        try hub.received(Self.reply(to: command, ["ok": true, "result": ["reports": []]]), from: [4])
        #expect(JSONValue.parse(try await caller.value) == ["reports": []])
    }

    @Test func aDeclarationThatClaimsWhatAnotherModuleOwnsIsRefusedNamingIt() async throws {
        let harness = try await TestHarness(modules: [LedgerModule()])
        defer { Task { await harness.close() } }
        let hub = harness.runtime.externals
        let cases: [(AttachModule, String)] = [
            (
                AttachModule(
                    name: "books", version: "1", namespaces: ["ledger"], commands: [.init(command: "ledger.x")]),
                #"module "books" claims the namespace "ledger", which module "ledger" owns"#
            ),
            (
                AttachModule(name: "ledger", version: "1", commands: [.init(command: "ledger.x")]),
                #"module name "ledger" is taken by a module of the daemon"#
            ),
            (
                AttachModule(name: "sys", version: "1", namespaces: ["events"], commands: [.init(command: "events.x")]),
                #"module "sys" claims the namespace "events", which module "system" owns"#
            ),
            (
                AttachModule(name: "m", version: "1", commands: [.init(command: "m.a"), .init(command: "m.a")]),
                "args.commands[1].command: m.a is declared twice"
            ),
            (
                AttachModule(
                    name: "m", version: "1", commands: [.init(command: "m.a")], events: [.init(topic: "n.done")]),
                "args.events[0].topic: n.done is outside the module's namespaces (m)"
            ),
        ]
        for (declaration, message) in cases {
            let error = #expect(throws: ConcordError.self) {
                try hub.attach(declaration, link: RecordingLink(), linkID: [9], peer: "x")
            }
            #expect(error?.message == message)
        }
    }
}
