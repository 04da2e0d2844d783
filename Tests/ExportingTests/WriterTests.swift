import ConcordKit
import Contracts
import Foundation
import Testing

@testable import Exporting

/// The writers' own rules: CSV quoting, iCalendar escaping and folding, VTIMEZONE rules from the zone data,
/// atomic files and the exports folder.
@Suite struct WriterTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "concord-exporting-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func csvQuotesOnlyWhatNeedsItAndDoublesQuotes() {
        var line = ""
        for field in ["Huế", "Душанбе", "ນະຄອນຫຼວງວຽງຈັນ", "Hanoi, Vietnam", "the \"Mekong\" corridor", "two\nlines", ""]
        {
            CSVWriter<Int>.appendField(field, to: &line)
            line += "|"
        }
        #expect(
            line
                == "Huế|Душанбе|ນະຄອນຫຼວງວຽງຈັນ|\"Hanoi, Vietnam\"|\"the \"\"Mekong\"\" corridor\"|\"two\nlines\"||")
    }

    @Test func aCSVTableWritesHeaderRowsAndAnEmptyFieldForAbsentValues() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let table = TableDefinition<(String, Int?)>(
            name: "cities", title: "Cities",
            columns: [
                Column(name: "name", type: "string", description: "Name", required: true) { $0.0 },
                Column(name: "population", type: "integer", description: "Inhabitants") { $0.1.map(String.init) },
            ], primaryKey: ["name"])
        let writer = try CSVWriter(table, in: folder)
        try writer.append(("Huế", 652_572))
        try writer.append(("Душанбе, TJ", nil))
        let digest = try writer.commit()
        let text = try String(contentsOf: folder.appendingPathComponent("cities.csv"), encoding: .utf8)
        #expect(text == "name,population\r\nHuế,652572\r\n\"Душанбе, TJ\",\r\n")
        #expect(digest.bytes == text.utf8.count)
        #expect(writer.rows == 2)
        // An empty table is a header alone.
        let empty = try CSVWriter(
            TableDefinition<Int>(
                name: "none", title: "None",
                columns: table.columns.map { _ in
                    Column(name: "x", type: "string", description: "x") { String($0) }
                }.prefix(1).map { $0 }, primaryKey: ["x"]), in: folder)
        _ = try empty.commit()
        #expect(try String(contentsOf: folder.appendingPathComponent("none.csv"), encoding: .utf8) == "x\r\n")
    }

    @Test func anOutputFileAppearsWholeOrNotAtAllAndItsDigestIsTheFilesSHA256() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try OutputFile(name: "a.txt", in: folder)
        try file.write(String(repeating: "x", count: 200_000))
        // Until committed, only the temporary file exists.
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("a.txt").path))
        let digest = try file.commit()
        #expect(digest.bytes == 200_000)
        // sha256 of 200 000 'x', as `sha256sum` computes it.
        let expected = try Self.sha256sum(folder.appendingPathComponent("a.txt"))
        #expect(digest.sha256 == expected)
        #expect((try FileManager.default.contentsOfDirectory(atPath: folder.path)) == ["a.txt"])
        // A file dropped before commit leaves nothing behind.
        do { _ = try OutputFile(name: "b.txt", in: folder) }
        #expect((try FileManager.default.contentsOfDirectory(atPath: folder.path)) == ["a.txt"])
    }

    static func sha256sum(_ file: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: output, as: UTF8.self).prefix(64))
    }

    @Test(arguments: ["/etc", "../up", "a/../../b", ".hidden", "a//b", "a b", "x/y/z/w/v", ""])
    func aPathOutsideTheExportsDirectoryIsRefusedNamingTheField(_ path: String) {
        #expect {
            try ExportFolder.target(path, field: "path")
        } throws: { error in
            (error as? ConcordError)?.code == .badRequest
                && (error as? ConcordError)?.message.hasPrefix("path:") == true
        }
    }

    @Test func aFinishedRunIsNamedByLatestAndPruningKeepsIt() throws {
        let root = try Self.folder()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = ExportFolder(root: root)
        for run in ["r1", "r2"] {
            let runFolder = try folder.begin(target: "mekong/calendar", run: run)
            let file = try OutputFile(name: "calendar.ics", in: runFolder)
            try file.write(run)
            let digest = try file.commit()
            let manifest = try folder.finish(target: "mekong/calendar", run: run, files: [digest])
            #expect(manifest.bytes == 64 + 2 + "calendar.ics\n".utf8.count)
        }
        #expect(folder.latestRun(target: "mekong/calendar") == "r2")
        let latest = root.appendingPathComponent("mekong/calendar/latest/calendar.ics")
        #expect(try String(contentsOf: latest, encoding: .utf8) == "r2")
        folder.prune(target: "mekong/calendar", runs: ["r1", "r2"])
        #expect(!folder.exists(target: "mekong/calendar", run: "r1"))
        #expect(folder.exists(target: "mekong/calendar", run: "r2"))
    }

    @Test func theSweepRemovesRunsCutOffAndNothingElse() throws {
        let root = try Self.folder()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = ExportFolder(root: root)
        let whole = "20261205T183000Z-0000abcd"
        let cut = "20261205T183100Z-0000abce"
        let runFolder = try folder.begin(target: "a/b", run: whole)
        let file = try OutputFile(name: "x.csv", in: runFolder)
        _ = try folder.finish(target: "a/b", run: whole, files: [try file.commit()])
        _ = try folder.begin(target: "a/b", run: cut)
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("a/not-a-run"), withIntermediateDirectories: true)
        #expect(folder.sweep() == [root.appendingPathComponent("a/b/\(cut)").path])
        #expect(folder.exists(target: "a/b", run: whole) && folder.latestRun(target: "a/b") == whole)
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("a/not-a-run").path))
        #expect(ExportFolder.isRunID(Exporter.runID(Date())))
        #expect(!ExportFolder.isRunID("latest") && !ExportFolder.isRunID("20261205T183000Z-0000ABCD"))
    }

    // MARK: iCalendar

    @Test func textIsEscapedAndLinesFoldAt75OctetsWithoutSplittingACharacter() {
        #expect(ContentLines.escape("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne")
        var lines = ContentLines()
        let title = String(repeating: "ນະຄອນຫຼວງວຽງຈັນ; Huế, Душанбе ", count: 6)
        lines.text("SUMMARY", title)
        let physical = lines.text.components(separatedBy: "\r\n").dropLast()
        #expect(physical.count > 1)
        for line in physical {
            #expect(line.utf8.count <= 75)
            // Every piece is whole UTF-8 on its own.
            #expect(String(validating: Array(line.utf8), as: UTF8.self) != nil)
        }
        #expect(physical.dropFirst().allSatisfy { $0.hasPrefix(" ") })
        // Unfolded, the value is the escaped title again.
        let unfolded = physical.enumerated().map { $0.offset == 0 ? $0.element : String($0.element.dropFirst()) }
            .joined()
        #expect(unfolded == "SUMMARY:" + ContentLines.escape(title))
        // A short line is one line.
        var short = ContentLines()
        short.raw("VERSION", "2.0")
        #expect(short.text == "VERSION:2.0\r\n")
    }

    static func instant(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func berlinGetsTwoOpenEndedYearlyRulesOnTheLastSundays() {
        let observances = TimeZoneRules.observances(
            TimeZone(identifier: "Europe/Berlin")!, from: Self.instant("2026-01-01T00:00:00Z"),
            to: Self.instant("2028-12-31T00:00:00Z"))
        #expect(
            observances.contains(
                TimeZoneRules.Observance(
                    daylight: true, offsetFrom: 3600, offsetTo: 7200, start: "20250330T020000",
                    rule: "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU")))
        #expect(
            observances.contains(
                TimeZoneRules.Observance(
                    daylight: false, offsetFrom: 7200, offsetTo: 3600, start: "20251026T030000",
                    rule: "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU")))
        #expect(observances.count == 2)
    }

    @Test func aZoneWithoutChangesHasOneStandardOffset() {
        let observances = TimeZoneRules.observances(
            TimeZone(identifier: "Asia/Vientiane")!, from: Self.instant("2027-01-01T00:00:00Z"),
            to: Self.instant("2027-12-31T00:00:00Z"))
        #expect(observances.count == 1)
        #expect(observances[0].offsetFrom == 25_200 && observances[0].offsetTo == 25_200 && observances[0].rule == nil)
        #expect(TimeZoneRules.offset(25_200) == "+0700" && TimeZoneRules.name(25_200) == "+07")
        #expect(TimeZoneRules.offset(-12_600) == "-0330" && TimeZoneRules.name(19_800) == "+0530")
    }

    @Test func historicalChangesAreWrittenOneByOneWithTheirOffsets() {
        // Pyongyang moved to UTC+8:30 on 2015-08-15 and back to UTC+9 on 2018-05-05.
        let observances = TimeZoneRules.observances(
            TimeZone(identifier: "Asia/Pyongyang")!, from: Self.instant("2015-01-01T00:00:00Z"),
            to: Self.instant("2019-01-01T00:00:00Z"))
        #expect(observances.count == 3)
        #expect(
            observances.contains {
                $0.offsetFrom == 32_400 && $0.offsetTo == 30_600 && $0.start == "20150815T000000" && $0.rule == nil
            })
        #expect(
            observances.contains {
                $0.offsetFrom == 30_600 && $0.offsetTo == 32_400 && $0.start == "20180504T233000" && $0.rule == nil
            })
    }

    @Test func aRuleThatStoppedEndsWithUntil() {
        // São Paulo kept daylight saving until February 2019.
        let observances = TimeZoneRules.observances(
            TimeZone(identifier: "America/Sao_Paulo")!, from: Self.instant("2015-01-01T00:00:00Z"),
            to: Self.instant("2022-01-01T00:00:00Z"))
        #expect(observances.allSatisfy { $0.rule.map { $0.contains("UNTIL=") } ?? true }, "\(observances)")
        #expect(observances.contains { $0.daylight && $0.rule != nil })
    }

    @Test func aFeedHasItsHeaderZonesAndEventsWithAlarmsAndOverrides() throws {
        let meeting = Meeting(
            id: "m1",
            fields: MeetingFields(
                kind: .plenary, title: "12th Plenary Meeting, Huế", number: 12, venue: Venue(text: "Huế; Citadel"),
                start: "2027-03-15T09:00:00", end: "2027-03-15T17:00:00", timeZone: "Asia/Ho_Chi_Minh",
                reminders: ["P7D"]),
            startUTC: "2027-03-15T02:00:00Z", endUTC: "2027-03-15T10:00:00Z", version: 2)
        let calendar = ICalendar(
            name: "ANMC21", headSeq: 42, generatedAt: Self.instant("2026-12-05T10:00:00Z"), meetings: [meeting],
            series: [], horizon: Self.instant("2029-12-05T10:00:00Z"))
        var text = ""
        let counts = try calendar.write { text += $0 }
        #expect(counts["meetings"] == 1)
        #expect(text.hasPrefix("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Concord//Concord "))
        for line in [
            "NAME:ANMC21", "REFRESH-INTERVAL;VALUE=DURATION:PT12H", "X-CONCORD-HEAD-SEQ:42", "TZID:Asia/Ho_Chi_Minh",
            "UID:m1@concord", "DTSTAMP:20261205T100000Z", "DTSTART;TZID=Asia/Ho_Chi_Minh:20270315T090000",
            "SUMMARY:12th Plenary Meeting\\, Huế", "LOCATION:Huế\\; Citadel", "TRIGGER:-P7D", "SEQUENCE:1",
        ] {
            #expect(text.contains("\r\n" + line + "\r\n"), "\(line)")
        }
        #expect(text.hasSuffix("END:VCALENDAR\r\n"))
    }
}

