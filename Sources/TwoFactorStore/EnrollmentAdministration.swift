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
public protocol EnrollmentAdministration: LoginEnrollmentStore {
    /// Where the user's enrollment lives, for `status`: the secret file, or the database.
    func location(of user: String) -> String

    /// The user's enrollment, pending enrollment, backup codes and throttle state.
    func status(user: String) throws(EnrollmentStoreError) -> EnrollmentStatus

    /// True when the user has an active enrollment. An enrollment that cannot be read is an
    /// error, not "no".
    func hasEnrollment(user: String) throws(EnrollmentStoreError) -> Bool

    /// Records `record` as the user's pending enrollment (logins ignore it) until it is
    /// confirmed or expires `NewEnrollment.pendingLifetime` seconds from now; returns the
    /// Unix time it expires at. With `SecretRecord.addsToEnrollment`, its credential is to
    /// join the active enrollment.
    func beginPending(user: String, record: SecretRecord) throws(EnrollmentStoreError) -> Int64

    /// Activates the pending enrollment when `code` is one of its current codes, with ten
    /// new backup codes; `replace` lets it replace an active enrollment. A pending credential
    /// (`SecretRecord.addsToEnrollment`) joins the active enrollment instead, without new
    /// backup codes.
    func confirmPending(user: String, code: String, replace: Bool) throws(EnrollmentStoreError) -> PendingConfirmation

    /// Adds `credential` (its id is chosen here) to the user's active enrollment, its code
    /// at `counter` (a time step for TOTP) checked by the caller and now used. Returns the
    /// credential as stored. Clears the graces.
    func addCredential(user: String, credential: Credential, counter: UInt64) throws(EnrollmentStoreError) -> Credential

    /// Removes the credential `name` (an id or a label); the last one is refused
    /// (`.invalidArgument`: removing it is `reset`). Clears the graces.
    func removeCredential(user: String, name: String) throws(EnrollmentStoreError) -> Credential

    /// Labels the credential `name` (an id or a label) `label`.
    func renameCredential(user: String, name: String, label: String) throws(EnrollmentStoreError) -> Credential

    /// Resynchronises the credential `name` from two consecutive codes (`CredentialResync`):
    /// stores its new counter or clock offset, and the codes as used. Clears the graces.
    func resyncCredential(user: String, name: String, first: String, second: String) throws(EnrollmentStoreError) -> CredentialResync.Found

    /// Activates `record`, whose first code the caller checked at time step `lastStep`, with
    /// ten new backup codes (returned, to be shown once). Without `replace`, an enrolled user
    /// is refused (`.alreadyEnrolled`).
    func activate(user: String, record: SecretRecord, lastStep: UInt64, replace: Bool) throws(EnrollmentStoreError) -> Activation

    /// Moves in an enrollment made elsewhere (a google-authenticator file, pam_oath's
    /// users.oath, a PSKC file): the credentials of `record`, what each had used already
    /// (`used`, by fingerprint: the last time step or counter), and `scratchCodes` as backup
    /// codes (of two with the same tag, the first). `mode` says what happens to an existing
    /// enrollment; with `.add` the credentials get the next free ids.
    func importEnrollment(user: String, record: SecretRecord, used: [CredentialState], scratchCodes: [String],
                          mode: ImportMode) throws(EnrollmentStoreError) -> Activation

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

/// Why a user is not offered enrollment at login.
public struct LoginOfferRefusal: Equatable, Sendable {
    /// One line for the log.
    public let reason: String
    /// True when the admin must act (logged as an error), false when it is expected (debug).
    public let needsAdmin: Bool

