import CZeroMQ

/// A CURVE key pair in ZeroMQ's Z85 text form (40 characters each).
public struct ZMQCurveKeyPair: Sendable, Equatable {
    public let publicKey: String
    public let secretKey: String

    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Generates a new key pair (`zmq_curve_keypair`).
    public static func generate() throws -> ZMQCurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw ZMQError.last("zmq_curve_keypair") }
        return ZMQCurveKeyPair(publicKey: String(zmqText: publicKey), secretKey: String(zmqText: secretKey))
    }

    /// The public key that belongs to a Z85 secret key (`zmq_curve_public`).
    public static func publicKey(forSecret secretKey: String) throws -> String {
        var publicKey = [CChar](repeating: 0, count: 41)
        guard isZ85Key(secretKey), zmq_curve_public(&publicKey, secretKey) == 0 else {
            throw ZMQError(code: EINVAL, operation: "zmq_curve_public: expected a 40-character Z85 secret key")
        }
        return String(zmqText: publicKey)
    }

    /// Whether `key` has the form of a Z85-encoded 32-byte key.
    public static func isZ85Key(_ key: String) -> Bool {
        let alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")
        return key.count == 40 && key.allSatisfy { alphabet.contains($0) }
    }
}

extension String {
    /// Text from a NUL-terminated C buffer.
    init(zmqText buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension ZMQCurveKeyPair {
    /// Encodes a 32-byte binary key in Z85 (`zmq_z85_encode`).
    public static func z85(_ key: [UInt8]) -> String {
        var text = [CChar](repeating: 0, count: key.count * 5 / 4 + 1)
        _ = key.withUnsafeBufferPointer { zmq_z85_encode(&text, $0.baseAddress, $0.count) }
        return String(zmqText: text)
    }
}
