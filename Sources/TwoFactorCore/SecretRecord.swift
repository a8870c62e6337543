/// An enrollment as stored in a user's secret file: the OTP secret, how codes are
/// computed, when it was created, and the hashes of the backup codes.
///
/// The file is written only by `swift-2fa-setup`; a login never rewrites it.
/// Format (version 1), one `key value` per line:
///
///     # swift-2fa secret file. Written by swift-2fa-setup; do not edit.
///     version 1
///     secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
///     algorithm SHA1
///     digits 6
///     period 30
///     created 1764456000
///     backup pbkdf2-sha256$20000$<salt hex>$<hash hex>$<tag hex>
///
/// `backup` lines are optional (at most 20); lines without the tag, written before tags,
/// are still read (see `BackupCodeHash`). A pending enrollment adds `pending_until T`.
public struct SecretRecord: Equatable, Sendable {
    public var secret: [UInt8]
    public var parameters: OTPParameters
    /// Unix time of enrollment.
    public var created: Int64
    public var backupCodes: [BackupCodeHash]
    /// Set on a pending enrollment (not yet confirmed): Unix time after which it is void.
    public var pendingUntil: Int64?

    public static let currentVersion = 1
    /// Accepted secret lengths in bytes (80 bits for imported google-authenticator files, up to 1024 bits).
    public static let allowedSecretLengths: ClosedRange<Int> = 10...128
    public static let maximumBackupCodes = 20
    static let kind = "secret file"

    public init(secret: [UInt8], parameters: OTPParameters, created: Int64,
                backupCodes: [BackupCodeHash] = [], pendingUntil: Int64? = nil) {
        self.secret = secret
        self.parameters = parameters
        self.created = created
        self.backupCodes = backupCodes
        self.pendingUntil = pendingUntil
    }

    /// A short, non-secret identifier of this enrollment (secret, parameters and creation
    /// time): 16 hex digits of an HMAC keyed with the secret. The state file records it,
    /// so state left over from another enrollment is recognised (see `UserState.bound(to:)`).
    public var fingerprint: String {
        let message = "swift-2fa enrollment \(parameters.algorithm.rawValue) \(parameters.digits) \(parameters.period) \(created)"
        let mac = HashAlgorithm.sha256.hmac(key: secret, message: Array(message.utf8)) ?? []
        return Hex.encode(Array(mac.prefix(8)))
    }

    /// True when a backup code was stored without a tag (by a version before tags): each such
    /// code costs one slow hash per backup-shaped answer, so `swift-2fa-setup backup-codes
    /// --regenerate` should replace them.
    public var backupCodesNeedRegeneration: Bool {
        backupCodes.contains { $0.tag == nil }
    }

    /// The TOTP generator for this record; nil if its parameters are invalid.
    public var totp: TOTP? { TOTP(secret: secret, parameters: parameters) }

    /// The file text.
    public func serialized() -> String {
        var lines = [
            "# swift-2fa secret file. Written by swift-2fa-setup; do not edit.",
            "version \(Self.currentVersion)",
            "secret \(Base32.encode(secret))",
            "algorithm \(parameters.algorithm.rawValue)",
            "digits \(parameters.digits)",
            "period \(parameters.period)",
            "created \(created)",
        ]
        if let pendingUntil { lines.append("pending_until \(pendingUntil)") }
        for code in backupCodes { lines.append("backup \(code.serialized)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses the file text; a failure names what is wrong, never the secret.
    public static func parse(_ text: String) throws(FileFormatError) -> SecretRecord {
        let lines = try KeyValueLines.parse(text, kind: kind)
        guard lines.version == currentVersion else {
            throw FileFormatError("\(kind) has unsupported version '\(lines.entries.first?.value.prefix(8) ?? "")'")
        }
        try lines.requireKnownKeys(
            ["version", "secret", "algorithm", "digits", "period", "created", "backup", "pending_until"],
            kind: kind, quoteKey: false)
        let secretText = try lines.single("secret", kind: kind)
        guard secretText.utf8.count <= 256, let secret = Base32.decode(String(secretText)),
              allowedSecretLengths.contains(secret.count) else {
            throw FileFormatError("\(kind) has an invalid secret")
        }
        guard let algorithm = HashAlgorithm(rawValue: String(try lines.single("algorithm", kind: kind))) else {
            throw FileFormatError("\(kind) has an unknown algorithm")
        }
        let digits = try lines.integer("digits", in: 6...8, kind: kind)
        let period = try lines.integer("period", in: 15...300, kind: kind)
        let parameters = OTPParameters(algorithm: algorithm, digits: Int(digits), period: Int(period))
        guard parameters.isValid else { throw FileFormatError("\(kind) has invalid digits or period") }
        let created = try lines.integer("created", in: 0...Int64(Int32.max) * 4, kind: kind)
        var pendingUntil: Int64?
        if !lines.values("pending_until").isEmpty {
            pendingUntil = try lines.integer("pending_until", in: 0...Int64(Int32.max) * 4, kind: kind)
        }
        let backupLines = lines.values("backup")
        guard backupLines.count <= maximumBackupCodes else {
            throw FileFormatError("\(kind) has more than \(maximumBackupCodes) backup codes")
        }
        var backupCodes: [BackupCodeHash] = []
        for line in backupLines {
            guard let code = BackupCodeHash(serialized: line) else {
                throw FileFormatError("\(kind) has a malformed backup line")
            }
            backupCodes.append(code)
        }
        return SecretRecord(secret: secret, parameters: parameters, created: created,
                            backupCodes: backupCodes, pendingUntil: pendingUntil)
    }
}
