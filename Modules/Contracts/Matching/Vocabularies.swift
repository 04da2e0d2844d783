// The code lists the matching module speaks, taken from the field rather than invented; each names its source.

/// A code of a published list, with a label a secretariat can read.
public struct VocabularyCode: Codable, Sendable, Equatable {
    public var code: String
    public var label: String

    public init(_ code: String, _ label: String) {
        self.code = code
        self.label = label
    }
}

public enum MatchingVocabulary {
    /// Sectors: the 3-digit groups of the OECD DAC Creditor Reporting System purpose codes, with friendly labels.
    public static let sectorSource =
        "OECD DAC and CRS code lists, purpose codes (3-digit sector groups), https://www.oecd.org/dac/financing-sustainable-development/development-finance-standards/dacandcrscodelists.htm"
    public static let sectors: [VocabularyCode] = [
        VocabularyCode("111", "Education, level unspecified"),
        VocabularyCode("112", "Basic education"),
        VocabularyCode("113", "Secondary education"),
        VocabularyCode("114", "Post-secondary education"),
        VocabularyCode("121", "Health, general"),
        VocabularyCode("122", "Basic health"),
        VocabularyCode("123", "Non-communicable diseases"),
        VocabularyCode("130", "Population policies and reproductive health"),
        VocabularyCode("140", "Water supply and sanitation"),
        VocabularyCode("151", "Government and civil society, general"),
        VocabularyCode("152", "Conflict, peace and security"),
        VocabularyCode("160", "Other social infrastructure and services"),
        VocabularyCode("210", "Transport and storage"),
        VocabularyCode("220", "Communications"),
        VocabularyCode("230", "Energy (231-236: policy, generation, distribution)"),
        VocabularyCode("231", "Energy policy"),
        VocabularyCode("232", "Energy generation, renewable sources"),
        VocabularyCode("236", "Energy distribution"),
        VocabularyCode("240", "Banking and financial services"),
        VocabularyCode("250", "Business and other services"),
        VocabularyCode("311", "Agriculture"),
        VocabularyCode("312", "Forestry"),
        VocabularyCode("313", "Fishing"),
        VocabularyCode("321", "Industry"),
        VocabularyCode("322", "Mineral resources and mining"),
        VocabularyCode("323", "Construction"),
        VocabularyCode("331", "Trade policies and regulations"),
        VocabularyCode("332", "Tourism"),
        VocabularyCode("410", "General environment protection"),
        VocabularyCode("430", "Other multisector, including urban development and management"),
        VocabularyCode("720", "Emergency response"),
        VocabularyCode("730", "Reconstruction, relief and rehabilitation"),
        VocabularyCode("740", "Disaster prevention and preparedness"),
    ]

    /// Instruments: IATI FinanceType codes (grant, loans, guarantee, equity), and technical assistance, which IATI
    /// records as an aid type (D02) rather than a finance type.
    public static let instrumentSource =
        "IATI Standard codelists FinanceType (https://iatistandard.org/en/iati-standard/203/codelists/financetype/) and AidType D02"
    public static let instruments: [VocabularyCode] = [
        VocabularyCode("110", "Standard grant"),
        VocabularyCode("421", "Standard loan"),
        VocabularyCode("410", "Aid loan excluding debt reorganisation"),
        VocabularyCode("431", "Subordinated loan"),
        VocabularyCode("510", "Common equity"),
        VocabularyCode("1100", "Guarantees and insurance"),
        VocabularyCode("D02", "Technical assistance"),
    ]

    /// SDG targets are written `goal.target` (`11.5`, `13.1`, `6.a`): goals 1 to 17, targets numbered or lettered.
    public static let sdgSource =
        "United Nations, Global indicator framework for the SDGs (A/RES/71/313), https://unstats.un.org/sdgs/indicators/indicators-list/"
    public static let sdgGoals: [VocabularyCode] = [
        VocabularyCode("1", "No poverty"), VocabularyCode("2", "Zero hunger"),
        VocabularyCode("3", "Good health and well-being"),
        VocabularyCode("4", "Quality education"), VocabularyCode("5", "Gender equality"),
        VocabularyCode("6", "Clean water and sanitation"),
        VocabularyCode("7", "Affordable and clean energy"), VocabularyCode("8", "Decent work and economic growth"),
        VocabularyCode("9", "Industry, innovation and infrastructure"), VocabularyCode("10", "Reduced inequalities"),
        VocabularyCode("11", "Sustainable cities and communities"),
        VocabularyCode("12", "Responsible consumption and production"),
        VocabularyCode("13", "Climate action"), VocabularyCode("14", "Life below water"),
        VocabularyCode("15", "Life on land"),
        VocabularyCode("16", "Peace, justice and strong institutions"),
        VocabularyCode("17", "Partnerships for the goals"),
    ]

    /// Whether `text` is an SDG target such as `11.5` or `6.a`: a goal from 1 to 17, a dot, a number (1-19) or a
    /// letter (a-h).
    public static func isSDGTarget(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let goal = Int(parts[0]), (1...17).contains(goal), String(goal) == parts[0] else {
            return false
        }
        let target = parts[1]
        if let number = Int(target) { return (1...19).contains(number) && String(number) == target }
        return target.count == 1 && ("a"..."h").contains(target)
    }
}
