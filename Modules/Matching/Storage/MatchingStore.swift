import ConcordKit
import Contracts
import Foundation
import GRDB

/// The module's tables: each entity whole as JSON, keyed by its id.
struct MatchingStore {
    let db: Database

    private static let decoder = ConcordJSON.decoder()

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try JSONStreamEncoder.encode(value), as: UTF8.self)
    }

    func save(_ need: Need) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO matching_needs(id, doc) VALUES (?, ?)",
            arguments: [need.id, Self.encode(need)])
    }

    func save(_ offer: Offer) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO matching_offers(id, doc) VALUES (?, ?)",
            arguments: [offer.id, Self.encode(offer)])
    }

    func save(_ match: Match) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO matching_matches(need, offer, doc) VALUES (?, ?, ?)",
            arguments: [match.need, match.offer, Self.encode(match)])
    }

    func save(_ facts: ActorFacts) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO matching_actors(id, doc) VALUES (?, ?)",
            arguments: [facts.id, Self.encode(facts)])
    }

    func save(_ rates: ExchangeRates) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO matching_rates(key, doc) VALUES (1, ?)", arguments: [Self.encode(rates)])
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
