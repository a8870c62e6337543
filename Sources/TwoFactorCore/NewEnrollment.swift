/// What makes a new enrollment, the same for `swift-2fa-setup` (`enroll`, `confirm`)
/// and the module's enrollment at login: the size of its secret and the code check
/// that activates it.
public enum NewEnrollment {
    /// Bytes of a new secret: 160 bits, as RFC 4226 recommends.
    public static let secretLength = 20

    /// Seconds a pending enrollment waits for its first code (the fleet's default
    /// `pending_lifetime` is the same; FleetTests' PolicyConstantsTests compares them).
    public static let pendingLifetime: Int64 = 600

    /// How many codes a user may try before an interactive enrollment gives up.
    public static let tries = 3

    /// The time step (TOTP) or counter (HOTP) `code` belongs to when it is a current code of
    /// one of the record's credentials (the module's default windows); nil otherwise. Backup
    /// codes do not count here.
    public static func acceptedStep(of code: String, record: SecretRecord, now: Int64) -> UInt64? {
        var secretOnly = record
        secretOnly.backupCodes = []
        let decision = VerificationPolicy.standard.verify(answer: code, record: secretOnly, state: UserState(), now: now)
        if case .acceptedCode(let match) = decision.outcome { return match.counter }
        return nil
    }
}
