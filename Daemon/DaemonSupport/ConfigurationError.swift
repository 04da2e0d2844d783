/// A configuration the daemon cannot start with: one line naming the key or path and what is expected.
///
/// `concordd` prints it and exits with status 78 (`EX_CONFIG`), which systemd units can treat as final.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// The exit status for configuration errors (`EX_CONFIG` from sysexits.h).
    public static let exitStatus: Int32 = 78
}
