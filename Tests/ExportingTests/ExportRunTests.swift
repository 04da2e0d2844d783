import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Registry
import Scheduling
import Testing

@testable import Exporting

/// The registry, scheduling and exporting on a test clock, with the founding documents loaded and an exports
/// folder of its own.
struct ExportFixture {
    let harness: TestHarness
    let exports: URL

    init(writers: [ExportFormat: any ExportWriter] = [:], keep: Int = 7) async throws {
        let exports = FileManager.default.temporaryDirectory.appendingPathComponent(
            "concord-exports-\(UUID().uuidString)")
        self.exports = exports
        harness = try await TestHarness(
            modules: [RegistryModule(), SchedulingModule(), ExportingModule(writers: writers)],
            clock: TestClock(now: ISO8601DateFormatter().date(from: "2026-12-01T10:00:00Z")!)
        ) { options in
            options.moduleConfiguration["exporting"] = ["directory": exports.path, "keep": String(keep)]
        }
        _ = try await FoundingDocuments.load(into: harness.bus)
    }

    func send<C: Command>(_ command: C) async throws -> C.Reply { try await harness.send(command) }

    func failure<C: Command>(_ command: C) async -> ConcordError? {
        do {
            _ = try await send(command)
            return nil
        } catch {
            return error as? ConcordError ?? ConcordError(.internal, "\(error)")
        }
    }

    func runs(schedule: String) async throws -> [ExportRun] {
        try await send(ListExports(schedule: schedule)).runs
    }

    func text(_ run: ExportRun, _ file: String) throws -> String {
        try String(contentsOfFile: run.path! + "/" + file, encoding: .utf8)
    }

    func close() async {
        await harness.close()
        try? FileManager.default.removeItem(at: exports)
    }
}

/// A writer that writes a file, then fails: the run must leave nothing and keep the previous export.
struct FailingWriter: ExportWriter {
    func write(_ job: ExportJob) async throws -> ExportOutput {
        let file = try OutputFile(name: "half.txt", in: job.folder)
        try file.write("half")
        _ = try file.commit()
        throw ExportWriteError(message: "the disk is full")
    }
}

