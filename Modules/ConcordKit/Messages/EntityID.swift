import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Generates ids for stored entities: time-ordered RFC 9562 version 7 UUIDs, as lowercase strings.
///
/// The first 48 bits are the Unix time in milliseconds and the next 12 a counter within the millisecond
/// (RFC 9562, section 6.2, method 1), so the ids one process makes sort in the order they were made. A
/// table keyed by them grows at its end: a bulk import of 250 000 actors appends to the primary-key index
/// instead of writing all over it. The last 62 bits are random.
///
/// `UUID()` on Linux opens and reads `/dev/urandom` for every id, which costs more than writing the row it
/// names when a bulk import creates hundreds of thousands. This draws random bytes from the kernel 4 KiB at
/// a time (`arc4random_buf`, backed by `getrandom` on Linux) and formats them without `uuidString`'s copies.
public enum EntityID {
    private static let generator = Mutex(Generator())

    /// A new id, such as `"019aa6f2-3c1e-7a41-9e12-5c6d7e8f9a0b"`; later than every id made before it here.
    public static func next() -> String {
        generator.withLock { $0.next(now: currentMilliseconds()) }
    }

    private static func currentMilliseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(max(0, time.tv_sec)) * 1000 + UInt64(max(0, time.tv_nsec)) / 1_000_000
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

    /// Makes ids: random bytes fetched in bulk and handed out 16 at a time, and the time and counter of the
    /// last id. `next()` shares one; a test can run its own on a clock of its choosing.
    struct Generator: ~Copyable {
        private var buffer = [UInt8](repeating: 0, count: 4096)
        private var used = 4096
        private var millisecond: UInt64 = 0
        private var counter: UInt16 = 0

        /// The id made at `now`, in milliseconds since 1970.
        mutating func next(now: UInt64) -> String {
            var bytes: (UInt64, UInt64) = (0, 0)
            withUnsafeMutableBytes(of: &bytes) { take(into: $0) }
            let (millisecond, counter) = tick(now: now, random: UInt16(truncatingIfNeeded: bytes.0))
            return withUnsafeMutableBytes(of: &bytes) { raw in
                for index in 0..<6 { raw[index] = UInt8(truncatingIfNeeded: millisecond >> (40 - 8 * UInt64(index))) }
                // Version 7 in the high nibble of byte 6, above the counter's 12 bits; variant 0b10 atop byte 8.
                raw[6] = 0x70 | UInt8(truncatingIfNeeded: counter >> 8)
                raw[7] = UInt8(truncatingIfNeeded: counter)
                raw[8] = (raw[8] & 0x3F) | 0x80
                return format(UnsafeRawBufferPointer(raw))
            }
        }

        /// The millisecond and counter of the next id: a new millisecond starts the counter at a random value
        /// in its lower half (so it rarely runs out); a clock that stands still or steps back keeps the last
        /// millisecond and counts on, and moves on to the next millisecond when the 12 bits are used up.
        private mutating func tick(now: UInt64, random: UInt16) -> (UInt64, UInt16) {
            if now > millisecond {
                millisecond = now
                counter = random & 0x7FF
            } else if counter < 0xFFF {
                counter += 1
            } else {
                millisecond += 1
                counter = random & 0x7FF
            }
            return (millisecond, counter)
        }

        private mutating func take(into target: UnsafeMutableRawBufferPointer) {
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
