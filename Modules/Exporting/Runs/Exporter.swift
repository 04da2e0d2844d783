import ConcordKit
import Contracts
import Foundation

/// `modules.exporting.*`.
struct Settings: Sendable {
    /// Where exports are written (`directory`); concordd sets it to `exports/` in its data directory unless the
    /// configuration names one.
    var directory: URL
    /// Runs kept per target when a schedule does not say (`keep`, default 7).
    var keep: Int
    /// How long an export may hold the journal still (`max_pause_seconds`, default 120): past it, it fails.
    var maxPause: Duration

    init(_ configuration: ModuleConfiguration) throws {
        guard let directory = configuration.values["directory"], !directory.isEmpty else {
            throw ConcordError.badRequest("modules.exporting.directory: missing; exports need a folder to go to")
        }
        self.directory = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL
        keep = try configuration.int("keep", default: 7)
        let pause = try configuration.int("max_pause_seconds", default: 120)
        guard (1...1000).contains(keep), pause >= 1 else {
            throw ConcordError.badRequest(
                "modules.exporting.keep: expected 1 to 1000, and max_pause_seconds at least 1; got \(keep) and \(pause)"
            )
        }
        maxPause = .seconds(pause)
    }
}

/// Runs exports: checks the request, holds the journal at one point while the writer asks its queries and writes
/// its files, then records the run and prunes old ones.
///
/// The point: the exporter takes the store's writer (``ModuleStore/beginSession(idleTimeout:)``) for the run, so
/// no module commits meanwhile and every query answers from the same state, the one at `head_seq`. Reads go on;
/// writes wait, for as long as the run takes (a few milliseconds for a network, about a second for a 250 000-actor
/// register), and never longer than `max_pause_seconds`.
struct Exporter: Sendable {
    let context: ModuleContext
    let settings: Settings
    let folder: ExportFolder
    let writers: [ExportFormat: any ExportWriter]

    init(context: ModuleContext, settings: Settings, writers: [ExportFormat: any ExportWriter] = [:]) {
        self.context = context
        self.settings = settings
        self.writers = writers
        folder = ExportFolder(root: settings.directory)
    }

    func writer(for format: ExportFormat) -> any ExportWriter {
        if let writer = writers[format] { return writer }
        return switch format {
        case .datapackage: DataPackageWriter()
        case .popolo: PopoloWriter()
        case .ical: ICalendarWriter()
        case .geojson: GeoJSONWriter()
        case .report: ReportWriter()
        }
    }

    /// Checks a request before anything is held or written; `bad_request` naming the field.
    static func check(_ format: ExportFormat, _ scope: ExportScope, prefix: String) throws(ConcordError) {
        let given: [(String, String?)] = [
            ("network", scope.network), ("series", scope.series), ("participant", scope.participant),
            ("review_date", scope.reviewDate), ("since", scope.since),
        ]
        let allowed: Set<String> =
            switch format {
            case .datapackage, .popolo, .geojson: ["network"]
            case .ical: ["network", "series", "participant"]
            case .report: ["network", "review_date", "since"]
            }
        if let (key, _) = given.first(where: { $0.1 != nil && !allowed.contains($0.0) }) {
            throw .badRequest(
                "\(prefix).\(key): not a scope of \(format.rawValue), which takes \(allowed.sorted().joined(separator: ", "))"
            )
        }
        switch format {
        case .ical:
            let chosen = given.filter { allowed.contains($0.0) && $0.1 != nil }
            guard chosen.count == 1 else {
                throw .badRequest(
                    "\(prefix): an ical feed takes exactly one of network, series or participant, got \(chosen.isEmpty ? "none" : chosen.map(\.0).joined(separator: " and "))"
                )
            }
        case .report:
            guard scope.network != nil else {
                throw .badRequest("\(prefix).network: missing; a report is of one network")
            }
            guard let review = scope.reviewDate else {
                throw .badRequest("\(prefix).review_date: missing; a report is at a review date, YYYY-MM-DD")
            }
            let day = try ReportDates.day(review, field: "\(prefix).review_date")
            if let since = scope.since {
                guard try ReportDates.day(since, field: "\(prefix).since") < day else {
                    throw .badRequest("\(prefix).since: expected a day before review_date \(review), got \(since)")
                }
            }
        default: break
        }
    }

    /// A target folder for a run without a path: the format and its scope (`ical-series-0190…`).
    static func defaultTarget(_ format: ExportFormat, _ scope: ExportScope) -> String {
        var parts = [format.rawValue]
        if let network = scope.network { parts.append(DataPackageWriter.slug(network)) }
        if let series = scope.series { parts.append("series-" + DataPackageWriter.slug(series)) }
        if let participant = scope.participant { parts.append("participant-" + DataPackageWriter.slug(participant)) }
        if let review = scope.reviewDate { parts.append(review) }
        return parts.joined(separator: "-")
    }

