/// A module's section of the daemon configuration (`modules.<name>.*`), with typed reads that name the key.
public struct ModuleConfiguration: Sendable {
    /// The module's name, as in `modules.<name>`.
    public let module: String
    /// The values under the module's section, by key relative to it.
    public let values: [String: String]

    public init(module: String, values: [String: String] = [:]) {
        self.module = module
        self.values = values
    }

    public func string(_ key: String, default defaultValue: String) -> String {
        values[key] ?? defaultValue
    }

    public func int(_ key: String, default defaultValue: Int) throws(ConcordError) -> Int {
        guard let text = values[key] else { return defaultValue }
        guard let value = Int(text) else {
            throw .badRequest("modules.\(module).\(key): expected an integer, got \"\(text)\"")
        }
        return value
    }

    public func bool(_ key: String, default defaultValue: Bool) throws(ConcordError) -> Bool {
        guard let text = values[key] else { return defaultValue }
        switch text.lowercased() {
        case "true", "yes", "1": return true
        case "false", "no", "0": return false
        default: throw .badRequest("modules.\(module).\(key): expected true or false, got \"\(text)\"")
        }
    }
}
