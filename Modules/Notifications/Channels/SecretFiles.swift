import Foundation

/// A secret that could not be read, said without the secret.
struct SecretError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Reads secrets (the SMTP password, webhook secrets) from files, each time they are needed, so a rotated file
/// takes effect without a restart. A relative name is looked up in systemd's `$CREDENTIALS_DIRECTORY` (the
/// unit's `LoadCredential=`) when it is set, else in the configured directory. Secrets are never logged, and
/// never part of a reply or an event: errors name the file, not its content.
struct SecretFiles: Sendable {
    /// Where relative names are found.
    var directory: String?

    init(directory: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.directory = environment["CREDENTIALS_DIRECTORY"] ?? directory
    }

    func path(_ name: String) -> String {
        if name.hasPrefix("/") { return name }
        return ((directory ?? FileManager.default.currentDirectoryPath) as NSString).appendingPathComponent(name)
    }

    func read(_ name: String) throws -> String {
        let path = path(name)
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw SecretError("cannot read the secret file \(path)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