    /// Writes an export, or for a schedule finds nothing changed since its last run and keeps that run's files.
    /// A run that fails is recorded, announced and thrown; the previous export stays in place.
    func run(_ request: RunExport, schedule: ExportSchedule? = nil) async throws -> ExportRun {
        let scope = request.scope ?? ExportScope()
        try Self.check(request.format, scope, prefix: "scope")
        let target =
            try request.path.map { try ExportFolder.target($0, field: "path") }
            ?? Self.defaultTarget(request.format, scope)
        let sources = Sources(bus: context.bus)
        var network: Network?
        if let key = scope.network { network = try await sources.network(key, field: "scope.network") }
        if let series = scope.series { _ = try await sources.requireSeries(series, field: "scope.series") }
        if let actor = scope.participant { _ = try await sources.requireActor(actor, field: "scope.participant") }
        let started = context.clock.now()
        let id = Self.runID(started)
        var run = ExportRun(
            id: id, format: request.format, scope: scope, schedule: schedule?.id, status: .failed, path: nil,
            files: [], bytes: 0, sha256: nil, headSeq: nil, counts: [:], startedAt: ExportJob.utc(started),
            finishedAt: ExportJob.utc(started), error: nil)
        let previous = try await context.store.read { db in try ExportsStore(db: db).lastWritten(target: target) }

        let session = try await context.store.beginSession(idleTimeout: settings.maxPause)
        // Once `latest` names the run, its folder stays whatever happens after.
        var published = false
        do {
            let head = try await sources.head()
            run.headSeq = head
            if schedule != nil, let previous, let seen = previous.headSeq,
                folder.exists(target: target, run: previous.id), try await !sources.changed(after: seen)
            {
                await session.rollback()
                run.status = .unchanged
                run.path = previous.path
                run.files = previous.files
                run.bytes = previous.bytes
                run.sha256 = previous.sha256
                run.headSeq = previous.headSeq
                run.counts = previous.counts
                run.finishedAt = ExportJob.utc(context.clock.now())
                try await record(run, target: target, keep: nil)
                return run
            }
            let runFolder = try folder.begin(target: target, run: id)
            let job = ExportJob(
                scope: scope, network: network, folder: runFolder, headSeq: head,
                generatedAt: started, sources: sources)
            let output = try await writer(for: request.format).write(job)
            // Still the only writer? Past max_pause the session ends, and the files may mix two states.
            do {
                try await session.append { _ in }
            } catch {
                throw ConcordError(
                    .unavailable,
                    "the export took longer than modules.exporting.max_pause_seconds (\(settings.maxPause)); the journal moved on, so nothing was kept"
                )
            }
            let manifest = try folder.finish(target: target, run: id, files: output.files)
            published = true
            await session.rollback()
            run.status = .completed
            run.path = folder.path(target: target, run: id)
            run.files = output.files.map { ExportFile(name: $0.name, bytes: $0.bytes, sha256: $0.sha256) }
            run.bytes = output.files.reduce(0) { $0 + $1.bytes }
            run.sha256 = manifest.sha256
            run.counts = output.counts
            run.finishedAt = ExportJob.utc(context.clock.now())
            try await record(run, target: target, keep: schedule?.fields.keep ?? settings.keep)
            return run
        } catch {
            await session.rollback()
            if !published { folder.discard(target: target, run: id) }
            run.status = .failed
            run.headSeq = nil
            run.error = (error as? ConcordError)?.message ?? "\(error)"
            run.finishedAt = ExportJob.utc(context.clock.now())
            context.logger.error(
                "an export failed; the previous one stays in place",
                metadata: [
                    "format": "\(request.format.rawValue)", "target": "\(target)", "error": "\(run.error ?? "")",
                ])
            try? await record(run, target: target, keep: nil)
            if let error = error as? ConcordError { throw error }
            throw ConcordError(.internal, "export \(request.format.rawValue) to \(target) failed: \(error)")
        }
    }

    private func record(_ run: ExportRun, target: String, keep: Int?) async throws {
        let expired = try await context.store.write { transaction in
            let store = ExportsStore(db: transaction.db)
            try store.insert(run, target: target)
            if run.status == .failed {
                transaction.emit(ExportFailed(run: run))
            } else {
                transaction.emit(ExportCompleted(run: run))
            }
            return try keep.map { try store.expired(target: target, keep: $0) } ?? []
        }
        folder.prune(target: target, runs: expired)
    }

    /// Sortable by time, unique: `20261205T183000Z-3f9a1c`.
    static func runID(_ now: Date) -> String {
        let stamp = ExportJob.utc(now).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(stamp)-\(String(repeating: "0", count: 8 - suffix.count))\(suffix)"
    }
}
