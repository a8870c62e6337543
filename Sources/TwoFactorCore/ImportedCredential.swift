/// One key read from a file of another tool, before it becomes a credential.
///
/// The importers (`OATHUsersFile`, `PSKCFile`) produce these; the command maps each to a
/// credential of the user it belongs to.
public struct ImportedCredential: Equatable, Sendable {
    /// How codes are counted.
    public enum Kind: Equatable, Sendable {
        /// Time-based codes: `period` seconds per step; `lastUsedStep` is the step of the last
        /// code the other tool accepted (it must stay used), when the file records it.
        case totp(period: Int, lastUsedStep: UInt64?)
        /// Counter-based codes: `counter` is the next counter value to accept.
        case hotp(counter: UInt64)
    }

    /// A suggested label: the PSKC serial number or key id, `oath-line-N` for users.oath.
    public var label: String
    /// TOTP or HOTP, with the period or counter.
    public var kind: Kind
    /// The HMAC hash.
    public var algorithm: HashAlgorithm
    /// Digits per code: 6, 7 or 8.
    public var digits: Int
    /// The shared secret.
    public var secret: [UInt8]

    /// A key from its parts.
    public init(label: String, kind: Kind, algorithm: HashAlgorithm, digits: Int, secret: [UInt8]) {
        self.label = label
        self.kind = kind
        self.algorithm = algorithm
        self.digits = digits
        self.secret = secret
    }
}

extension ImportedCredential {
    /// The credential to store, made at `created` with `id` and `label`, and what it had
    /// used already: the last used time step of a TOTP key, the counter before a HOTP key's
    /// next one (nil when nothing was used).
    public func credential(id: Int, label: String, created: Int64) -> (credential: Credential, used: CredentialState?) {
        let credentialKind: Credential.Kind
        let lastCounter: UInt64?
        switch kind {
        case .totp(let period, let lastUsedStep):
            credentialKind = .totp(period: period, offset: 0)
            lastCounter = lastUsedStep
        case .hotp(let counter):
            credentialKind = .hotp(counter: counter)
            lastCounter = counter > 0 ? counter - 1 : nil
        }
        let credential = Credential(id: id, label: label, kind: credentialKind, algorithm: algorithm, digits: digits,
                                    secret: secret, created: created)
        return (credential, lastCounter.map { CredentialState(fingerprint: credential.fingerprint, lastCounter: $0) })
    }
}
