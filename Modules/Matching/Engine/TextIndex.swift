import Foundation

/// BM25 (Robertson and Zaragoza's Okapi weighting, k1 = 1.2, b = 0.75) over the texts of needs and offers, with
/// corpus statistics over all of them.
///
/// Words are what Unicode calls letters and digits, lowercased; scripts written without spaces between words
/// (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) are cut into overlapping character pairs, the usual
/// approach for them without a dictionary. So Vietnamese, Russian, Kazakh, Japanese or Thai texts all match their
/// own language.
struct TextIndex: Sendable {
    static let k1 = 1.2
    static let b = 0.75

    /// A document's term frequencies and length.
    struct Document: Sendable, Equatable {
        var terms: [String: Int]
        var length: Int
    }

    private(set) var documents: [String: Document] = [:]
    private(set) var frequency: [String: Int] = [:]
    private var totalLength = 0

    /// The corpus statistics scores use: document frequencies, the number of documents and their average
    /// length, as of the last `freeze`. Kept apart from the live counts so that adding a need or an offer
    /// changes no other pair's score, and shortlists can be updated one need or offer at a time.
    struct Statistics: Sendable, Equatable {
        var frequency: [String: Int] = [:]
        var count = 0
        var averageLength = 1.0
    }
    private(set) var statistics = Statistics()

    /// Whether the corpus has doubled (by 20 documents at least) since the statistics were taken: then they are
    /// taken again and every score recomputed, which costs, amortised, a constant number of full passes.
    var isStale: Bool { documents.count >= max(2 * statistics.count, statistics.count + 20) }

    /// Takes the statistics from the documents as they are now.
    mutating func freeze() {
        statistics = Statistics(
            frequency: frequency, count: documents.count,
            averageLength: documents.isEmpty ? 1 : max(1, Double(totalLength) / Double(documents.count)))
    }

    mutating func set(_ key: String, text: String) {
        remove(key)
        let tokens = Self.tokens(text)
        var terms: [String: Int] = [:]
        for token in tokens { terms[token, default: 0] += 1 }
        for term in terms.keys { frequency[term, default: 0] += 1 }
        totalLength += tokens.count
        documents[key] = Document(terms: terms, length: tokens.count)
    }

    mutating func remove(_ key: String) {
        guard let old = documents.removeValue(forKey: key) else { return }
        for term in old.terms.keys {
            frequency[term]! -= 1
            if frequency[term] == 0 { frequency[term] = nil }
        }
        totalLength -= old.length
    }

    /// BM25 of `query`'s terms in the document `key`, with the frozen statistics (a term they have not seen
    /// counts as in one document).
    func score(query: Document, document key: String) -> Double {
        guard let document = documents[key] else { return 0 }
        let count = Double(max(1, statistics.count))
        var score = 0.0
        for term in query.terms.keys {
            guard let tf = document.terms[term].map(Double.init) else { continue }
            let df = Double(min(statistics.count, max(1, statistics.frequency[term] ?? 1)))
            let idf = log(1 + (count - df + 0.5) / (df + 0.5))
            let norm = 1 - Self.b + Self.b * Double(document.length) / statistics.averageLength
            score += idf * tf * (Self.k1 + 1) / (tf + Self.k1 * norm)
        }
        return score
    }

    static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var word = ""
        var previous: Character?
        func flush() {
            if !word.isEmpty { tokens.append(word) }
            word = ""
        }
        for character in text.lowercased() {
            guard character.isLetter || character.isNumber else {
                flush()
                previous = nil
                continue
            }
            if Self.isUnspaced(character) {
                flush()
                if let previous {
                    tokens.append(String([previous, character]))
                } else {
                    tokens.append(String(character))
                }
                previous = character
            } else {
                previous = nil
                word.append(character)
            }
        }
        flush()
        return tokens
    }

    /// Whether the character's script writes words without spaces.
    static func isUnspaced(_ character: Character) -> Bool {
        guard let scalar = character.unicodeScalars.first?.value else { return false }
        switch scalar {
        case 0x0E00...0x0EFF,  // Thai, Lao
            0x1000...0x109F,  // Myanmar
            0x1780...0x17FF,  // Khmer
            0x3040...0x30FF,  // Hiragana, Katakana
            0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF:  // Han
            return true
        default:
            return false
        }
    }
}