/// The JSON writers and the report's figures.
@Suite struct DocumentTests {
    static let hue = ActorRecord(
        id: "a1",
        fields: ActorFields(
            name: "Huế", otherNames: ["vi": "Thành phố Huế", "lo": "ເມືອງເຫວ້"], kind: .city, country: "VN",
            population: 652_572, timeZone: "Asia/Ho_Chi_Minh",
            coordinates: Coordinates(latitude: 16.4637, longitude: 107.5909),
            focalPoints: [FocalPoint(name: "Nguyễn Văn A", title: "International relations")]),
        region: "035", regionName: "South-eastern Asia", version: 1)

    static func object(_ data: Data) -> JSONValue? { JSONValue.parse(data) }

    @Test func aFeatureIsAPointInLongitudeLatitudeOrderWithItsNetworks() throws {
        let feature = try #require(
            Self.object(try GeoJSONWriter.feature(Self.hue, point: Self.hue.fields.coordinates!, networks: ["UMCI"])))
        #expect(feature["type"]?.stringValue == "Feature" && feature["id"]?.stringValue == "a1")
        #expect(
            feature["geometry"] == .object(["type": "Point", "coordinates": [.double(107.5909), .double(16.4637)]]))
        #expect(feature["properties"]?["name"]?.stringValue == "Huế")
        #expect(feature["properties"]?["networks"] == ["UMCI"])
        #expect(feature["properties"]?["size_class"]?.stringValue == "intermediary")
        #expect(feature["crs"] == nil)
        // Coordinates out of range are an error, never a feature somewhere else on the map.
        #expect(throws: ExportWriteError.self) {
            try GeoJSONWriter.feature(Self.hue, point: Coordinates(latitude: 107.59, longitude: 16.46), networks: [])
        }
    }

    @Test func popoloOrganizationsAndMembershipsNameBothSides() {
        let organization = PopoloWriter.organization(Self.hue)
        #expect(organization["classification"]?.stringValue == "city")
        #expect(
            organization["other_names"]
                == [
                    .object(["name": "ເມືອງເຫວ້", "note": "language: lo"]),
                    .object(["name": "Thành phố Huế", "note": "language: vi"]),
                ])
        #expect(organization["area"]?["identifier"]?.stringValue == "VN")
        let membership = PopoloWriter.membership(
            Membership(
                id: "m1", actor: "a1", network: "n1", role: .member, status: .active, start: "2024-02-27", end: nil,
                basis: MembershipBasis(kind: .rule, rule: "r1", source: "m0"), version: 1))
        #expect(membership["member"] == .object(["@type": "Organization", "id": "a1"]))
        #expect(membership["organization_id"]?.stringValue == "n1")
        #expect(membership["start_date"]?.stringValue == "2024-02-27" && membership["end_date"] == nil)
        #expect(membership["basis"] == .object(["kind": "rule", "rule": "r1", "source": "m0"]))
    }

    @Test func theReportsShareOfTheWayAndLights() {
        let indicator = Indicator(key: "k", name: "Coverage", baseline: 20, target: 80)
        #expect(ReportModel.progress(50, indicator) == 0.5)
        #expect(ReportModel.progress(nil, indicator) == nil)
        #expect(ReportModel.progress(10, Indicator(key: "k", name: "Falls", baseline: 30, target: 10)) == 1)
        #expect(ReportModel.light(0.8, status: .inProgress) == "green")
        #expect(ReportModel.light(0.5, status: .inProgress) == "amber")
        #expect(ReportModel.light(0.1, status: .inProgress) == "red")
        #expect(ReportModel.light(0.9, status: .delayed) == "amber")
        #expect(ReportModel.light(0, status: .planned) == "grey")
        #expect(ReportModel.light(nil, status: .done) == "green")
        #expect(ReportModel.bar(index: 0, label: "x", then: nil, now: 2, light: "green")["nowWidth"] as? Int == 360)
    }

    @Test func theReportEscapesWhatItShows() {
        let html = ReportTemplate.shared.render([
            "network": ["name": "<script>alert(1)</script> & Co", "acronym": "X\"Y"], "review": "2027-03-15",
            "members": [["name": "Huế <b>", "country": "VN"]], "memberCount": 1,
        ])
        #expect(!html.contains("<script>alert") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"))
        #expect(html.contains("X&quot;Y") && html.contains("Huế &lt;b&gt;"))
        #expect(html.contains("No meeting in this period.") && html.contains("The network has no action plan."))
    }
}
