import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file written atomically: into a temporary file in the same folder, then fsync, rename over the final name and
/// fsync of the folder, so a reader or a crash sees the old file or the whole new one, never half of it.
///
/// Writes are buffered (64 KiB) and digested with SHA-256 as they go, so a large export streams through a small
/// buffer and is read back by nobody.
final class OutputFile {
    let name: String
    private let folder: URL
    private let temporary: URL
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private var hasher = SHA256()
    private(set) var bytes = 0

    private static let capacity = 1 << 16

    /// Opens `folder/.name.tmp` for writing.
    init(name: String, in folder: URL) throws {
        self.name = name
        self.folder = folder
        temporary = folder.appendingPathComponent(".\(name).tmp")
        descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.failure("cannot create \(temporary.path)") }
        buffer.reserveCapacity(Self.capacity)
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
            unlink(temporary.path)
        }
    }

    func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write($0) }
    }

    func write(_ text: Substring) throws {
        var text = text
        try text.withUTF8 { try write($0) }
    }

    func write(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        if buffer.count + bytes.count > Self.capacity { try flush() }
        if bytes.count > Self.capacity {
            try put(UnsafeRawBufferPointer(bytes))
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    func write(_ data: Data) throws {
        try data.withUnsafeBytes { raw in try write(raw.bindMemory(to: UInt8.self)) }
    }

    /// Flushes, fsyncs, renames over the final name and fsyncs the folder; returns the file's size and digest.
    func commit() throws -> ExportFileDigest {
        try flush()
        guard fsync(descriptor) == 0 else { throw Self.failure("cannot fsync \(temporary.path)") }
        close(descriptor)
        descriptor = -1
        let final = folder.appendingPathComponent(name)
        guard rename(temporary.path, final.path) == 0 else {
            unlink(temporary.path)
            throw Self.failure("cannot rename \(temporary.path) to \(final.path)")
        }
        try Self.syncFolder(folder)
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return ExportFileDigest(name: name, bytes: bytes, sha256: digest)
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try put($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func put(_ raw: UnsafeRawBufferPointer) throws {
        hasher.update(bufferPointer: raw)
        bytes += raw.count
        var offset = 0
        while offset < raw.count {
            let written = systemWrite(descriptor, raw.baseAddress! + offset, raw.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw Self.failure("cannot write \(temporary.path)")
            }
            offset += written
        }
    }

    /// Makes a rename or a new entry in `folder` durable.
    static func syncFolder(_ folder: URL) throws {
        let handle = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard handle >= 0 else { throw failure("cannot open \(folder.path)") }
        defer { close(handle) }
        guard fsync(handle) == 0 else { throw failure("cannot fsync \(folder.path)") }
    }

    static func failure(_ what: String) -> ExportWriteError {
        ExportWriteError(message: "\(what): \(String(cString: strerror(errno)))")
    }
}

/// A written file's name, size and SHA-256 (lowercase hex).
struct ExportFileDigest: Sendable, Equatable {
    var name: String
    var bytes: Int
    var sha256: String
}

/// A file of an export could not be written (a full disk, a folder that went away).
struct ExportWriteError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The C `write`, which `OutputFile.write` hides inside the class.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