@Suite struct ExportRunTests {
    @Test func aDataPackageRunWritesItsFilesAtOneJournalPointAndSaysSo() async throws {
        let fixture = try await ExportFixture()
        defer { Task { await fixture.close() } }
        let head = fixture.harness.journal.headSeq
        let run = try await fixture.send(RunExport(format: .datapackage))
        #expect(run.status == .completed)
        #expect(run.headSeq == head)
        let names = run.files.map(\.name)
        #expect(
            names == [
                "datapackage.json", "actors.csv", "networks.csv", "memberships.csv", "declarations.csv",
                "declaration_parties.csv", "meetings.csv", "series.csv", "action_plans.csv", "plan_actions.csv",
                "indicators.csv",
            ])
        #expect(run.bytes == run.files.reduce(0) { $0 + $1.bytes })
        // The manifest lists every file's digest, and the reply's sha256 is the manifest's.
        let manifest = try fixture.text(run, "SHA256SUMS")
        #expect(manifest == run.files.map { "\($0.sha256)  \($0.name)\n" }.joined())
        #expect(run.sha256 == (try WriterTests.sha256sum(URL(fileURLWithPath: run.path! + "/SHA256SUMS"))))
        // The descriptor names the head; its resources are the CSV files with their hashes.
        let package = try #require(JSONValue.parse(Data(try fixture.text(run, "datapackage.json").utf8)))
        #expect(package["concord"]?["head_seq"]?.intValue == Int64(head))
        // The memberships are the registry's, every one.
        var memberships: [Membership] = []
        for network in try await fixture.send(ListNetworks()).networks {
            memberships += try await fixture.send(ListMemberships(network: network.id)).memberships
        }
        #expect(run.counts["memberships"] == memberships.count)
        let csv = try fixture.text(run, "memberships.csv")
        #expect(csv.components(separatedBy: "\r\n").count - 2 == memberships.count)
        // `latest` names this run.
        let latest = fixture.exports.appendingPathComponent("datapackage/latest/datapackage.json")
        #expect(FileManager.default.fileExists(atPath: latest.path))
        let completed = try await fixture.harness.journaled(prefixes: ["exports.run.completed"])
        #expect(completed.count == 1)
    }

    @Test func anExportMadeWhileActorsAreBeingRegisteredHoldsExactlyThoseJournaledBeforeItsHead() async throws {
        let fixture = try await ExportFixture()
        defer { Task { await fixture.close() } }
        let writer = Task {
            for index in 0..<300 {
                _ = try await fixture.send(
                    RegisterActor(actor: ActorFields(name: "Town \(index)", kind: .city, country: "VN")))
            }
        }
        try await Task.sleep(for: .milliseconds(20))
        let run = try await fixture.send(RunExport(format: .datapackage))
        try await writer.value
        let head = try #require(run.headSeq)
        let registered = try await fixture.harness.journaled(prefixes: ["registry.actor.registered"])
        let before = registered.filter { ($0.seq ?? 0) <= head }.count
        // Every actor journaled up to the head is in the file, and none after it.
        #expect(run.counts["actors"] == before)
        let csv = try fixture.text(run, "actors.csv")
        #expect(csv.components(separatedBy: "\r\n").count - 2 == before)
    }

    @Test func everyFormatWritesForANetworkAndTheirFilesNameTheHead() async throws {
        let fixture = try await ExportFixture()
        defer { Task { await fixture.close() } }
        let umci = try await fixture.send(ListNetworks()).networks.first { $0.acronym == "UMCI" }!
        _ = try await fixture.send(
            CreateSeries(
                series: SeriesFields(
                    kind: .dialogue, title: "{number}th Bi-annual Dialogue", network: umci.id, firstNumber: 1,
                    dtstart: "2027-03-15T09:00:00", duration: "PT8H", timeZone: "Asia/Ho_Chi_Minh",
                    rrule: "FREQ=MONTHLY;INTERVAL=6;COUNT=6")))
        for (format, scope, file) in [
            (ExportFormat.popolo, ExportScope(network: "UMCI"), "popolo.json"),
            (.geojson, ExportScope(network: "UMCI"), "members.geojson"),
            (.ical, ExportScope(network: "UMCI"), "calendar.ics"),
            (.datapackage, ExportScope(network: "CSCCA"), "datapackage.json"),
            (.report, ExportScope(network: "CSCCA", reviewDate: "2026-11-30"), "report.html"),
        ] {
            let run = try await fixture.send(RunExport(format: format, scope: scope))
            #expect(run.status == .completed, "\(format)")
            #expect(run.files.first?.name == file)
            let text = try fixture.text(run, file)
            #expect(text.contains(String(run.headSeq!)), "\(format) names its head_seq")
        }
        let ical = try await fixture.send(RunExport(format: .ical, scope: ExportScope(network: "UMCI")))
        let feed = try fixture.text(ical, "calendar.ics")
        #expect(feed.contains("RRULE:FREQ=MONTHLY;INTERVAL=6;COUNT=6\r\n"))
        #expect(feed.contains("SUMMARY:1th Bi-annual Dialogue\r\n"))
        #expect(feed.contains("BEGIN:VTIMEZONE\r\nTZID:Asia/Ho_Chi_Minh\r\n"))
        #expect(ical.counts["overrides"] == 6)
    }

    @Test func aRunThatFailsHalfWayLeavesThePreviousExportAndSaysWhy() async throws {
        let fixture = try await ExportFixture(writers: [.geojson: FailingWriter()])
        defer { Task { await fixture.close() } }
        let before = try await fixture.send(RunExport(format: .popolo, path: "map"))
        let error = await fixture.failure(RunExport(format: .geojson, path: "map"))
        #expect(error?.code == .internal)
        #expect(error?.message.contains("the disk is full") == true)
        // `latest` still names the Popolo run, and nothing of the failed one is left.
        let target = fixture.exports.appendingPathComponent("map")
        #expect(ExportFolder(root: fixture.exports).latestRun(target: "map") == before.id)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: target.path).sorted() == [before.id, "latest"].sorted())
        let failed = try await fixture.send(ListExports()).runs.first
        #expect(failed?.status == .failed && failed?.error?.contains("the disk is full") == true)
        #expect(try await fixture.harness.journaled(prefixes: ["exports.run.failed"]).count == 1)
    }

    @Test func aScheduleRunsOnItsTimerKeepsTheOldFilesWhenNothingChangedAndKeepsTheLastRuns() async throws {
        let fixture = try await ExportFixture(keep: 2)
        defer { Task { await fixture.close() } }
        let schedule = try await fixture.send(
            ScheduleExport(
                id: "nightly-map",
                schedule: ExportScheduleFields(
                    format: .geojson, scope: ExportScope(network: "UMCI"), rrule: "FREQ=DAILY;BYHOUR=2;BYMINUTE=0",
                    timeZone: "Asia/Bangkok")))
        // 02:00 in Bangkok is 19:00 UTC the day before.
        #expect(schedule.nextRun == "2026-12-01T19:00:00Z")
        fixture.harness.clock.advance(to: ISO8601DateFormatter().date(from: "2026-12-01T19:00:01Z")!)
        #expect(try await eventually { try await fixture.runs(schedule: "nightly-map").count == 1 })
        let first = try await fixture.runs(schedule: "nightly-map")[0]
        #expect(first.status == .completed)
        #expect(first.path?.hasPrefix(fixture.exports.appendingPathComponent("nightly-map").path) == true)
        // Nothing changed: the next night keeps the files.
        fixture.harness.clock.advance(to: ISO8601DateFormatter().date(from: "2026-12-02T19:00:01Z")!)
        #expect(try await eventually { try await fixture.runs(schedule: "nightly-map").count == 2 })
        let second = try await fixture.runs(schedule: "nightly-map")[0]
        #expect(second.status == .unchanged && second.sha256 == first.sha256 && second.path == first.path)
        // A change in the registry makes the next run write again; the one before the last two goes.
        _ = try await fixture.send(
            RegisterActor(
                actor: ActorFields(
                    name: "Pakse", kind: .city, country: "LA",
                    coordinates: Coordinates(latitude: 15.12, longitude: 105.8))))
        for day in ["2026-12-03T19:00:01Z", "2026-12-04T19:00:01Z"] {
            let count = try await fixture.runs(schedule: "nightly-map").count
            _ = try await fixture.send(
                RegisterActor(actor: ActorFields(name: "Town \(day)", kind: .city, country: "LA")))
            fixture.harness.clock.advance(to: ISO8601DateFormatter().date(from: day)!)
            #expect(try await eventually { try await fixture.runs(schedule: "nightly-map").count == count + 1 })
        }
        let all = try await fixture.runs(schedule: "nightly-map")
        #expect(all.prefix(2).allSatisfy { $0.status == .completed })
        // Pruning follows the run's record.
        #expect(try await eventually { !FileManager.default.fileExists(atPath: first.path!) })
        #expect(all.prefix(2).allSatisfy { FileManager.default.fileExists(atPath: $0.path!) })
        let listed = try await fixture.send(ListExports()).schedules
        #expect(listed.map(\.id) == ["nightly-map"] && listed[0].nextRun == "2026-12-05T19:00:00Z")
        // Unscheduled, it runs no more.
        _ = try await fixture.send(UnscheduleExport(id: "nightly-map"))
        fixture.harness.clock.advance(to: ISO8601DateFormatter().date(from: "2026-12-05T19:00:01Z")!)
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await fixture.runs(schedule: "nightly-map").count == all.count)
        #expect(await fixture.failure(UnscheduleExport(id: "nightly-map"))?.code == .notFound)
    }

    @Test func aScheduleThatFollowsChangesRunsOnceABurstHasSettledAndOnlyWhenSomethingChanged() async throws {
        let fixture = try await ExportFixture()
        defer { Task { await fixture.close() } }
        let schedule = try await fixture.send(
            ScheduleExport(
                id: "live-calendar",
                schedule: ExportScheduleFields(format: .ical, scope: ExportScope(network: "UMCI"), follow: true)))
        #expect(schedule.nextRun == nil)
        func runs() async throws -> [ExportRun] { try await fixture.runs(schedule: "live-calendar") }
        /// Lets the clock pass the settling time until `done`, then a little more, so any run still due has run.
        func settle(until done: @escaping () async throws -> Bool) async throws -> Bool {
            let reached = try await eventually {
                fixture.harness.clock.advance(by: ExportingModule.settle + 1)
                return try await done()
            }
            for _ in 0..<3 {
                try await Task.sleep(for: .milliseconds(100))
                fixture.harness.clock.advance(by: ExportingModule.settle + 1)
            }
            return reached
        }
        // The demo data loaded just before may still make a run; from here on, count.
        _ = try await settle { true }
        let before = try await runs().count
        // A burst of changes: one run, which writes.
        for name in ["Pakse", "Savannakhet", "Luang Prabang"] {
            _ = try await fixture.send(RegisterActor(actor: ActorFields(name: name, kind: .city, country: "LA")))
        }
        #expect(try await settle { try await runs().count > before })
        // One run writes; a signal that reached the module only after that run began may make one more, which finds
        // nothing new and keeps the files.
        let burst = try await runs()
        let since = burst.prefix(burst.count - before)
        #expect(since.filter { $0.status == .completed }.count == 1)
        #expect(since.allSatisfy { $0.status != .failed } && since.count <= 2)
        // A series for the network: the feed is written again and holds it.
        _ = try await fixture.send(
            CreateSeries(
                series: SeriesFields(
                    kind: .dialogue, title: "Dialogue", network: "UMCI", dtstart: "2027-03-15T09:00:00",
                    duration: "PT8H", timeZone: "Asia/Vientiane", rrule: "FREQ=MONTHLY;INTERVAL=6;COUNT=4")))
        #expect(try await settle { try await runs().count > burst.count })
        let latest = try await runs()[0]
        #expect(latest.status == .completed && latest.sha256 != since.first { $0.status == .completed }?.sha256)
        #expect(try fixture.text(latest, "calendar.ics").contains("RRULE:FREQ=MONTHLY;INTERVAL=6;COUNT=4"))
    }

    @Test func badRequestsNameTheField() async throws {
        let fixture = try await ExportFixture()
        defer { Task { await fixture.close() } }
        let cases: [(any Command, String)] = [
            (RunExport(format: .geojson, scope: ExportScope(series: "x")), "scope.series: not a scope of geojson"),
            (RunExport(format: .ical), "scope: an ical feed takes exactly one of network, series or participant"),
            (
                RunExport(format: .ical, scope: ExportScope(network: "UMCI", series: "x")),
                "scope: an ical feed takes exactly one"
            ),
            (RunExport(format: .report, scope: ExportScope(network: "UMCI")), "scope.review_date: missing"),
            (
                RunExport(format: .report, scope: ExportScope(network: "UMCI", reviewDate: "2027-02-30")),
                "scope.review_date: expected a date"
            ),
            (RunExport(format: .popolo, scope: ExportScope(network: "NOPE")), "scope.network: no network"),
            (RunExport(format: .ical, scope: ExportScope(series: "nope")), "scope.series: no series"),
            (RunExport(format: .popolo, path: "../etc"), "path: expected a folder inside the exports directory"),
            (
                ScheduleExport(
                    schedule: ExportScheduleFields(
                        format: .popolo, rrule: "FREQ=DAILY;COUNT=1", dtstart: "2026-01-01T02:00:00")),
                "schedule.rrule: the rule never fires"
            ),
            (
                ScheduleExport(
                    schedule: ExportScheduleFields(format: .popolo, rrule: "FREQ=DAILY", timeZone: "Mars/Olympus")),
                "schedule.time_zone: expected an IANA zone"
            ),
            (
                ScheduleExport(schedule: ExportScheduleFields(format: .popolo, rrule: "FREQ=SOMETIMES")),
                "schedule.rrule"
            ),
            (
                ScheduleExport(schedule: ExportScheduleFields(format: .popolo, rrule: "FREQ=DAILY", keep: 0)),
                "schedule.keep: expected an integer from 1 to 1000"
            ),
            (
                ScheduleExport(id: "Bad Id", schedule: ExportScheduleFields(format: .popolo, rrule: "FREQ=DAILY")),
                "id: expected"
            ),
            (ListExports(limit: 0), "limit: expected an integer from 1 to 1000"),
            (
                ScheduleExport(schedule: ExportScheduleFields(format: .popolo)),
                "schedule.rrule: missing; a schedule runs"
            ),
        ]
        for (command, message) in cases {
            let error = await Self.failure(command, fixture)
            #expect(error?.code == .badRequest, "\(command)")
            #expect(error?.message.hasPrefix(message) == true, "\(error?.message ?? "no error") for \(message)")
        }
        // Nothing was run or scheduled.
        let list = try await fixture.send(ListExports())
        #expect(list.runs.isEmpty && list.schedules.isEmpty)
    }

    static func failure(_ command: any Command, _ fixture: ExportFixture) async -> ConcordError? {
        func send<C: Command>(_ command: C) async -> ConcordError? { await fixture.failure(command) }
        return await send(command)
    }

    @Test func anUnknownScopeFieldIsRefusedNotIgnored() throws {
        #expect {
            try JSONValueDecoder().decode(ExportScope.self, from: .object(["netwrok": "UMCI"]))
        } throws: { error in
            "\(error)".contains("unknown field; a scope takes network, series, participant, review_date, since")
        }
    }
}
