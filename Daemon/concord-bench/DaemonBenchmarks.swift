import DaemonSupport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

enum DaemonBenchmarks {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static var concordd: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("concordd")
    }

    /// Starts concordd on an empty data directory; returns the process and the time until it sent READY=1.
    static func start(in directory: URL, listener: NotifyListener) throws -> (Process, Duration) {
        let process = Process()
        process.executableURL = concordd
        process.arguments = [
            "--data-dir", directory.appendingPathComponent("data").path, "--log-level", "warning",
            "--events", "ipc://\(directory.path)/events", "--commands", "ipc://\(directory.path)/commands",
        ]
        process.environment = ["NOTIFY_SOCKET": listener.path, "PATH": "/usr/bin:/bin"]
        process.standardOutput = FileHandle.nullDevice
        let started = ContinuousClock.now
        try process.run()
        guard listener.wait(for: "READY=1", timeout: .seconds(30)) != nil else {
            process.terminate()
            throw Failure(description: "concordd at \(concordd.path) sent no READY=1 within 30 s")
        }
        return (process, ContinuousClock.now - started)
    }

    static func stop(_ process: Process) {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    static func startup() throws -> Report {
        var samples: [Double] = []
        for _ in 0..<7 {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "concord-start-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let listener = try NotifyListener(directory: directory)
            let (process, elapsed) = try start(in: directory, listener: listener)
            stop(process)
            samples.append(elapsed.seconds * 1000)
        }
        samples.sort()
        return Report(
            name: "daemon.startup_ms",
            value: samples[samples.count / 2],
            unit: "ms (median of 7, exec to READY=1, empty data dir)",
            target: "< 300",
            extra: ["min_ms": samples.first!, "max_ms": samples.last!]
        )
    }

    static func idleMemory() throws -> Report {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "concord-rss-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let listener = try NotifyListener(directory: directory)
        let (process, _) = try start(in: directory, listener: listener)
        defer { stop(process) }
        Thread.sleep(forTimeInterval: 3)
        return Report(
            name: "daemon.idle_rss_mb",
            value: try memoryMB("VmRSS", of: process),
            unit: "MB (VmRSS after 3 s idle)",
            target: "< 40",
            // What the resident memory is: the process's own (heap, stacks) and pages of its mapped files (the
            // binary's code, the libraries), which the page cache shares and the kernel may map in large folios.
            extra: [
                "peak_rss_mb": try memoryMB("VmHWM", of: process), "anon_mb": try memoryMB("RssAnon", of: process),
                "file_mb": try memoryMB("RssFile", of: process),
            ]
        )
    }

    /// A memory figure of a running process from /proc (VmRSS now, VmHWM its peak), in MB.
    static func memoryMB(_ field: String, of process: Process) throws -> Double {
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }
}
