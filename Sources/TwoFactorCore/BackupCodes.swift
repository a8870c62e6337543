import CCrypto

/// The salted slow hash of one backup code, as stored in the secret file, with its tag.
///
/// Serialized as `pbkdf2-sha256$ITERATIONS$SALT_HEX$HASH_HEX$TAG_HEX`. The salt also
/// identifies the code in the state file once it has been used.
///
/// The tag is a short public index: the first 4 bytes of HMAC-SHA256 keyed with the
/// enrollment's TOTP secret over `swift-2fa backup tag ` and the normalized code. A login
/// computes the tag of the typed answer (one cheap HMAC) and runs PBKDF2 only for the stored
/// code with that tag, so a backup-shaped answer costs one slow hash, not one per code.
/// The tags of one set are distinct (see `BackupCodes.generate` and `BackupCodes.hashes`).
/// Revealing a tag tells nothing to someone without the secret; whoever has the secret can
/// log in with TOTP anyway.
///
/// Lines with 4 fields (no tag) were written before tags, by earlier versions (including
/// the OpenSSL build). They still verify, but every unused one is tried for each
/// backup-shaped answer; `swift-2fa-setup backup-codes --regenerate` replaces them with
/// tagged codes (see `SecretRecord.backupCodesNeedRegeneration`).
public struct BackupCodeHash: Equatable, Sendable {
    public let iterations: UInt32
    public let salt: [UInt8]
    public let hash: [UInt8]
    /// The public index (4 bytes); nil on a line written before tags.
    public let tag: [UInt8]?

    static let scheme = "pbkdf2-sha256"
    /// Iterations for new codes: about 10 ms each on a current CPU. Also the cost of the
    /// dummy hash a login computes when no stored code can match (`VerificationPolicy`).
    public static let defaultIterations: UInt32 = 20_000
    /// Upper bound accepted when reading a file, so a crafted file cannot stall a login.
    public static let maximumIterations: UInt32 = 1_000_000
    static let saltLength = 16
    static let hashLength = 32
    static let tagLength = 4
    private static let tagLabel = Array("swift-2fa backup tag ".utf8)
    /// The salt of the dummy hash (its result is never compared with anything).
    private static let dummySalt = [UInt8](repeating: 0, count: saltLength)

    /// Nil when a length or the iteration count is out of range.
    public init?(iterations: UInt32, salt: [UInt8], hash: [UInt8], tag: [UInt8]?) {
        guard iterations > 0, iterations <= Self.maximumIterations,
              salt.count == Self.saltLength, hash.count == Self.hashLength,
              tag == nil || tag?.count == Self.tagLength else { return nil }
        self.iterations = iterations
        self.salt = salt
        self.hash = hash
        self.tag = tag
    }

    /// Hashes a backup code (as typed; it is normalized first) with a fresh random salt,
    /// tagged for the enrollment whose TOTP secret is `secret`.
    public static func make(code: String, secret: [UInt8], iterations: UInt32 = defaultIterations) -> BackupCodeHash? {
        guard let normalized = BackupCodes.normalize(code),
              let tag = tag(normalizedCode: normalized, secret: secret) else { return nil }
        return make(normalized: normalized, tag: tag, iterations: iterations)
    }

    /// Hashes an already normalized code whose tag is known.
    static func make(normalized: String, tag: [UInt8], iterations: UInt32) -> BackupCodeHash? {
        guard let salt = SecureRandom.bytes(saltLength),
              let hash = derive(normalized, salt: salt, iterations: iterations) else { return nil }
        return BackupCodeHash(iterations: iterations, salt: salt, hash: hash, tag: tag)
    }

    /// The tag of a normalized code under `secret`; nil only if the HMAC (GNU Nettle, through CCrypto) fails.
    public static func tag(normalizedCode: String, secret: [UInt8]) -> [UInt8]? {
        var work = VerificationWork()
        return tag(normalizedCode: normalizedCode, secret: secret, work: &work)
    }

    static func tag(normalizedCode: String, secret: [UInt8], work: inout VerificationWork) -> [UInt8]? {
        work.hmacs += 1
        guard let mac = HashAlgorithm.sha256.hmac(key: secret, message: tagLabel + Array(normalizedCode.utf8)),
              mac.count >= tagLength else { return nil }
        return Array(mac.prefix(tagLength))
    }

    /// True when `normalizedCode` hashes to this entry. The final comparison is constant-time.
    public func matches(normalizedCode: String) -> Bool {
        var work = VerificationWork()
        return matches(normalizedCode: normalizedCode, work: &work)
    }

