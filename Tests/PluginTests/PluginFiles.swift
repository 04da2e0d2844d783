import Foundation
import Testing

/// The plugins the loader tests load: the MembershipDues `.so` this build made, and C fixtures compiled from
/// `Tests/Fixtures/plugins/fixture_plugin.c` with what each one claims.
enum PluginFiles {
    /// `libMembershipDues.so`, beside the test bundle in the build's products.
    static var membershipDues: String {
        get throws {
            let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            let candidates = [products, products.deletingLastPathComponent()].map {
                $0.appendingPathComponent("libMembershipDues.so").path
            }
            return try #require(
                candidates.first { FileManager.default.fileExists(atPath: $0) },
                "libMembershipDues.so is built with the tests (swift build --build-tests); looked in \(candidates)")
        }
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Compiles the C fixture with `defines` into `directory/name.so`.
    static func fixture(_ name: String, in directory: URL, defines: [String] = []) throws -> String {
        let output = directory.appendingPathComponent("\(name).so").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["cc", "-shared", "-fPIC", "-Wall", "-Werror"]
            + ["-I", repository.appendingPathComponent("Modules/CConcordPlugin/include").path]
            + defines.map { "-D\($0)" }
            + ["-o", output, repository.appendingPathComponent("Tests/Fixtures/plugins/fixture_plugin.c").path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "cc could not build the fixture \(name)")
        return output
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "concord-plugins-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}
