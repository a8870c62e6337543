/// One authenticator of a user: an app's TOTP secret, or a hardware token's HOTP or TOTP seed.
///
/// A user holds 1 to `maximumCount` of them in one `SecretRecord`. Replay protection is per
/// credential (`CredentialState`); throttle, lock and backup codes are per person (`UserState`).
public struct Credential: Equatable, Sendable {
    /// How the credential counts its codes.
    public enum Kind: Equatable, Sendable {
        /// Time-based (RFC 6238): `period` seconds per step, and `offset` steps added to the
        /// server's step (the token's clock drift, set by `resync`; within `offsetRange`).
        case totp(period: Int, offset: Int)
        /// Counter-based (RFC 4226): codes from `counter` on are accepted (the state file
        /// keeps the counter after the last accepted code, which wins when it is higher).
        case hotp(counter: UInt64)
    }

    /// The number the user and the admin name it by (`--credential ID`), unique per user.
    public var id: Int
    /// A name for people and the log (`credential="yubikey-5"`), unique per user; see `isValidLabel`.
    public var label: String
    /// TOTP with its period and offset, or HOTP with its counter.
    public var kind: Kind
    /// The HMAC hash: SHA1, SHA256 or SHA512.
    public var algorithm: HashAlgorithm
    /// Digits per code: 6, 7 or 8.
    public var digits: Int
    /// The shared secret (the seed of a hardware token).
    public var secret: [UInt8]
    /// When the credential was added (Unix time).
    public var created: Int64

    /// Most credentials a user holds. Every code check costs what this many would
    /// (`CodeCheck`), so timing does not tell how many a user has.
    public static let maximumCount = 8
    /// The accepted secret lengths in bytes: 80 bits (imported google-authenticator files) to 1024 bits.
    public static let allowedSecretLengths: ClosedRange<Int> = 10...128
    /// Digits per code: those of `HOTP`.
    public static let allowedDigits = HOTP.allowedDigits
    /// The clock offset a TOTP credential may carry, in steps.
    public static let offsetRange: ClosedRange<Int> = -10...10
    /// Longest label, in bytes.
    public static let maximumLabelLength = 32
    /// The label of the credential of an enrollment made before credentials had labels.
    public static let defaultLabel = "default"

    /// A credential from its parts (`isValid` says whether they are in range).
    public init(id: Int, label: String, kind: Kind, algorithm: HashAlgorithm, digits: Int, secret: [UInt8],
                created: Int64) {
        self.id = id
        self.label = label
        self.kind = kind
        self.algorithm = algorithm
        self.digits = digits
        self.secret = secret
        self.created = created
    }

    /// A TOTP credential with `parameters` and no offset.
    public init(id: Int, label: String, secret: [UInt8], parameters: OTPParameters, created: Int64) {
        self.init(id: id, label: label, kind: .totp(period: parameters.period, offset: 0),
                  algorithm: parameters.algorithm, digits: parameters.digits, secret: secret, created: created)
    }

    /// 1 to 32 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit: safe in a log line,
    /// a file and a command line as it is.
    public static func isValidLabel(_ label: String) -> Bool {
        let bytes = Array(label.utf8)
        guard let first = bytes.first, bytes.count <= maximumLabelLength, isAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    /// True for a TOTP credential.
    public var isTOTP: Bool {
        if case .totp = kind { return true }
        return false
    }

    /// The TOTP parameters (algorithm, digits, period); nil for HOTP.
    public var totpParameters: OTPParameters? {
        guard case .totp(let period, _) = kind else { return nil }
        return OTPParameters(algorithm: algorithm, digits: digits, period: period)
    }

    /// "TOTP" or "HOTP".
    public var kindName: String { isTOTP ? "TOTP" : "HOTP" }

    /// True when every field is within its range and the label is valid.
    public var isValid: Bool {
        guard id >= 1, id <= 9999, Self.isValidLabel(label), Self.allowedDigits.contains(digits),
              Self.allowedSecretLengths.contains(secret.count), created >= 0 else { return false }
        switch kind {
        case .totp(let period, let offset):
            return OTPParameters.allowedPeriods.contains(period) && Self.offsetRange.contains(offset)
        case .hotp:
            return true
        }
    }

    /// A short, non-secret identifier of this credential's secret and parameters: 16 hex
    /// digits of an HMAC keyed with the secret. The state file keys its replay state by it, so
    /// state left from a removed or replaced credential never applies to a new one. A TOTP
    /// credential's fingerprint is the one a version 1 enrollment with the same secret,
    /// parameters and creation time had, so version 1 state carries over.
    public var fingerprint: String {
        let message: String
        switch kind {
        case .totp(let period, _):
            message = "swift-2fa enrollment \(algorithm.rawValue) \(digits) \(period) \(created)"
        case .hotp:
            message = "swift-2fa hotp \(algorithm.rawValue) \(digits) \(created)"
        }
        let mac = HashAlgorithm.sha256.hmac(key: secret, message: Array(message.utf8)) ?? []
        return Hex.encode(Array(mac.prefix(8)))
    }

    /// The code of one counter value (a time step for TOTP), `digits` digits with leading zeros.
    public func code(forCounter counter: UInt64) -> String? {
        HOTP.code(secret: secret, counter: counter, digits: digits, algorithm: algorithm)
    }

    /// The TOTP step at `time` as this credential counts it (the server's step plus the
    /// offset); nil for HOTP, before 1970, or when the offset would leave the steps.
    public func step(at time: Int64) -> UInt64? {
        guard case .totp(let period, let offset) = kind, time >= 0, period > 0 else { return nil }
        let plain = UInt64(time) / UInt64(period)
        if offset >= 0 { return plain.addingReportingOverflow(UInt64(offset)).overflow ? nil : plain + UInt64(offset) }
        let back = UInt64(offset.magnitude)
        return plain >= back ? plain - back : nil
    }
}
