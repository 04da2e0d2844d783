/// Why the store could not be opened; what it says names the path and what to do.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    private enum Code: Sendable {
        case unusableDirectory
        case newerSchema
        case corrupt
    }

    private let code: Code
    public let description: String

    public static func unusableDirectory(_ path: String, reason: String) -> StoreError {
        StoreError(
            code: .unusableDirectory,
            description: "data directory \(path): \(reason); expected a directory concordd can create and write"
        )
    }

    public static func newerSchema(_ path: String, found: String, supported: String) -> StoreError {
        StoreError(
            code: .newerSchema,
            description: "database \(path) was written by a newer Concord (\(found), this build knows up to "
                + "\(supported)); refusing to open it so nothing is overwritten: run the newer concordd or restore a backup"
        )
    }

    public static func corrupt(_ path: String, reason: String) -> StoreError {
        StoreError(code: .corrupt, description: "database \(path) cannot be used: \(reason)")
    }

    /// Whether the error is the operator's to fix in configuration or on disk (exit status 78).
    public var isConfigurationError: Bool { true }
}
