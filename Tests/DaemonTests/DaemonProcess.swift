import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Paths of the package and of the binaries the build produced next to the test bundle.
enum Build {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The built `name`: `CONCORD_BIN_DIR` if set, else next to the test bundle, else in `.build/debug`.
    static func binary(_ name: String) -> URL {
        if let override = ProcessInfo.processInfo.environment["CONCORD_BIN_DIR"] {
            return URL(fileURLWithPath: override).appendingPathComponent(name)
        }
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent(),
            packageRoot.appendingPathComponent(".build/debug"),
        ].map { $0.appendingPathComponent(name) }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "concordd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A `concordd` started the way an operator or systemd starts it, with its stderr kept.
final class DaemonProcess {
    let process = Process()
    let stderrURL: URL

    init(arguments: [String], environment: [String: String] = [:], directory: URL) throws {
        stderrURL = directory.appendingPathComponent("stderr-\(UUID().uuidString.prefix(6)).log")
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let concordd = Build.binary("concordd")
        guard FileManager.default.isExecutableFile(atPath: concordd.path) else {
            throw DaemonProcessError("concordd is not built at \(concordd.path); run `swift build` first")
        }
        process.executableURL = concordd
        // Endpoints of its own, so tests can run side by side.
        var arguments = arguments
        if !arguments.contains("--events") { arguments += ["--events", "ipc://\(directory.path)/events"] }
        if !arguments.contains("--commands") { arguments += ["--commands", "ipc://\(directory.path)/commands"] }
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("CONCORD_") && $0.key != "NOTIFY_SOCKET"
        }
        env.merge(environment) { $1 }
        process.environment = env
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to exit; kills it and throws after `timeout`.
    func waitForExit(timeout: Duration = .seconds(20)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                signal(SIGKILL)
                throw DaemonProcessError("concordd did not exit within \(timeout); stderr:\n\(stderr)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }
}

struct DaemonProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
