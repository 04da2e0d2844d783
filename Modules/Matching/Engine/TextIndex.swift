import Foundation

/// BM25 (Robertson and Zaragoza's Okapi weighting, k1 = 1.2, b = 0.75) over the texts of needs and offers, with
/// corpus statistics over all of them.
///
/// Words are what Unicode calls letters and digits, lowercased; scripts written without spaces between words
/// (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) are cut into overlapping character pairs, the usual
/// approach for them without a dictionary. So Vietnamese, Russian, Kazakh, Japanese or Thai texts all match their
/// own language.
///
/// The relevance of two texts is the mean of BM25 of each against the other: for every word they share, its
/// weight in the one plus its weight in the other, summed in the order of the words' numbers (so a bulk pass over
/// posting lists adds exactly the same numbers in the same order as a pair computed alone).
struct TextIndex: Sendable {
    static let k1 = 1.2
    static let b = 0.75

    /// A document: its words' numbers in ascending order, their frequencies and BM25 weights, and its length.
    struct Document: Sendable, Equatable {
        var terms: [Int32]
        var frequencies: [Int32]
        var weights: [Double]
        var length: Int
    }

    /// The corpus statistics weights use: document frequencies, the number of documents and their average
    /// length, as of the last `freeze`. Kept apart from the live counts so that adding a need or an offer
    /// changes no other document's weights, and shortlists can be updated one need or offer at a time.
    struct Statistics: Sendable, Equatable {
        var frequency: [Int32: Int] = [:]
        var count = 0
        var averageLength = 1.0
    }

    private(set) var numbers: [String: Int32] = [:]
    private(set) var documents: [String: Document] = [:]
    private var frequency: [Int32: Int] = [:]
    private var totalLength = 0
    private(set) var statistics = Statistics()

    mutating func set(_ key: String, text: String) {
        remove(key)
        var counts: [Int32: Int32] = [:]
        let tokens = Self.tokens(text)
        for token in tokens { counts[number(token), default: 0] += 1 }
        let terms = counts.keys.sorted()
        for term in terms { frequency[term, default: 0] += 1 }
        totalLength += tokens.count
        var document = Document(
            terms: terms, frequencies: terms.map { counts[$0]! }, weights: [], length: tokens.count)
        document.weights = weights(of: document)
        documents[key] = document
    }

    mutating func remove(_ key: String) {
        guard let old = documents.removeValue(forKey: key) else { return }
        for term in old.terms {
            frequency[term]! -= 1
            if frequency[term] == 0 { frequency[term] = nil }
        }
        totalLength -= old.length
    }

    /// Whether the corpus has doubled (by 20 documents at least) since the statistics were taken: then they are
    /// taken again and every score recomputed, which costs, amortised, a constant number of full passes.
    var isStale: Bool { documents.count >= max(2 * statistics.count, statistics.count + 20) }

    /// Takes the statistics from the documents as they are now, and weighs every document again.
    mutating func freeze() {
        statistics = Statistics(
            frequency: frequency, count: documents.count,
            averageLength: documents.isEmpty ? 1 : max(1, Double(totalLength) / Double(documents.count)))
        for key in Array(documents.keys) { documents[key]!.weights = weights(of: documents[key]!) }
    }

    /// BM25 weights with the frozen statistics (a word they have not seen counts as in one document).
    private func weights(of document: Document) -> [Double] {
        let count = Double(max(1, statistics.count))
        let norm = 1 - Self.b + Self.b * Double(document.length) / statistics.averageLength
        return zip(document.terms, document.frequencies).map { term, frequency in
            let df = Double(min(max(1, statistics.count), max(1, statistics.frequency[term] ?? 1)))
            let idf = log(1 + (count - df + 0.5) / (df + 0.5))
            let tf = Double(frequency)
            return idf * tf * (Self.k1 + 1) / (tf + Self.k1 * norm)
        }
    }

    private mutating func number(_ term: String) -> Int32 {
        if let known = numbers[term] { return known }
        let next = Int32(numbers.count)
        numbers[term] = next
        return next
    }

    /// The relevance of two documents: the sum, over the words they share, of both weights, halved.
    static func relevance(_ a: Document?, _ b: Document?) -> Double {
        guard let a, let b else { return 0 }
        var i = 0
        var j = 0
        var sum = 0.0
        while i < a.terms.count, j < b.terms.count {
            if a.terms[i] == b.terms[j] {
                sum += a.weights[i] + b.weights[j]
                i += 1
                j += 1
            } else if a.terms[i] < b.terms[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return sum / 2
    }

    /// One document's weights laid out by word number, so that its relevance with many others costs a look-up
    /// per word of theirs instead of a merge. It adds the same numbers in the same order as
    /// ``relevance(_:_:)`` (the shared words, ascending), so the sums are equal to the last bit.
    struct Scattered {
        private var weights: [Double]
        private var loaded: Document?

        init(words: Int) { weights = [Double](repeating: 0, count: words) }

        /// Lays out `document`, clearing the one before. Weights are positive, so 0 means "not in it".
        mutating func load(_ document: Document?) {
            if let loaded { for term in loaded.terms { weights[Int(term)] = 0 } }
            loaded = document
            guard let document else { return }
            for (term, weight) in zip(document.terms, document.weights) {
                if Int(term) >= weights.count {
                    weights.append(contentsOf: repeatElement(0, count: Int(term) + 1 - weights.count))
                }
                weights[Int(term)] = weight
            }
        }

        /// ``TextIndex/relevance(_:_:)`` of the loaded document and `other`.
        func relevance(_ other: Document?) -> Double {
            guard loaded != nil, let other else { return 0 }
            var sum = 0.0
            weights.withUnsafeBufferPointer { mine in
                other.terms.withUnsafeBufferPointer { terms in
                    other.weights.withUnsafeBufferPointer { theirs in
                        for index in terms.indices {
                            let term = Int(terms[index])
                            guard term < mine.count else { continue }
                            let weight = mine[term]
                            if weight != 0 { sum += weight + theirs[index] }
                        }
                    }
                }
            }
            return sum / 2
        }
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
