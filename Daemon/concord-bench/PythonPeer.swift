import Foundation

/// A Python process that answers one JSON line for each line it is sent: the peer side of a benchmark that
/// compares with a Python library in the same run.
final class PythonPeer {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffered = Data()
    private let hint: String

    /// Starts `python3` with `arguments` (a script path or `-c` and a script, then its arguments); `hint` says
    /// what to install when it fails.
    init(arguments: [String], hint: String) throws {
        self.hint = hint
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    /// The next JSON object the peer prints.
    func read() throws -> [String: Any] {
        while true {
            if let newline = buffered.firstIndex(of: 10) {
                let line = Data(buffered[buffered.startIndex..<newline])
                buffered = Data(buffered[(newline + 1)...])
                guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
                    throw failure()
                }
                return object
            }
            let more = output.fileHandleForReading.availableData
            guard !more.isEmpty else { throw failure() }
            buffered += more
        }
    }

    /// Asks for one more answer.
    func ask() throws -> [String: Any] {
        input.fileHandleForWriting.write(Data("go\n".utf8))
        return try read()
    }

    func close() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    func failure() -> Failure {
        Failure(description: "the Python peer failed; \(hint)")
    }

    /// The path of a peer script in `peers/`, beside this file.
    static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("peers/\(name)").path
    }
}
