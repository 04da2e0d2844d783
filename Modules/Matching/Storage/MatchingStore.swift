import ConcordKit
import Contracts
import Foundation
import GRDB

/// The module's tables: each entity whole as JSON, keyed by its id.
struct MatchingStore {
    let db: Database

    private static let decoder = ConcordJSON.decoder()

    func save(_ need: Need) throws { try put("matching_needs(id, doc)", [need.id], need) }
    func save(_ offer: Offer) throws { try put("matching_offers(id, doc)", [offer.id], offer) }
    func save(_ match: Match) throws {
        try put("matching_matches(need, offer, doc)", [match.need, match.offer], match)
    }
    func save(_ facts: ActorFacts) throws { try put("matching_actors(id, doc)", [facts.id], facts) }
    func save(_ rates: ExchangeRates) throws { try put("matching_rates(key, doc)", [1], rates) }

    /// Writes `value` whole as JSON under its key columns, replacing what was there.
    private func put(_ table: String, _ keys: [any DatabaseValueConvertible], _ value: some Encodable) throws {
        let places = Array(repeating: "?", count: keys.count + 1).joined(separator: ", ")
        try db.execute(
            sql: "INSERT OR REPLACE INTO \(table) VALUES (\(places))",
            arguments: StatementArguments(keys + [try JSONStreamEncoder.text(value)]))
    }

    /// Everything, with the text index built; the shortlists are left to `rebuild`. Facts and rates first, so
    /// that the needs and offers compile against them.
    func load() throws -> MatchingState {
        var state = MatchingState()
        for doc in try String.fetchAll(db, sql: "SELECT doc FROM matching_actors") {
            state.set(try Self.decoder.decode(ActorFacts.self, from: Data(doc.utf8)))
        }
        if let doc = try String.fetchOne(db, sql: "SELECT doc FROM matching_rates WHERE key = 1") {
            state.set(try Self.decoder.decode(ExchangeRates.self, from: Data(doc.utf8)))
        }
        for doc in try String.fetchAll(db, sql: "SELECT doc FROM matching_needs ORDER BY id") {
            state.set(try Self.decoder.decode(Need.self, from: Data(doc.utf8)))
        }
        for doc in try String.fetchAll(db, sql: "SELECT doc FROM matching_offers ORDER BY id") {
            state.set(try Self.decoder.decode(Offer.self, from: Data(doc.utf8)))
        }
        state.set(
            try String.fetchAll(db, sql: "SELECT doc FROM matching_matches").map { doc in
                try Self.decoder.decode(Match.self, from: Data(doc.utf8))
            })
        return state
    }
}