    public init(_ reason: String, needsAdmin: Bool) {
        self.reason = reason
        self.needsAdmin = needsAdmin
    }
}

/// What activating an enrollment at login came to.
public enum LoginActivation: Equatable, Sendable {
    /// Active, with these backup codes (to be shown once).
    case activated(backupCodes: [String])
    /// Not stored: the user was enrolled meanwhile (the text says how, for the log).
    case changedMeanwhile(String)
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
    /// The TOTP parameters of the active enrollment's first credential (nil for a HOTP one).
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
    /// The active enrollment's credentials; empty when not enrolled.
    public var credentials: [CredentialStatus] = []
    /// When a login was last accepted with the second factor (Unix time); nil when unknown.
    public var lastAccepted: Int64?
    /// The last rejected code that matched a credential's clock outside the window: the
    /// credential's label, and the log's reason.
    public var lastDrift: (credential: String, reason: String, time: Int64)?

    public init(phase: Phase, parameters: OTPParameters? = nil, created: Int64? = nil, backupCodesLeft: Int? = nil,
                backupCodesNeedRegeneration: Bool? = nil, pendingUntil: Int64? = nil, failures: Int = 0,
                throttledUntil: Int64? = nil, locked: Bool = false, lastAccepted: Int64? = nil) {
        self.phase = phase
        self.parameters = parameters
        self.created = created
        self.backupCodesLeft = backupCodesLeft
        self.backupCodesNeedRegeneration = backupCodesNeedRegeneration
        self.pendingUntil = pendingUntil
        self.failures = failures
        self.throttledUntil = throttledUntil
        self.locked = locked
        self.lastAccepted = lastAccepted
    }

    /// The number of credentials of an active enrollment; nil when not enrolled.
    public var credentialCount: Int? { phase == .enrolled ? credentials.count : nil }

    public static func == (left: EnrollmentStatus, right: EnrollmentStatus) -> Bool {
        left.phase == right.phase && left.parameters == right.parameters && left.created == right.created
            && left.backupCodesLeft == right.backupCodesLeft && left.backupCodesNeedRegeneration == right.backupCodesNeedRegeneration
            && left.pendingUntil == right.pendingUntil && left.failures == right.failures
            && left.throttledUntil == right.throttledUntil && left.locked == right.locked && left.credentials == right.credentials
            && left.lastAccepted == right.lastAccepted && left.lastDrift?.credential == right.lastDrift?.credential
            && left.lastDrift?.reason == right.lastDrift?.reason && left.lastDrift?.time == right.lastDrift?.time
    }
}

extension EnrollmentStatus {
    /// The status of a store that keeps the records and the state itself (files, memory) at
    /// time `now`: a pending enrollment counts until it expires.
    init(record: SecretRecord?, pending: SecretRecord?, state: UserState, now: Int64) {
        self.init(phase: .notEnrolled, failures: state.failures,
                  throttledUntil: state.throttledUntil > now ? state.throttledUntil : nil, locked: state.locked,
                  lastAccepted: state.lastAccepted)
        if let until = pending?.pendingUntil, until >= now {
            phase = .pending
            pendingUntil = until
        }
        if let record {
            let bound = state.bound(to: record)
            phase = .enrolled
            credentials = record.credentials.map { CredentialStatus($0, state: bound.state(of: $0)) }
            parameters = record.credentials.first?.totpParameters
            created = record.created
            backupCodesLeft = VerificationPolicy.unusedBackupCodes(record: record, state: state).count
            backupCodesNeedRegeneration = record.backupCodesNeedRegeneration
            if let finding = bound.lastDrift,
               let drifting = record.credentials.first(where: { $0.fingerprint == finding.fingerprint }) {
                lastDrift = (drifting.label, finding.reason(period: drifting.totpParameters?.period ?? 0), finding.time)
            }
        }
    }
}

/// What confirming a pending enrollment came to.
public enum PendingConfirmation: Equatable, Sendable {
    /// Active now, with these backup codes (to be shown once).
    case accepted(backupCodes: [String])
    /// A pending credential (`SecretRecord.addsToEnrollment`) joined the enrollment, as stored.
    case added(Credential)
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
