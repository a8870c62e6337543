import TwoFactorCore

/// What a login's check came to in any store (`EnrollmentStore.verify`): the outcome, the
/// consecutive failures after it, when a throttle ends, and what the event hook hears of.
public struct LoginVerification: Equatable, Sendable {
    /// The outcome. Its raw value is the one word for it everywhere: the module's `result=`,
    /// the fleet's `verify()` answer and audit table, and the command's messages.
    public enum Outcome: String, Equatable, Sendable, CaseIterable {
        case acceptedTOTP = "accepted-totp"
        case acceptedHOTP = "accepted-hotp"
        case acceptedBackup = "accepted-backup"
        case rejected, replayed, throttled, locked
        case notEnrolled = "not-enrolled"
        /// The enrollment was replaced or removed while the user was at the prompt.
        case enrollmentChanged = "enrollment-changed"

        /// True for the accepting outcomes.
        public var isAccepted: Bool { self == .acceptedTOTP || self == .acceptedHOTP || self == .acceptedBackup }

        /// The outcome of the pure policy (`VerificationPolicy.verify`).
        public init(_ outcome: VerificationOutcome) {
            switch outcome {
            case .acceptedCode(let match): self = match.isHOTP ? .acceptedHOTP : .acceptedTOTP
            case .acceptedBackup: self = .acceptedBackup
            case .rejected: self = .rejected
            case .replayed: self = .replayed
            case .throttled: self = .throttled
            case .locked: self = .locked
            }
        }
    }

    public let outcome: Outcome
    /// Consecutive failures after this attempt.
    public let failures: Int
    /// Unix time until which codes are refused unchecked; 0 when not throttled.
    public let throttledUntil: Int64
    /// Backup codes left after this attempt; nil when the user is not enrolled.
    public let backupCodesLeft: Int?
    /// True when this attempt locked the second factor.
    public let lockedNow: Bool
    /// The label of the credential whose code was accepted.
    public var credential: String?
    /// For a rejected code that matched a TOTP credential's clock outside the window, the
    /// log's reason (`DriftFinding.reason(period:)`).
    public var drift: String?

    public init(_ outcome: Outcome, failures: Int, throttledUntil: Int64, backupCodesLeft: Int? = nil,
                lockedNow: Bool = false) {
        self.outcome = outcome
        self.failures = failures
        self.throttledUntil = throttledUntil
        self.backupCodesLeft = backupCodesLeft
        self.lockedNow = lockedNow
    }

    /// What the pure policy decided for `record`, whose state was `before`.
    public init(_ decision: VerificationPolicy.Decision, record: SecretRecord, before: UserState) {
        let until: Int64
        if case .throttled(let end) = decision.outcome { until = end } else { until = decision.state.throttledUntil }
        self.init(Outcome(decision.outcome), failures: decision.state.failures, throttledUntil: until,
                  backupCodesLeft: VerificationPolicy.unusedBackupCodes(record: record, state: decision.state).count,
                  lockedNow: decision.state.locked && !before.locked)
        if case .acceptedCode(let match) = decision.outcome { credential = match.label }
        if let finding = decision.drift,
           let drifting = record.credentials.first(where: { $0.fingerprint == finding.fingerprint }) {
            drift = "credential \(drifting.label): " + finding.reason(period: drifting.totpParameters?.period ?? 0)
        }
    }

    /// The events this attempt gives the admin's hook: a backup code used (and few left),
    /// the second factor locked, a clock drift found.
    public var hookEvents: [HookEvent.Kind] {
        var events: [HookEvent.Kind] = []
        if outcome == .acceptedBackup {
            events.append(.backupCodeUsed)
            if let backupCodesLeft, backupCodesLeft <= HookEvent.lowBackupCodes { events.append(.backupCodesLow) }
        }
        if lockedNow { events.append(.locked) }
        if drift != nil { events.append(.driftFound) }
        return events
    }
}
