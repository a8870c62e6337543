/// What a login records of one credential (`UserState.credentials`): the last step or
/// counter it accepted, so no code of that credential is accepted twice, and when.
public struct CredentialState: Equatable, Sendable {
    /// The credential's `Credential.fingerprint`; empty for the state of a version 1 file
    /// without one, until `UserState.bound(to:)` gives it the record's first credential's.
    public var fingerprint: String
    /// The highest time step (TOTP) or counter (HOTP) accepted; nil when none was.
    public var lastCounter: UInt64?
    /// When a code of this credential was last accepted (Unix time); nil when never.
    public var lastUsed: Int64?

    /// The state of the credential with `fingerprint`.
    public init(fingerprint: String, lastCounter: UInt64? = nil, lastUsed: Int64? = nil) {
        self.fingerprint = fingerprint
        self.lastCounter = lastCounter
        self.lastUsed = lastUsed
    }

    /// True when `counter` was accepted already (or one after it): a code at it is a replay.
    public func hasUsed(_ counter: UInt64) -> Bool {
        guard let lastCounter else { return false }
        return counter <= lastCounter
    }

    /// True for 16 hex digits.
    static func isFingerprint(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 16 && text.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f"))
                || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "F"))
        }
    }
}
