import Foundation
import Testing

@Suite struct DeployTests {
    private func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test func systemdAnalyzeAcceptsTheUnitWithoutWarnings() throws {
        let unit = try String(
            contentsOf: Build.packageRoot.appendingPathComponent("deploy/concordd.service"),
            encoding: .utf8
        )
        for required in [
            "Type=notify", "WatchdogSec=", "DynamicUser=yes", "StateDirectory=concord", "ProtectSystem=strict",
            "NoNewPrivileges=yes", "RestartPreventExitStatus=78",
        ] {
            #expect(unit.contains(required), "the unit lacks \(required)")
        }
        // verify checks that ExecStart exists: point it at the binary this build made.
        let directory = try Build.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let copy = directory.appendingPathComponent("concordd.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/concordd", with: Build.binary("concordd").path)
            .write(to: copy, atomically: true, encoding: .utf8)
        let result = try run(["systemd-analyze", "verify", copy.path])
        #expect(result.status == 0, "systemd-analyze verify: \(result.output)")
        #expect(result.output.isEmpty, "systemd-analyze verify warned: \(result.output)")
    }

    @Test func theExampleConfigurationIsAccepted() async throws {
        let directory = try Build.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let example = Build.packageRoot.appendingPathComponent("deploy/concordd.yaml").path
        let daemon = try DaemonProcess(
            arguments: ["--config", example, "--data-dir", directory.appendingPathComponent("d").path],
            directory: directory
        )
        try await Task.sleep(for: .milliseconds(700))
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0, "stderr: \(daemon.stderr)")
    }

    @Test func theInstallScriptParsesAndExplainsItself() throws {
        let script = Build.packageRoot.appendingPathComponent("deploy/install.sh").path
        #expect(try run(["bash", "-n", script]).status == 0)
        let help = try run(["bash", script, "--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("--uninstall"))
        #expect(try run(["bash", script, "--bogus"]).status == 64)
    }
}
