import TwoFactorStore

/// One credential in `status --json` and `credentials list --json`; never its secret.
struct CredentialOutput: Encodable {
    let id: Int
    let label: String
    /// `TOTP` or `HOTP`.
    let kind: String
    let algorithm: String
    let digits: Int
    /// TOTP only (else null): seconds per code, and the clock offset in steps a resync set.
    let period: Int?
    let offset: Int?
    /// HOTP only (else null): the next counter a code is expected at.
    let nextCounter: UInt64?
    let created: String
    let lastUsed: String?

    init(_ status: CredentialStatus) {
        id = status.id
        label = status.label
        kind = status.kind
        algorithm = status.algorithm.rawValue
        digits = status.digits
        period = status.period
        offset = status.offset
        nextCounter = status.nextCounter
        created = Output.isoDate(status.created)
        lastUsed = status.lastUsed.map(Output.isoDate)
    }

    enum CodingKeys: String, CodingKey {
        case id, label, kind, algorithm, digits, period, offset, created
        case nextCounter = "next_counter"
        case lastUsed = "last_used"
    }

    /// Every key is present; absent values are `null`.
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(label, forKey: .label)
        try container.encode(kind, forKey: .kind)
        try container.encode(algorithm, forKey: .algorithm)
        try container.encode(digits, forKey: .digits)
        try container.encode(period, forKey: .period)
        try container.encode(offset, forKey: .offset)
        try container.encode(nextCounter, forKey: .nextCounter)
        try container.encode(created, forKey: .created)
        try container.encode(lastUsed, forKey: .lastUsed)
    }

    /// One line of text: `2  yubikey-5  HOTP SHA1, 8 digits, next counter 17  last used 2026-…`.
    var line: String {
        var codes = "\(kind) \(algorithm), \(digits) digits"
        if let period { codes += ", every \(period) s" }
        if let offset, offset != 0 { codes += ", clock offset \(offset) steps" }
        if let nextCounter { codes += ", next counter \(nextCounter)" }
        return "\(id)  \(label)  \(codes)  added \(created)  last used \(lastUsed ?? "never")"
    }
}