    func matches(normalizedCode: String, work: inout VerificationWork) -> Bool {
        work.slowHashes += 1
        guard let candidate = Self.derive(normalizedCode, salt: salt, iterations: iterations) else { return false }
        return ConstantTime.equal(candidate, hash)
    }

    /// One slow hash of `normalizedCode` (with the default iterations, on a login), compared
    /// with nothing: what a login computes when no stored code can match, so that it costs
    /// what a check does.
    static func dummyCheck(normalizedCode: String, iterations: UInt32, work: inout VerificationWork) {
        work.slowHashes += 1
        _ = derive(normalizedCode, salt: dummySalt, iterations: iterations)
    }

    /// The line form used in the secret file (4 fields when untagged).
    public var serialized: String {
        let base = "\(Self.scheme)$\(iterations)$\(Hex.encode(salt))$\(Hex.encode(hash))"
        guard let tag else { return base }
        return base + "$" + Hex.encode(tag)
    }

    /// Parses the line form, with or without the tag; nil for anything malformed.
    public init?(serialized: Substring) {
        let parts = serialized.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4 || parts.count == 5, parts[0] == Self.scheme,
              parts[1].count <= 7, let iterations = UInt32(parts[1]),
              let salt = Hex.decode(parts[2]), let hash = Hex.decode(parts[3]) else { return nil }
        var tag: [UInt8]?
        if parts.count == 5 {
            guard let decoded = Hex.decode(parts[4]), decoded.count == Self.tagLength else { return nil }
            tag = decoded
        }
        self.init(iterations: iterations, salt: salt, hash: hash, tag: tag)
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

    /// Generates `count` new codes for the enrollment whose TOTP secret is `secret`: the
    /// codes formatted for display (`abcde-fghjk`) and their tagged hashes, in the same
    /// order. A code whose tag is already taken by the set is drawn again, so the tags are
    /// distinct. Nil if the CSPRNG or the HMAC (GNU Nettle) fails.
    public static func generate(count: Int = count, secret: [UInt8],
                                iterations: UInt32 = BackupCodeHash.defaultIterations)
        -> (codes: [String], hashes: [BackupCodeHash])? {
        generate(count: count, secret: secret, iterations: iterations, randomBytes: SecureRandom.bytes)
    }

    /// `generate` with the random source passed in (tests use a scripted one).
    static func generate(count: Int, secret: [UInt8], iterations: UInt32,
                         randomBytes: (Int) -> [UInt8]?) -> (codes: [String], hashes: [BackupCodeHash])? {
        var codes: [String] = []
        var hashes: [BackupCodeHash] = []
        var tags = Set<[UInt8]>()
        // Rejection sampling keeps every letter equally likely.
        let limit = UInt8(256 - 256 % alphabet.count)
        while codes.count < count {
            guard let random = randomBytes(64) else { return nil }
            var letters: [UInt8] = []
            for byte in random where byte < limit && letters.count < Self.letters {
                letters.append(alphabet[Int(byte) % alphabet.count])
            }
            guard letters.count == Self.letters else { continue }
            let normalized = String(decoding: letters, as: UTF8.self)
            guard let tag = BackupCodeHash.tag(normalizedCode: normalized, secret: secret) else { return nil }
            guard tags.insert(tag).inserted else { continue }
            guard let hash = BackupCodeHash.make(normalized: normalized, tag: tag, iterations: iterations) else { return nil }
            codes.append(String(normalized.prefix(5)) + "-" + String(normalized.dropFirst(5)))
            hashes.append(hash)
        }
        return (codes, hashes)
    }

    /// Tagged hashes of existing codes (google-authenticator scratch codes) for the
    /// enrollment whose TOTP secret is `secret`. A code whose tag an earlier code already
    /// has (in particular a repeated code) is dropped, so the tags stay distinct: `kept` are
    /// the codes hashed, as given, and `dropped` counts the others. Nil if a code is not a
    /// valid backup code or the HMAC (GNU Nettle) fails.
    public static func hashes(for codes: [String], secret: [UInt8],
                              iterations: UInt32 = BackupCodeHash.defaultIterations)
        -> (hashes: [BackupCodeHash], kept: [String], dropped: Int)? {
        var hashes: [BackupCodeHash] = []
        var kept: [String] = []
        var tags = Set<[UInt8]>()
        var dropped = 0
        for code in codes {
            guard let normalized = normalize(code),
                  let tag = BackupCodeHash.tag(normalizedCode: normalized, secret: secret) else { return nil }
            guard tags.insert(tag).inserted else {
                dropped += 1
                continue
            }
            guard let hash = BackupCodeHash.make(normalized: normalized, tag: tag, iterations: iterations) else { return nil }
            hashes.append(hash)
            kept.append(code)
        }
        return (hashes, kept, dropped)
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
