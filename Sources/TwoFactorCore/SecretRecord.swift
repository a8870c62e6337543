/// An enrollment as stored in a user's secret file: the user's credentials, when the
/// enrollment was made, and the hashes of the backup codes with the key of their tags.
///
/// The file is written only by `swift-2fa-setup`; a login never rewrites it.
/// Format (version 2), one `key value` per line:
///
///     # swift-2fa secret file. Written by swift-2fa-setup; do not edit.
///     version 2
///     created 1764456000
///     backup_key <base32 key of the backup codes' tags>
///     credential id=1 label=phone kind=totp algorithm=SHA1 digits=6 period=30 offset=0 created=1764456000 secret=<base32>
///     credential id=2 label=yubikey-5 kind=hotp algorithm=SHA1 digits=8 counter=0 created=1764457000 secret=<base32>
///     backup pbkdf2-sha256$20000$<salt hex>$<hash hex>$<tag hex>
///
/// 1 to `Credential.maximumCount` credential lines; `backup` lines are optional (at most 20;
/// lines without the tag, written before tags, are still read: see `BackupCodeHash`). A
/// pending enrollment adds `pending_until T`, and `pending_add 1` when its credentials are to
/// be added to the active enrollment rather than replace it.
///
/// Version 1 files (one TOTP secret: `secret`, `algorithm`, `digits`, `period`, `created`)
/// are read as one credential labelled `default`, whose secret also keys the backup tags,
/// and written as version 2 by the next change.
public struct SecretRecord: Equatable, Sendable {
    /// At least one; ids and labels unique.
    public var credentials: [Credential]
    /// Unix time of enrollment.
    public var created: Int64
    /// The key of the backup codes' tags (`BackupCodeHash.tag`).
    public var backupKey: [UInt8]
    /// The hashes of the backup codes (at most `maximumBackupCodes`).
    public var backupCodes: [BackupCodeHash]
    /// Set on a pending enrollment (not yet confirmed): Unix time after which it is void.
    public var pendingUntil: Int64?
    /// On a pending enrollment: its credentials join the active enrollment when confirmed.
    public var addsToEnrollment: Bool

    public static let currentVersion = 2
    public static let maximumBackupCodes = 20
    static let kind = "secret file"

    /// A record from its parts.
    public init(credentials: [Credential], created: Int64, backupKey: [UInt8], backupCodes: [BackupCodeHash] = [],
                pendingUntil: Int64? = nil, addsToEnrollment: Bool = false) {
        self.credentials = credentials
        self.created = created
        self.backupKey = backupKey
        self.backupCodes = backupCodes
        self.pendingUntil = pendingUntil
        self.addsToEnrollment = addsToEnrollment
    }

    /// One TOTP credential (id 1, `Credential.defaultLabel`) whose secret also keys the backup tags.
    public init(secret: [UInt8], parameters: OTPParameters, created: Int64,
                backupCodes: [BackupCodeHash] = [], pendingUntil: Int64? = nil) {
        self.init(credentials: [Credential(id: 1, label: Credential.defaultLabel, secret: secret,
                                           parameters: parameters, created: created)],
                  created: created, backupKey: secret, backupCodes: backupCodes, pendingUntil: pendingUntil)
    }

    /// True when a backup code was stored without a tag (by a version before tags): each such
    /// code costs one slow hash per backup-shaped answer, so `swift-2fa-setup backup-codes
    /// --regenerate` should replace them.
    public var backupCodesNeedRegeneration: Bool {
        backupCodes.contains { $0.tag == nil }
    }

    /// The credential with this id, or else with this label.
    public func credential(named name: String) -> Credential? {
        if let id = Int(name), let found = credentials.first(where: { $0.id == id }) { return found }
        return credentials.first { $0.label == name }
    }

    /// The id for a credential added next: one more than the highest.
    public var nextCredentialID: Int { (credentials.map { $0.id }.max() ?? 0) + 1 }

