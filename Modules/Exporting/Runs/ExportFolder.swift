import ConcordKit
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The exports directory: each target (`mekong-calendar`, `datapackage`) a folder holding one folder per run and
/// `latest`, a link to the last complete run that is swapped atomically, so a reader following `latest` always
/// finds a whole export and a failed run leaves the previous one in place.
struct ExportFolder: Sendable {
    let root: URL

    /// The name of the link to the last complete run of a target.
    static let latest = "latest"
    /// The manifest every run ends with: one `sha256  name` line per file, as `sha256sum -c` reads it.
    static let manifest = "SHA256SUMS"

    /// A target folder from a client's relative path: letters, digits, `-`, `_` and `.` in up to four parts,
    /// none `.` or `..`, so nothing lands outside the exports directory.
    static func target(_ path: String, field: String) throws(ConcordError) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        guard !path.hasPrefix("/"), (1...4).contains(parts.count),
            parts.allSatisfy({ part in
                !part.isEmpty && part.count <= 64 && part != "." && part != ".." && !part.hasPrefix(".")
                    && part.allSatisfy(allowed.contains)
            })
        else {
            throw .badRequest(
                "\(field): expected a folder inside the exports directory, relative, in up to four parts of letters, digits, '-', '_' and '.' (none starting with '.'), got \"\(path.prefix(120))\""
            )
        }
        return path
    }

    /// Creates the run's folder and returns it.
    func begin(target: String, run: String) throws -> URL {
        let folder = root.appendingPathComponent(target).appendingPathComponent(run)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Resolved, the folder must still be inside the exports directory (no link inside it leads out).
        let real = folder.resolvingSymlinksInPath().standardizedFileURL.path
        let base = root.resolvingSymlinksInPath().standardizedFileURL.path
        guard real.hasPrefix(base + "/") else {
            try? FileManager.default.removeItem(at: folder)
            throw ExportWriteError(message: "\(target) leads outside the exports directory \(root.path)")
        }
        return folder
    }

    /// Writes the run's manifest and points `latest` at it; returns the manifest's digest.
    func finish(target: String, run: String, files: [ExportFileDigest]) throws -> ExportFileDigest {
        let targetFolder = root.appendingPathComponent(target)
        let folder = targetFolder.appendingPathComponent(run)
        let manifest = try OutputFile(name: Self.manifest, in: folder)
        for file in files { try manifest.write("\(file.sha256)  \(file.name)\n") }
        let digest = try manifest.commit()
        let link = targetFolder.appendingPathComponent(".\(Self.latest).tmp")
        unlink(link.path)
        guard symlink(run, link.path) == 0 else { throw OutputFile.failure("cannot link \(link.path)") }
        guard rename(link.path, targetFolder.appendingPathComponent(Self.latest).path) == 0 else {
            throw OutputFile.failure("cannot swap \(targetFolder.appendingPathComponent(Self.latest).path)")
        }
        try OutputFile.syncFolder(targetFolder)
        return digest
    }

    /// Removes a run's folder that did not finish.
    func discard(target: String, run: String) {
        try? FileManager.default.removeItem(at: root.appendingPathComponent(target).appendingPathComponent(run))
    }

    /// The run `latest` names in a target, if any.
    func latestRun(target: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(
            atPath: root.appendingPathComponent(target).appendingPathComponent(Self.latest).path)
    }

    /// Whether a finished run's folder is still there, with its manifest.
    func exists(target: String, run: String) -> Bool {
        FileManager.default.fileExists(
            atPath: root.appendingPathComponent(target).appendingPathComponent(run)
                .appendingPathComponent(Self.manifest).path)
    }

    /// Removes the given runs' folders, except the one `latest` names.
    func prune(target: String, runs: [String]) {
        let latest = latestRun(target: target)
        for run in runs where run != latest { discard(target: target, run: run) }
    }

    /// Removes what runs cut off by a crash left: run folders without their manifest (written last) and
    /// half-made `latest` links. Returns the folders removed.
    @discardableResult
    func sweep() -> [String] {
        var removed: [String] = []
        func visit(_ folder: URL, depth: Int) {
            guard depth <= 5,
                let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
            else { return }
            for name in names {
                let entry = folder.appendingPathComponent(name)
                if name == ".\(Self.latest).tmp" {
                    unlink(entry.path)
                    continue
                }
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: entry.path, isDirectory: &isFolder), isFolder.boolValue,
                    (try? FileManager.default.destinationOfSymbolicLink(atPath: entry.path)) == nil
                else { continue }
                if Self.isRunID(name) {
                    if !FileManager.default.fileExists(atPath: entry.appendingPathComponent(Self.manifest).path) {
                        try? FileManager.default.removeItem(at: entry)
                        removed.append(entry.path)
                    }
                } else {
                    visit(entry, depth: depth + 1)
                }
            }
        }
        visit(root, depth: 0)
        return removed
    }

    /// `20261205T183000Z-3f9a1c07`, as ``Exporter/runID(_:)`` makes them.
    static func isRunID(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count == 25, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z"),
            bytes[16] == UInt8(ascii: "-")
        else { return false }
        let digits = bytes[0..<8] + bytes[9..<15]
        return digits.allSatisfy { (0x30...0x39).contains($0) }
            && bytes[17...].allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    func path(target: String, run: String) -> String {
        root.appendingPathComponent(target).appendingPathComponent(run).path
    }
}
