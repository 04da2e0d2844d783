import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Generates ids for stored entities: random RFC 4122 version 4 UUIDs, as lowercase strings.
///
/// `UUID()` on Linux opens and reads `/dev/urandom` for every id, which costs more than writing the row it
/// names when a bulk import creates hundreds of thousands. This draws random bytes from the kernel 4 KiB at
/// a time (`arc4random_buf`, backed by `getrandom` on Linux) and formats them without `uuidString`'s copies.
public enum EntityID {
    private static let pool = Mutex(RandomPool())

    /// A new random id, such as `"0f3a9c2e-8d41-4b7a-9e12-5c6d7e8f9a0b"`.
    public static func next() -> String {
        var bytes: (UInt64, UInt64) = (0, 0)
        pool.withLock { pool in
            withUnsafeMutableBytes(of: &bytes) { pool.take(into: $0) }
        }
        return withUnsafeMutableBytes(of: &bytes) { raw in
            // Version 4 in the high nibble of byte 6, variant 0b10 in the top bits of byte 8.
            raw[6] = (raw[6] & 0x0F) | 0x40
            raw[8] = (raw[8] & 0x3F) | 0x80
            return format(UnsafeRawBufferPointer(raw))
        }
    }

    /// The 36-character lowercase form of 16 bytes.
    static func format(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: 36) { text in
            var position = 0
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    text[position] = UInt8(ascii: "-")
                    position += 1
                }
                text[position] = hexDigits[Int(byte >> 4)]
                text[position + 1] = hexDigits[Int(byte & 0x0F)]
                position += 2
            }
            return position
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Random bytes fetched in bulk, handed out 16 at a time.
    private struct RandomPool: ~Copyable {
        private var buffer = [UInt8](repeating: 0, count: 4096)
        private var used = 4096

        mutating func take(into target: UnsafeMutableRawBufferPointer) {
            if used + target.count > buffer.count {
                buffer.withUnsafeMutableBytes(Self.fill)
                used = 0
            }
            buffer.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[used..<used + target.count]))
            }
            used += target.count
        }

        private static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
            // glibc 2.36 and later, and Darwin: bytes from the kernel's generator (getrandom on Linux).
            arc4random_buf(buffer.baseAddress!, buffer.count)
        }
    }
}
