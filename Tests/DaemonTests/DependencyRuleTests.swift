import Foundation
import Testing

/// ARCHITECTURE.md: a domain module depends on ConcordKit and Contracts only, never on another module,
/// Bus or Gateway. Read from the manifest as SwiftPM sees it.
@Suite struct DependencyRuleTests {
    static let infrastructure: Set<String> = [
        "ConcordKit", "Contracts", "ConcordTesting", "Bus", "Gateway", "ZeroMQ", "CZeroMQ", "CConcordPlugin",
    ]

    struct Violation: CustomStringConvertible {
        let target: String
        let dependency: String
        var description: String { "\(target) -> \(dependency)" }
    }

    static func violations(in manifest: [String: Any]) -> [Violation] {
        let targets = manifest["targets"] as? [[String: Any]] ?? []
        let names = Set(targets.compactMap { $0["name"] as? String })
        var violations: [Violation] = []
        for target in targets {
            guard let name = target["name"] as? String, let path = target["path"] as? String,
                path.hasPrefix("Modules/") || path.hasPrefix("Plugins/"), !infrastructure.contains(name),
                target["type"] as? String != "test"
            else { continue }
            for dependency in target["dependencies"] as? [[String: Any]] ?? [] {
                let named = (dependency["byName"] ?? dependency["target"]) as? [Any]
                guard let dependencyName = named?.first as? String else { continue }
                if names.contains(dependencyName), !["ConcordKit", "Contracts"].contains(dependencyName) {
                    violations.append(Violation(target: name, dependency: dependencyName))
                }
            }
        }
        return violations
    }

    @Test func domainModulesDependOnConcordKitAndContractsOnly() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "dump-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // A scratch path of its own, so it does not wait for the lock of the build running these tests.
        process.arguments = [
            "swift", "package", "--package-path", Build.packageRoot.path, "--scratch-path", scratch.path,
            "dump-package",
        ]
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let targets = (manifest["targets"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(targets.contains("ConcordKit") && targets.contains("Bus"), "the dump lists no targets")
        let violations = Self.violations(in: manifest)
        #expect(violations.isEmpty, "domain modules must not depend on \(violations)")
    }

    @Test func theRuleCatchesAModuleThatImportsTheBus() {
        let manifest: [String: Any] = [
            "targets": [
                ["name": "Bus", "path": "Modules/Bus", "type": "regular", "dependencies": []],
                ["name": "Contracts", "path": "Modules/Contracts", "type": "regular", "dependencies": []],
                [
                    "name": "Registry", "path": "Modules/Registry", "type": "regular",
                    "dependencies": [["byName": ["Contracts", NSNull()]], ["byName": ["Bus", NSNull()]]],
                ],
                [
                    "name": "Matching", "path": "Modules/Matching", "type": "regular",
                    "dependencies": [["target": ["Registry", NSNull()]]],
                ],
                [
                    "name": "Dues", "path": "Plugins/Dues", "type": "regular",
                    "dependencies": [["byName": ["ConcordKit", NSNull()]], ["byName": ["Registry", NSNull()]]],
                ],
            ]
        ]
        #expect(
            Self.violations(in: manifest).map(\.description) == [
                "Registry -> Bus", "Matching -> Registry", "Dues -> Registry",
            ])
    }
}
