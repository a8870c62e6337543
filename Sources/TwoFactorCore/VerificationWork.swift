/// The expensive work one verification did: HMACs (TOTP window, backup tag) and slow
/// hashes (PBKDF2 of a backup code, real or dummy). Counted where the calls are made.
///
/// The rule it makes checkable: for a given answer shape, every path (accepted, rejected,
/// replayed, throttled, locked, not enrolled, unknown user) does the same work, so timing
/// does not tell them apart; a backup-shaped answer costs exactly one slow hash when the
/// record's backup codes are tagged (`BackupCodeHash.tag`).
public struct VerificationWork: Equatable, Sendable {
    /// HMAC computations (each TOTP step of the window, and the backup tag).
    public internal(set) var hmacs = 0
    /// PBKDF2 derivations.
    public internal(set) var slowHashes = 0

    /// No work yet.
    public init() {}
}
