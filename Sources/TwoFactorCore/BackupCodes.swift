import CCrypto

/// The salted slow hash of one backup code, as stored in the secret file.
///
/// Serialized as `pbkdf2-sha256$ITERATIONS$SALT_HEX$HASH_HEX`. The salt also
/// identifies the code in the state file once it has been used.
public struct BackupCodeHash: Equatable, Sendable {
    public let iterations: UInt32
    public let salt: [UInt8]
    public let hash: [UInt8]

    static let scheme = "pbkdf2-sha256"
    /// Iterations for new codes: about 10 ms each on a current CPU.
    public static let defaultIterations: UInt32 = 20_000
    /// Upper bound accepted when reading a file, so a crafted file cannot stall a login.
    public static let maximumIterations: UInt32 = 1_000_000
    static let saltLength = 16
    static let hashLength = 32

    public init?(iterations: UInt32, salt: [UInt8], hash: [UInt8]) {
        guard iterations > 0, iterations <= Self.maximumIterations,
              salt.count == Self.saltLength, hash.count == Self.hashLength else { return nil }
        self.iterations = iterations
        self.salt = salt
        self.hash = hash
    }

    /// Hashes a backup code (as typed; it is normalized first) with a fresh random salt.
    public static func make(code: String, iterations: UInt32 = defaultIterations) -> BackupCodeHash? {
        guard let normalized = BackupCodes.normalize(code),
              let salt = SecureRandom.bytes(saltLength),
              let hash = derive(normalized, salt: salt, iterations: iterations) else { return nil }
        return BackupCodeHash(iterations: iterations, salt: salt, hash: hash)
    }

    /// True when `normalizedCode` hashes to this entry. The final comparison is constant-time.
    public func matches(normalizedCode: String) -> Bool {
        guard let candidate = Self.derive(normalizedCode, salt: salt, iterations: iterations) else { return false }
        return ConstantTime.equal(candidate, hash)
    }

    /// The line form used in the secret file.
    public var serialized: String {
        "\(Self.scheme)$\(iterations)$\(Hex.encode(salt))$\(Hex.encode(hash))"
    }

    /// Parses the line form; nil for anything malformed.
    public init?(serialized: Substring) {
        let parts = serialized.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == Self.scheme,
              parts[1].count <= 7, let iterations = UInt32(parts[1]),
              let salt = Hex.decode(parts[2]), let hash = Hex.decode(parts[3]) else { return nil }
        self.init(iterations: iterations, salt: salt, hash: hash)
    }

    private static func derive(_ code: String, salt: [UInt8], iterations: UInt32) -> [UInt8]? {
        let password = Array(code.utf8)
        var out = [UInt8](repeating: 0, count: hashLength)
        let ok = password.withUnsafeBufferPointer { passwordBuffer in
            salt.withUnsafeBufferPointer { saltBuffer in
                out.withUnsafeMutableBufferPointer { outBuffer in
                    s2fa_pbkdf2_sha256(passwordBuffer.baseAddress, passwordBuffer.count,
                                       saltBuffer.baseAddress, saltBuffer.count,
                                       iterations, outBuffer.baseAddress, outBuffer.count)
                }
            }
        }
        return ok == 1 ? out : nil
    }
}

/// One-time backup codes: generation and the canonical form they are hashed in.
///
/// New codes are 10 letters from an alphabet without i, l and o, shown as `abcde-fghjk`
/// (about 45 bits each). Codes imported from google-authenticator are 8 digits. Input is
/// case-insensitive and may contain spaces and dashes.
public enum BackupCodes {
    /// How many codes enrollment creates.
    public static let count = 10
    /// Letters used in new codes.
    public static let alphabet: [UInt8] = Array("abcdefghjkmnpqrstuvwxyz".utf8)
    static let letters = 10
    /// Lengths a normalized backup code may have (8 for imported digit codes, 10 for ours).
    public static let allowedLengths: ClosedRange<Int> = 8...16

    /// Generates `count` new codes, formatted for display (`abcde-fghjk`). Nil if the CSPRNG fails.
    public static func generate(count: Int = count) -> [String]? {
        var codes: [String] = []
        // Rejection sampling keeps every letter equally likely.
        let limit = UInt8(256 - 256 % alphabet.count)
        while codes.count < count {
            guard let randomBytes = SecureRandom.bytes(64) else { return nil }
            var letters: [UInt8] = []
            for byte in randomBytes where byte < limit && letters.count < Self.letters {
                letters.append(alphabet[Int(byte) % alphabet.count])
            }
            guard letters.count == Self.letters else { continue }
            let text = String(decoding: letters, as: UTF8.self)
            codes.append(String(text.prefix(5)) + "-" + String(text.dropFirst(5)))
        }
        return codes
    }

    /// The canonical form of a typed backup code: lower case, without spaces or dashes.
    /// Nil when it cannot be a backup code (wrong length or a character other than a letter or digit).
    public static func normalize(_ typed: String) -> String? {
        var out: [UInt8] = []
        for byte in typed.utf8 {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "\t"):
                continue
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                out.append(byte + 32)
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.append(byte)
            default:
                return nil
            }
            if out.count > allowedLengths.upperBound { return nil }
        }
        guard allowedLengths.contains(out.count) else { return nil }
        return String(decoding: out, as: UTF8.self)
    }
}
