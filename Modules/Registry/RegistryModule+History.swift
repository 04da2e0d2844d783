import ConcordKit
import Contracts
import Foundation

/// The history of an entity: every journaled registry event that names it, from the journal's index.
extension RegistryModule {
    static func startHistory(context: ModuleContext) throws {
        try context.handle(GetHistory.self) { query, _ in
            var events: [JSONValue] = []
            var after: UInt64 = 0
            while true {
                let page = try await context.send(
                    ReplayEvents(
                        afterSeq: after, topics: ["registry."], limit: ReplayEvents.maximumLimit, subject: query.id))
                events += page.events
                guard let last = page.events.last?["seq"]?.intValue, page.events.count == ReplayEvents.maximumLimit
                else { break }
                after = UInt64(last)
            }
            return History(events: events)
        }
    }
}
