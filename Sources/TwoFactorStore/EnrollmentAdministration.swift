import TwoFactorCore

/// The changes an admin, a user or a panel makes to enrollments, in whichever store serves
/// them: the file store (`FileEnrollmentAdministration`), the fleet's database
/// (`FleetEnrollmentStore`) or memory (`InMemoryEnrollmentStore`). `swift-2fa-setup` runs
/// one body per subcommand over this interface.
///
/// Who may do what (root, the user with a code, a server role) is the caller's decision;
/// a database adds its own role checks (`.notAllowed`). A change that needs the user's
/// consent is preceded by the caller's `verify` of a code. Every failure is an
/// `EnrollmentStoreError`, and a refused change leaves the store as it was.
public protocol EnrollmentAdministration: EnrollmentStore {
    /// Where the user's enrollment lives, for `status`: the secret file, or the database.
    func location(of user: String) -> String

    /// The user's enrollment, pending enrollment, backup codes and throttle state.
    func status(user: String) throws(EnrollmentStoreError) -> EnrollmentStatus

    /// True when the user has an active enrollment. An enrollment that cannot be read is an
    /// error, not "no".
    func hasEnrollment(user: String) throws(EnrollmentStoreError) -> Bool

    /// Records `record` as the user's pending enrollment (logins ignore it) until it is
    /// confirmed or expires `NewEnrollment.pendingLifetime` seconds from now; returns the
    /// Unix time it expires at.
    func beginPending(user: String, record: SecretRecord) throws(EnrollmentStoreError) -> Int64

    /// Activates the pending enrollment when `code` is one of its current codes, with ten
    /// new backup codes; `replace` lets it replace an active enrollment.
    func confirmPending(user: String, code: String, replace: Bool) throws(EnrollmentStoreError) -> PendingConfirmation

    /// Activates `record`, whose first code the caller checked at time step `lastStep`, with
    /// ten new backup codes (returned, to be shown once). Without `replace`, an enrolled user
    /// is refused (`.alreadyEnrolled`).
    func activate(user: String, record: SecretRecord, lastStep: UInt64, replace: Bool) throws(EnrollmentStoreError) -> Activation

    /// Moves in an enrollment made elsewhere (a google-authenticator file): its secret, the
    /// time steps already used up to `lastStep`, and its `scratchCodes` as backup codes (of
    /// two with the same tag, the first).
    func importEnrollment(user: String, record: SecretRecord, scratchCodes: [String], lastStep: UInt64,
                          replace: Bool) throws(EnrollmentStoreError) -> Activation

    /// Removes the enrollment, the pending enrollment and the state; false when there was
    /// none of them.
    func reset(user: String) throws(EnrollmentStoreError) -> Bool

    /// Clears failures, back-off and lock, keeping the used steps and backup codes; returns
    /// the failures and lock before, nil when the user has neither enrollment nor state.
    func unlock(user: String) throws(EnrollmentStoreError) -> UnlockedState?

    /// Replaces every backup code with ten new ones (returned, to be shown once); nil when
    /// the user is not enrolled.
    func regenerateBackupCodes(user: String) throws(EnrollmentStoreError) -> [String]?
}

/// A user's enrollment as `status` reports it.
public struct EnrollmentStatus: Equatable, Sendable {
    /// Enrolled, pending (and not expired), or neither.
    public enum Phase: String, Equatable, Sendable {
        case enrolled
        case pending
        case notEnrolled = "not enrolled"
    }

    public var phase: Phase
    /// The code parameters of the active enrollment.
    public var parameters: OTPParameters?
    /// When the active enrollment was made (Unix time).
    public var created: Int64?
    public var backupCodesLeft: Int?
    /// True when the backup codes are in an old format worth replacing; nil when not enrolled.
    public var backupCodesNeedRegeneration: Bool?
    /// When an unexpired pending enrollment expires.
    public var pendingUntil: Int64?
    public var failures: Int
    /// Set while throttled.
    public var throttledUntil: Int64?
    public var locked: Bool

    public init(phase: Phase, parameters: OTPParameters? = nil, created: Int64? = nil, backupCodesLeft: Int? = nil,
                backupCodesNeedRegeneration: Bool? = nil, pendingUntil: Int64? = nil, failures: Int = 0,
                throttledUntil: Int64? = nil, locked: Bool = false) {
        self.phase = phase
        self.parameters = parameters
        self.created = created
        self.backupCodesLeft = backupCodesLeft
        self.backupCodesNeedRegeneration = backupCodesNeedRegeneration
        self.pendingUntil = pendingUntil
        self.failures = failures
        self.throttledUntil = throttledUntil
        self.locked = locked
    }
}

extension EnrollmentStatus {
    /// The status of a store that keeps the records and the state itself (files, memory) at
    /// time `now`: a pending enrollment counts until it expires.
    init(record: SecretRecord?, pending: SecretRecord?, state: UserState, now: Int64) {
        self.init(phase: .notEnrolled, failures: state.failures,
                  throttledUntil: state.throttledUntil > now ? state.throttledUntil : nil, locked: state.locked)
        if let until = pending?.pendingUntil, until >= now {
            phase = .pending
            pendingUntil = until
        }
        if let record {
            phase = .enrolled
            parameters = record.parameters
            created = record.created
            backupCodesLeft = VerificationPolicy.unusedBackupCodes(record: record, state: state).count
            backupCodesNeedRegeneration = record.backupCodesNeedRegeneration
        }
    }
}

/// What confirming a pending enrollment came to.
public enum PendingConfirmation: Equatable, Sendable {
    /// Active now, with these backup codes (to be shown once).
    case accepted(backupCodes: [String])
    /// The code is wrong; the enrollment stays pending (until the time, when the store says).
    case rejected(pendingUntil: Int64?)
    /// Nothing is pending.
    case notPending
    /// The pending enrollment expired (at the time, when the store says).
    case expired(at: Int64?)
}

/// An enrollment made active.
public struct Activation: Equatable, Sendable {
    /// The new backup codes, to be shown once; for an import, the scratch codes kept (one
    /// per tag, see `BackupCodes.hashes(for:secret:iterations:)`).
    public let backupCodes: [String]
    /// False when only the secret could be written (a user enrolling into their own files
    /// without the right to the store): the state was not reset.
    public let stateReset: Bool

    public init(backupCodes: [String], stateReset: Bool) {
        self.backupCodes = backupCodes
        self.stateReset = stateReset
    }
}

/// The throttle state `unlock` cleared.
public struct UnlockedState: Equatable, Sendable {
    public let failures: Int
    public let locked: Bool

    public init(failures: Int, locked: Bool) {
        self.failures = failures
        self.locked = locked
    }
}
