import ArgumentParser
import ConcordKit
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `concordctl import actors|memberships FILE.csv`: checks a CSV file row by row through the daemon, then
/// writes it in one transaction.
struct Import: ParsableCommand {
    /// Requests stay well below the daemon's 1 MiB message limit (docs/protocol.md).
    static let maximumPieceBytes = 512 * 1024

    static let configuration = CommandConfiguration(
        abstract: "Import actors or memberships from a CSV file (all or nothing unless --partial).",
        discussion: """
            The first line names the columns (README, "Bulk import"). Every rejected row is reported with its \
            line and reason on standard error (and in --report FILE as CSV). Exit 0 when imported or, with \
            --dry-run, when every row passed; 65 when rows were rejected and nothing was written.
            """
    )

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case actors
        case memberships
    }

    @OptionGroup var connection: ConnectionFlags

    @Argument(help: "actors or memberships.")
    var kind: Kind

    @Argument(help: "The CSV file (UTF-8, comma-separated, header first).")
    var file: String

    @Flag(name: .customLong("dry-run"), help: "Check every row and report, but write nothing.")
    var dryRun = false

    @Flag(help: "Write the valid rows even when some are rejected.")
    var partial = false

    @Flag(help: "Register actors whose name and country exist already.")
    var force = false

    @Option(name: .customLong("report"), help: "Write the rejected rows (line,reason) to this CSV file.")
    var report: String?

    @Option(name: .customLong("rows-per-request"), help: "Rows sent in each request.")
    var rowsPerRequest = 5000

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func run() throws {
        try runTool {
            guard rowsPerRequest > 0 else {
                throw ToolError("--rows-per-request: expected a positive number", exitCode: 64)
            }
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ToolError("\(file): cannot be read", exitCode: 66)
            }
            guard var text = String(data: data, encoding: .utf8) else {
                throw ToolError("\(file): is not UTF-8 text", exitCode: 65)
            }
            if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
            guard let (header, firstLine, body) = CSVRecords.header(of: text) else {
                throw ToolError("\(file): expected a header line and rows, found one line", exitCode: 65)
            }
            let pieces = CSVRecords.split(
                body, firstLine: firstLine, maxRecords: rowsPerRequest, maxBytes: Self.maximumPieceBytes
            ).filter { !$0.text.allSatisfy(\.isWhitespace) }
            if let long = pieces.first(where: { $0.text.utf8.count > 2 * Self.maximumPieceBytes }) {
                throw ToolError(
                    "\(file): the record on line \(long.line) is over 1 MiB (an unbalanced quote?)", exitCode: 65)
            }
            let total = pieces.reduce(0) { $0 + $1.records }

            var options = try connection.connection()
            let client = try CommandClient(options: options)
            let opened = try result(
                client.call(
                    "registry.import.begin",
                    args: [
                        "kind": kind.rawValue, "header": header, "dry_run": dryRun, "partial": partial, "force": force,
                    ]))
            guard let id = opened["import"] as? String else { throw ToolError("the daemon opened no import") }

            // An import that writes takes the register's writer with its first piece: that piece waits while
            // another import holds it, and the commit writes for a while. Wait for those longer than for a command.
            options.timeout = max(options.timeout, .seconds(600))
            let writing = try CommandClient(options: options)
            let progress = ProgressBar(total: total)
            var rejected: [(line: Int, reason: String)] = []
            var sent = 0
            do {
                for piece in pieces {
                    let reply = try result(
                        writing.call(
                            "registry.import.rows",
                            encoding: RowsArguments(import: id, firstLine: piece.line, csv: String(piece.text))
                        ))
                    for row in reply["rejected"] as? [[String: Any]] ?? [] {
                        rejected.append((row["line"] as? Int ?? 0, row["reason"] as? String ?? "rejected"))
                    }
                    sent += piece.records
                    progress.show(done: sent, rejected: rejected.count)
                }
            } catch {
                // Give the writer back now rather than when the daemon finds the import idle.
                _ = try? client.call("registry.import.abort", args: ["import": id])
                throw error
            }
            progress.finish()
            for row in rejected {
                FileHandle.standardError.write(Data("line \(row.line): \(row.reason)\n".utf8))
            }
            if let report { try write(rejected, to: report) }

            if !rejected.isEmpty, !partial {
                _ = try? client.call("registry.import.abort", args: ["import": id])
                throw ToolError(
                    "\(rejected.count) of \(total) rows rejected; nothing was imported "
                        + "(fix them, or use --partial to import the \(total - rejected.count) valid rows)",
                    exitCode: 65)
            }
            let committed = try writing.call("registry.import.commit", args: ["import": id])
            let summary = try result(committed)
            if json {
                printJSON(committed.value["result"] ?? .null, pretty: false)
            } else {
                let imported = summary["imported"] as? Int ?? 0
                let verb = dryRun ? "checked, nothing written (dry run)" : "imported \(imported)"
                var line = "\(kind.rawValue): \(total) rows, \(verb), \(summary["rejected"] as? Int ?? 0) rejected"
                if let derived = summary["derived"] as? Int, derived > 0 { line += ", \(derived) derived by rules" }
                print(line)
            }
        }
    }

    /// The arguments of `registry.import.rows`.
    struct RowsArguments: Encodable {
        var `import`: String
        var firstLine: Int
        var csv: String

        enum CodingKeys: String, CodingKey {
            case `import`, csv
            case firstLine = "first_line"
        }
    }

    /// The `result` of a reply, or its error as a ToolError.
    private func result(_ reply: Reply) throws -> [String: Any] {
        guard reply["ok"] as? Bool == true else {
            let error = reply["error"] as? [String: Any]
            throw ToolError(
                "\(error?["code"] as? String ?? "error"): \(error?["message"] as? String ?? "the daemon refused")")
        }
        return reply["result"] as? [String: Any] ?? [:]
    }

    private func write(_ rejected: [(line: Int, reason: String)], to path: String) throws {
        var text = "line,reason\n"
        for row in rejected {
            text += "\(row.line),\"\(row.reason.replacingOccurrences(of: "\"", with: "\"\""))\"\n"
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw ToolError("--report \(path): cannot be written", exitCode: 73)
        }
    }
}

/// A one-line progress bar on standard error, drawn only when it is a terminal.
final class ProgressBar {
    let total: Int
    let enabled = isatty(STDERR_FILENO) == 1

    init(total: Int) { self.total = total }

    func show(done: Int, rejected: Int) {
        guard enabled, total > 0 else { return }
        let width = 30
        let filled = width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write(
            Data("\r[\(bar)] \(100 * done / total)% \(done)/\(total) rows checked, \(rejected) rejected".utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
