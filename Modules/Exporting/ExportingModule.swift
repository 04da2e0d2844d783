public import ConcordKit
import Contracts
import Foundation
import Synchronization

/// Publishes what a secretariat keeps in the forms its partners' tools read: a Frictionless data package, Popolo
/// JSON, iCalendar feeds, GeoJSON of the members and an HTML progress-review report; on demand (`exports.run`) and
/// on a schedule (`exports.schedule`, an RRULE in a zone on a durable timer), written atomically into the exports
/// directory with the last runs kept.
///
/// It reads the registry and scheduling with their queries only, all at one point of the journal (the run's
/// `head_seq`), and imports no other module.
public struct ExportingModule: Module {
    /// Writers by format that replace the real ones: for tests of runs that fail half-way.
    let writers: [ExportFormat: any ExportWriter]

    public init() { writers = [:] }

    init(writers: [ExportFormat: any ExportWriter]) { self.writers = writers }

    public var descriptor: ModuleDescriptor {
        ModuleDescriptor(
            name: "exporting", version: Generator.version,
            publishes: [
                ExportCompleted.self, ExportFailed.self, ExportScheduled.self, ExportUnscheduled.self, ExportDue.self,
            ],
            namespaces: ["exports"])
    }

    public var migrations: [Migration] { ExportsStore.migrations }

    /// How long after a change a schedule that follows changes runs, so a burst of changes makes one run.
    static let settle: TimeInterval = 2

    public func start(context: ModuleContext) async throws {
        let settings = try Settings(context.configuration)
        try FileManager.default.createDirectory(at: settings.directory, withIntermediateDirectories: true)
        let exporter = Exporter(context: context, settings: settings, writers: writers)
        for folder in exporter.folder.sweep() {
            context.logger.warning(
                "removed the folder of an export cut off by a crash or a stop", metadata: ["folder": "\(folder)"])
        }
        let schedules = Schedules(context: context, exporter: exporter)
        let store = context.store

        try context.handle(RunExport.self) { command, _ in try await exporter.run(command) }
        try context.handle(ListExports.self, runsOn: .inline) { query, _ in
            let limit = query.limit ?? 100
            guard (1...1000).contains(limit) else {
                throw ConcordError.badRequest("limit: expected an integer from 1 to 1000, got \(limit)")
            }
            return try await store.read { db in
                let exports = ExportsStore(db: db)
                return ExportList(
                    runs: try exports.runs(schedule: query.schedule, format: query.format, limit: limit),
                    schedules: try exports.schedules())
            }
        }
        try context.handle(ScheduleExport.self) { command, _ in try await schedules.set(command) }
        try context.handle(UnscheduleExport.self, runsOn: .inline) { command, _ in
            try await schedules.remove(command.id)
            return Acknowledged()
        }
        context.on(ExportDue.self) { envelope in await schedules.fire(envelope.payload) }
        // Schedules that follow changes run once a burst of registry or scheduling events has settled. A change is
        // noted (`dirty`) and signalled; a run clears the note first, so signals that arrived while it waited are
        // covered by it and make no run of their own.
        let dirty = Mutex(false)
        let (changes, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        for prefix in ["registry.", "scheduling."] {
            context.onBatches(prefix: prefix) { _ in
                dirty.withLock { $0 = true }
                signal.yield()
            }
        }
        let clock = context.clock
        context.tasks.add(subscription: { signal.finish() }) {
            for await _ in changes {
                do {
                    try await clock.sleep(until: clock.now().addingTimeInterval(Self.settle))
                } catch {
                    return
                }
                guard
                    dirty.withLock({ dirty in
                        defer { dirty = false }; return dirty
                    })
                else { continue }
                await schedules.followChanges()
            }
        }
        context.statusReport.provide {
            guard let counts = try? await store.read({ db in try ExportsStore(db: db).counts() }) else { return .null }
            return .object([
                "directory": .string(settings.directory.path), "schedules": .int(Int64(counts.schedules)),
                "runs": .int(Int64(counts.runs)), "failed_runs": .int(Int64(counts.failed)),
            ])
        }
    }
}