    /// The number of digits a prompt or a `split_answer` split expects: the first
    /// credential's (nil without credentials).
    public var promptDigits: Int? { credentials.first?.digits }

    /// The file text.
    public func serialized() -> String {
        var lines = [
            "# swift-2fa secret file. Written by swift-2fa-setup; do not edit.",
            "version \(Self.currentVersion)",
            "created \(created)",
            "backup_key \(Base32.encode(backupKey))",
        ]
        for credential in credentials {
            var line = "credential id=\(credential.id) label=\(credential.label) kind=\(credential.kindName.lowercased())"
                + " algorithm=\(credential.algorithm.rawValue) digits=\(credential.digits)"
            switch credential.kind {
            case .totp(let period, let offset): line += " period=\(period) offset=\(offset)"
            case .hotp(let counter): line += " counter=\(counter)"
            }
            line += " created=\(credential.created) secret=\(Base32.encode(credential.secret))"
            lines.append(line)
        }
        if let pendingUntil { lines.append("pending_until \(pendingUntil)") }
        if addsToEnrollment { lines.append("pending_add 1") }
        for code in backupCodes { lines.append("backup \(code.serialized)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses the file text (version 1 or 2); a failure names what is wrong, never the secret.
    public static func parse(_ text: String) throws(FileFormatError) -> SecretRecord {
        let lines = try KeyValueLines.parse(text, kind: kind)
        var record: SecretRecord
        switch lines.version {
        case 1: record = try parseVersion1(lines)
        case 2: record = try parseVersion2(lines)
        default:
            throw FileFormatError("\(kind) has unsupported version '\(lines.entries.first?.value.prefix(8) ?? "")'")
        }
        if !lines.values("pending_until").isEmpty {
            record.pendingUntil = try lines.integer("pending_until", in: timeRange, kind: kind)
        }
        let backupLines = lines.values("backup")
        guard backupLines.count <= maximumBackupCodes else {
            throw FileFormatError("\(kind) has more than \(maximumBackupCodes) backup codes")
        }
        for line in backupLines {
            guard let code = BackupCodeHash(serialized: line) else {
                throw FileFormatError("\(kind) has a malformed backup line")
            }
            record.backupCodes.append(code)
        }
        return record
    }

    /// The Unix times a file holds.
    static let timeRange: ClosedRange<Int64> = 0...Int64(Int32.max) * 4

    private static func parseVersion2(_ lines: KeyValueLines) throws(FileFormatError) -> SecretRecord {
        try lines.requireKnownKeys(["version", "created", "backup_key", "credential", "backup", "pending_until", "pending_add"],
                                   kind: kind, quoteKey: false)
        let created = try lines.integer("created", in: timeRange, kind: kind)
        let keyText = try lines.single("backup_key", kind: kind)
        guard keyText.utf8.count <= 256, let backupKey = Base32.decode(String(keyText)),
              Credential.allowedSecretLengths.contains(backupKey.count) else {
            throw FileFormatError("\(kind) has an invalid backup_key")
        }
        let credentialLines = lines.values("credential")
        guard !credentialLines.isEmpty else { throw FileFormatError("\(kind) has no credential line") }
        guard credentialLines.count <= Credential.maximumCount else {
            throw FileFormatError("\(kind) has more than \(Credential.maximumCount) credentials")
        }
        var credentials: [Credential] = []
        for (index, line) in credentialLines.enumerated() {
            let credential = try CredentialLine.parse(line, position: index + 1, kind: kind)
            guard !credentials.contains(where: { $0.id == credential.id || $0.label == credential.label }) else {
                throw FileFormatError("\(kind) credential \(index + 1) repeats the id or label of another")
            }
            credentials.append(credential)
        }
        var addsToEnrollment = false
        if !lines.values("pending_add").isEmpty {
            addsToEnrollment = try lines.integer("pending_add", in: 0...1, kind: kind) == 1
        }
        return SecretRecord(credentials: credentials, created: created, backupKey: backupKey,
                            addsToEnrollment: addsToEnrollment)
    }

    private static func parseVersion1(_ lines: KeyValueLines) throws(FileFormatError) -> SecretRecord {
        try lines.requireKnownKeys(
            ["version", "secret", "algorithm", "digits", "period", "created", "backup", "pending_until"],
            kind: kind, quoteKey: false)
        let secretText = try lines.single("secret", kind: kind)
        guard secretText.utf8.count <= 256, let secret = Base32.decode(String(secretText)),
              Credential.allowedSecretLengths.contains(secret.count) else {
            throw FileFormatError("\(kind) has an invalid secret")
        }
        guard let algorithm = HashAlgorithm(rawValue: String(try lines.single("algorithm", kind: kind))) else {
            throw FileFormatError("\(kind) has an unknown algorithm")
        }
        let digits = try lines.integer("digits", in: 6...8, kind: kind)
        let period = try lines.integer("period", in: 15...300, kind: kind)
        let parameters = OTPParameters(algorithm: algorithm, digits: Int(digits), period: Int(period))
        guard parameters.isValid else { throw FileFormatError("\(kind) has invalid digits or period") }
        let created = try lines.integer("created", in: timeRange, kind: kind)
        return SecretRecord(secret: secret, parameters: parameters, created: created)
    }
}

/// A `credential` line of a version 2 secret file: `key=value` fields separated by spaces.
enum CredentialLine {
    static func parse(_ line: Substring, position: Int, kind: String) throws(FileFormatError) -> Credential {
        func failure(_ what: String) -> FileFormatError { FileFormatError("\(kind) credential \(position) \(what)") }
        var fields: [Substring: Substring] = [:]
        for token in line.split(separator: " ") {
            guard let equals = token.utf8.firstIndex(of: UInt8(ascii: "=")) else { throw failure("has a field without '='") }
            let key = token[token.startIndex..<equals]
            guard fields[key] == nil else { throw failure("repeats a field") }
            fields[key] = token[token.utf8.index(after: equals)...]
        }
        let common: Set<Substring> = ["id", "label", "kind", "algorithm", "digits", "created", "secret"]
        func number<Value: FixedWidthInteger>(_ key: Substring, _ range: ClosedRange<Value>) throws(FileFormatError) -> Value {
            guard let text = fields[key] else { throw failure("has no \(key)") }
            guard text.utf8.count <= 20, let value = Value(text), range.contains(value) else { throw failure("has an invalid \(key)") }
            return value
        }
        guard let label = fields["label"], Credential.isValidLabel(String(label)) else { throw failure("has an invalid label") }
        guard let algorithmText = fields["algorithm"], let algorithm = HashAlgorithm(rawValue: String(algorithmText)) else {
            throw failure("has an unknown algorithm")
        }
        guard let secretText = fields["secret"], secretText.utf8.count <= 256, let secret = Base32.decode(String(secretText)),
              Credential.allowedSecretLengths.contains(secret.count) else {
            throw failure("has an invalid secret")
        }
        let credentialKind: Credential.Kind
        let extra: Set<Substring>
        switch fields["kind"] {
        case "totp":
            credentialKind = .totp(period: try number("period", OTPParameters.allowedPeriods),
                                   offset: try number("offset", Credential.offsetRange))
            extra = ["period", "offset"]
        case "hotp":
            credentialKind = .hotp(counter: try number("counter", UInt64.min...UInt64.max))
            extra = ["counter"]
        default:
            throw failure("has an unknown kind")
        }
        guard Set(fields.keys).isSubset(of: common.union(extra)) else { throw failure("has an unknown field") }
        let credential = Credential(id: try number("id", 1...9999), label: String(label), kind: credentialKind,
                                    algorithm: algorithm, digits: try number("digits", Credential.allowedDigits),
                                    secret: secret, created: try number("created", SecretRecord.timeRange))
        guard credential.isValid else { throw failure("is invalid") }
        return credential
    }
}
