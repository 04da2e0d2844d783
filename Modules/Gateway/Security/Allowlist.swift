import Foundation
import ZeroMQ

/// Who may connect when CURVE is on: one client public key a line, with its role and a name.
/// Lines starting with `#` are comments (`#` is also a Z85 character, so there are no trailing comments).
///
/// ```
/// # public key (Z85, 40 characters)          role       name
/// rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7   operator   secretariat-laptop
/// ```
struct Allowlist: Sendable, Equatable {
    /// What a key may do; each role includes the ones before it, except that only `module` and `admin` may
    /// attach an external module (`module` otherwise reads, as `reader` does).
    enum Role: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
        case subscriber, reader, module, `operator`, admin

        static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }

        var description: String {
            switch self {
            case .subscriber: "subscriber"
            case .reader: "reader"
            case .module: "module"
            case .operator: "operator"
            case .admin: "admin"
            }
        }

        init?(name: String) {
            guard let role = Role.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
            self = role
        }
    }

    struct Entry: Sendable, Equatable {
        var publicKey: String
        var role: Role
        var name: String
    }

    var entries: [String: Entry]

    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    static func load(path: String) throws -> Allowlist {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ParseError(description: "allowlist \(path): cannot be read (\(error.localizedDescription))")
        }
        return try parse(text, path: path)
    }

    static func parse(_ text: String, path: String) throws -> Allowlist {
        var entries: [String: Entry] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            let where_ = "allowlist \(path):\(index + 1)"
            guard words.count >= 3 else {
                throw ParseError(description: "\(where_): expected <public key> <role> <name>, got \"\(line)\"")
            }
            let key = String(words[0])
            guard ZMQCurveKeyPair.isZ85Key(key) else {
                throw ParseError(description: "\(where_): \"\(key)\" is not a 40-character Z85 public key")
            }
            guard let role = Role(name: String(words[1])) else {
                throw ParseError(
                    description:
                        "\(where_): role \"\(words[1])\": expected one of subscriber, reader, module, operator, admin"
                )
            }
            entries[key] = Entry(publicKey: key, role: role, name: words[2...].joined(separator: " "))
        }
        return Allowlist(entries: entries)
    }
}
