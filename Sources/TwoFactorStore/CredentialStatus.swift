import TwoFactorCore

/// One credential as `status` and `credentials list` report it: never its secret.
public struct CredentialStatus: Equatable, Sendable {
    public let id: Int
    public let label: String
    /// "TOTP" or "HOTP".
    public let kind: String
    public let algorithm: HashAlgorithm
    public let digits: Int
    /// TOTP: seconds per step.
    public let period: Int?
    /// TOTP: the clock offset in steps a resync set.
    public let offset: Int?
    /// HOTP: the next counter a code is expected at.
    public let nextCounter: UInt64?
    /// When it was added (Unix time).
    public let created: Int64
    /// When a code of it was last accepted (Unix time); nil when never (or unknown).
    public let lastUsed: Int64?

    /// A status from its parts (the fleet's one credential).
    public init(id: Int, label: String, kind: String, algorithm: HashAlgorithm, digits: Int, period: Int?, offset: Int?,
                nextCounter: UInt64?, created: Int64, lastUsed: Int64?) {
        self.id = id
        self.label = label
        self.kind = kind
        self.algorithm = algorithm
        self.digits = digits
        self.period = period
        self.offset = offset
        self.nextCounter = nextCounter
        self.created = created
        self.lastUsed = lastUsed
    }

    /// `credential` with what the state records of it.
    public init(_ credential: Credential, state: CredentialState) {
        var period: Int?
        var offset: Int?
        var nextCounter: UInt64?
        switch credential.kind {
        case .totp(let seconds, let steps):
            period = seconds
            offset = steps
        case .hotp(let counter):
            nextCounter = counter
            if let last = state.lastCounter, last >= counter { nextCounter = last == UInt64.max ? last : last + 1 }
        }
        self.init(id: credential.id, label: credential.label, kind: credential.kindName, algorithm: credential.algorithm,
                  digits: credential.digits, period: period, offset: offset, nextCounter: nextCounter,
                  created: credential.created, lastUsed: state.lastUsed)
    }
}
