import ConcordKit
import Contracts
import Foundation

/// The `system` module: liveness, status, the message catalog, and the journal's head and replay.
struct SystemModule: Module {
    let version: String
    let journal: Journal
    let status: @Sendable () async -> SystemStatus
    let catalog: @Sendable () -> Catalog

    var descriptor: ModuleDescriptor {
        ModuleDescriptor(
            name: "system",
            version: version,
            publishes: [Heartbeat.self, NoteRecorded.self],
            namespaces: ["system", "events"]
        )
    }

    func start(context: ModuleContext) async throws {
        try context.handle(Ping.self, runsOn: .inline) { _, _ in Pong(version: version) }
        try context.handle(GetStatus.self, runsOn: .inline) { _, _ in await status() }
        try context.handle(GetCatalog.self) { _, _ in catalog() }
        try context.handle(GetEventsHead.self, runsOn: .inline) { _, _ in EventsHead(headSeq: journal.headSeq) }
        try context.handle(ReplayEvents.self) { query, _ in try await replay(query) }
        try context.handle(RecordNote.self, runsOn: .inline) { command, meta in
            let text = command.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else {
                throw ConcordError.badRequest(
                    "args.text: expected 1 to \(RecordNote.maximumLength) characters, got none")
            }
            guard text.count <= RecordNote.maximumLength else {
                throw ConcordError(
                    .tooLarge,
                    "args.text: \(text.count) characters; a note holds at most \(RecordNote.maximumLength)",
                    details: [
                        "max_characters": .int(Int64(RecordNote.maximumLength)), "characters": .int(Int64(text.count)),
                    ]
                )
            }
            let note = NoteRecorded(text: text, by: meta.caller)
            return try await context.store.write { transaction in
                transaction.emit(note)
                return note
            }
        }
    }

    private func replay(_ query: ReplayEvents) async throws -> ReplayedEvents {
        let limit = query.limit ?? ReplayEvents.defaultLimit
        guard (1...ReplayEvents.maximumLimit).contains(limit) else {
            throw ConcordError.badRequest(
                "args.limit: expected an integer from 1 to \(ReplayEvents.maximumLimit), got \(limit)"
            )
        }
        var subject: UUID?
        if let text = query.subject {
            guard let id = UUID(uuidString: text) else {
                throw ConcordError.badRequest(
                    "args.subject: expected an entity's id, a UUID such as \"0190f1c2-7d4e-7a3b-9c1d-2e3f4a5b6c7d\", got \"\(text.prefix(60))\""
                )
            }
            subject = id
        }
        // The head is read first; events committed meanwhile may follow it, so the reply's head covers them too.
        let head = journal.headSeq
        let envelopes = try await journal.replay(
            after: query.afterSeq, prefixes: query.topics, limit: limit, subject: subject)
        return ReplayedEvents(events: envelopes.map(\.jsonObject), headSeq: max(head, envelopes.last?.seq ?? 0))
    }
}
