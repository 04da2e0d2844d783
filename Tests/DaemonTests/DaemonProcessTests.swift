import DaemonSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct DaemonProcessTests {
    @Test(
        arguments: [
            (["--log-level", "loud"], [:], "--log-level"),
            (["--events", "udp://x"], [:], "--events"),
            ([], ["CONCORD_JOURNAL_MAX_WRITES_PER_TRANSACTION": "0"], "CONCORD_JOURNAL_MAX_WRITES_PER_TRANSACTION"),
            (["--config", "missing.yaml"], [:], "missing.yaml"),
        ] as [([String], [String: String], String)])
    func configurationErrorsExitWith78AndOneLineNamingTheKey(
        arguments: [String],
        environment: [String: String],
        named: String
    ) async throws {
        let directory = try Build.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let daemon = try DaemonProcess(arguments: arguments, environment: environment, directory: directory)
        #expect(try await daemon.waitForExit() == 78)
        let lines = daemon.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(daemon.stderr)")
        #expect(lines.first?.hasPrefix("concordd: ") == true)
        #expect(lines.first?.contains(named) == true, "stderr: \(daemon.stderr)")
    }

    @Test func anUnknownKeyInTheFileExitsWith78() async throws {
        let directory = try Build.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try "log:\n  lvl: debug\n".write(
            to: directory.appendingPathComponent("c.yaml"), atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(arguments: ["--config", "c.yaml"], directory: directory)
        #expect(try await daemon.waitForExit() == 78)
        #expect(daemon.stderr.contains(#"unknown key "log.lvl""#))
    }

    @Test func anUnusableDataDirectoryExitsWith78() async throws {
        let directory = try Build.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("plainfile").path, contents: Data())
        for path in ["plainfile", "plainfile/below"] {
            let daemon = try DaemonProcess(arguments: ["--data-dir", path], directory: directory)
            #expect(try await daemon.waitForExit() == 78)
            #expect(daemon.stderr.contains("data directory \(directory.path)/\(path)"), "stderr: \(daemon.stderr)")
        }
    }

    @Test func aDatabaseWrittenByANewerSchemaIsRefusedNotOverwritten() async throws {
        let directory = try Build.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try DaemonProcess(arguments: [], environment: ["NOTIFY_SOCKET": ""], directory: directory)
        try await Task.sleep(for: .milliseconds(500))
        first.signal(SIGTERM)
        #expect(try await first.waitForExit() == 0)
        let database = directory.appendingPathComponent("data/concord.sqlite").path
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sqlite.arguments = [
            "python3", "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE bus_meta SET value='7' WHERE key='schema_version'\"); c.commit()",
            database,
        ]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0)

        let second = try DaemonProcess(arguments: [], directory: directory)
        #expect(try await second.waitForExit() == 78)
        #expect(second.stderr.contains("newer Concord"), "stderr: \(second.stderr)")
        #expect(second.stderr.contains(database))
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalStopsTheDaemonGracefullyWithSystemdNotifications(signal: Int32) async throws {
        let directory = try Build.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let listener = try NotifyListener(directory: directory)
        let daemon = try DaemonProcess(
            arguments: ["--data-dir", "state"],
            environment: ["NOTIFY_SOCKET": listener.path],
            directory: directory
        )
        let ready = try #require(
            listener.wait(for: "READY=1", timeout: .seconds(15)), "no READY=1; stderr: \(daemon.stderr)")
        #expect(ready.joined().contains("STATUS=serving"))
        daemon.signal(signal)
        #expect(listener.wait(for: "STOPPING=1", timeout: .seconds(15)) != nil)
        #expect(try await daemon.waitForExit() == 0)
        #expect(daemon.stderr.contains("concordd stopped"))
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("state/concord.sqlite").path))
    }

    @Test func theWatchdogIsPettedWhenSystemdAsksForIt() async throws {
        let directory = try Build.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let listener = try NotifyListener(directory: directory)
        let daemon = try DaemonProcess(
            arguments: [],
            environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "200000"],
            directory: directory
        )
        defer { daemon.signal(SIGKILL) }
        #expect(listener.wait(for: "READY=1", timeout: .seconds(15)) != nil)
        #expect(listener.wait(for: "WATCHDOG=1", timeout: .seconds(5)) != nil)
        #expect(listener.wait(for: "WATCHDOG=1", timeout: .seconds(5)) != nil)
    }

    @Test func logsAreJournaldLinesWhenStderrIsTheJournal() async throws {
        let directory = try Build.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let listener = try NotifyListener(directory: directory)
        let daemon = try DaemonProcess(
            arguments: [],
            environment: ["NOTIFY_SOCKET": listener.path, "JOURNAL_STREAM": "8:12345"],
            directory: directory
        )
        #expect(listener.wait(for: "READY=1", timeout: .seconds(15)) != nil)
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
        let ready = try #require(daemon.stderr.split(separator: "\n").first { $0.contains("concordd ready") })
        #expect(ready.hasPrefix("<6>concordd ready"))
        #expect(ready.contains("modules=system:running"))
    }
}
