/// What a login attempt came to. The module logs it as the `result=` field.
public enum VerificationOutcome: Equatable, Sendable {
    /// A fresh code of one of the user's credentials.
    case acceptedCode(CodeMatch)
    /// An unused backup code; it is now used up.
    case acceptedBackup
    /// Neither a valid code nor a valid backup code.
    case rejected
    /// A valid code whose time step was already used.
    case replayed
    /// Refused unchecked during a back-off.
    case throttled(until: Int64)
    /// Refused: locked after too many failures.
    case locked

    /// True for the two accepting outcomes.
    public var isAccepted: Bool {
        switch self {
        case .acceptedCode, .acceptedBackup: return true
        default: return false
        }
    }

    /// The word the log line uses.
    public var logName: String {
        switch self {
        case .acceptedCode(let match): return match.isHOTP ? "accepted-hotp" : "accepted-totp"
        case .acceptedBackup: return "accepted-backup"
        case .rejected: return "rejected"
        case .replayed: return "replayed"
        case .throttled: return "throttled"
        case .locked: return "locked"
        }
    }
}

/// The credential a code was accepted for, and its time step or counter.
public struct CodeMatch: Equatable, Sendable {
    public let credentialID: Int
    public let label: String
    public let isHOTP: Bool
    /// The time step (TOTP) or counter (HOTP) of the code.
    public let counter: UInt64

    public init(credentialID: Int, label: String, isHOTP: Bool, counter: UInt64) {
        self.credentialID = credentialID
        self.label = label
        self.isHOTP = isHOTP
        self.counter = counter
    }
}

/// The verification rules: windows, replay, throttling, lock-out and backup codes, over
/// every credential of the user.
///
/// Pure: it takes the enrollment, the current state and the time, and returns the
/// outcome with the state to store. The caller holds the user's lock across
/// reading the state, calling `verify` and writing the new state.
///
/// Throttling and the lock follow `ThrottlePolicy`. Equal work: an answer shaped like a
/// code that is not accepted (rejected, replayed, throttled, locked, not enrolled, unknown
/// user) costs `CodeCheck.refusalHMACs` HMACs, whatever the number and kind of the user's
/// credentials; an answer shaped like a backup code costs its tag's HMAC and one slow hash
/// (one per untagged code for a record written before tags). An accepted code costs only
/// its credentials' windows: whoever typed it learns that it was right anyway. For a user
/// who is unknown or not enrolled the module calls `performEquivalentWork` instead.
public struct VerificationPolicy: Equatable, Sendable {
    /// Steps accepted either side of the current one (TOTP).
    public var window: Int
    /// Counters accepted after the next expected one (HOTP).
    public var hotpWindow: Int
    public var throttle: ThrottlePolicy
    /// PBKDF2 iterations of the dummy hash that stands in when no stored backup code can
    /// match: the default, what real codes use. Lowered only by tests and fuzz harnesses
    /// that check many answers (the work counts in `Decision.work` stay the same).
    var dummyHashIterations = BackupCodeHash.defaultIterations

    public static let windowRange: ClosedRange<Int> = 0...10
    public static let hotpWindowRange: ClosedRange<Int> = 0...CodeCheck.stepsPerCredential - 1
    /// The default HOTP look-ahead.
    public static let standardHOTPWindow = 10

    /// Window ±1, HOTP look-ahead 10, standard throttling.
    public static let standard = VerificationPolicy(window: 1, throttle: .standard)

    public init(window: Int, hotpWindow: Int = standardHOTPWindow, throttle: ThrottlePolicy) {
        self.window = window
        self.hotpWindow = hotpWindow
        self.throttle = throttle
    }

    /// The result of verifying one answer, and the state to store afterwards.
    public struct Decision: Equatable, Sendable {
        public let outcome: VerificationOutcome
        public let state: UserState
        /// False when the state is unchanged and need not be written.
        public let stateChanged: Bool
        /// The expensive work done, the same on every refusing path for a given answer shape.
        public let work: VerificationWork
        /// A rejected code that matched a TOTP credential outside the window (never accepted).
        public let drift: DriftFinding?
    }

    /// Verifies one answer (a code of any credential, or a backup code, as typed) at time `now`.
    /// The state is first bound to the record (`UserState.bound(to:)`).
    ///
    /// - Locked: refused (`locked`), unchanged.
    /// - Throttled: an answer shaped like a code, or like neither a code nor a backup code,
    ///   is refused unchecked (`throttled`), unchanged. A backup-shaped answer is checked
    ///   while the period's backup tries last (`ThrottlePolicy.allowsBackupCheck`): a valid
    ///   one is accepted, a wrong one counts only as a backup try (`rejected`).
    /// - Otherwise: a fresh code of a credential (the first credential's, when several match)
    ///   or an unused backup code is accepted; anything else is one failure (`replayed` or
    ///   `rejected`). A rejected code is compared with each TOTP credential's steps ±20
    ///   (`DriftFinding`) and a match is recorded as `UserState.lastDrift`, never accepted.
    ///
    /// An answer is shaped like a code when it has as many digits as one of the credentials.
    /// An 8-digit answer for a record with an 8-digit credential is shaped like both; while
    /// throttled it is refused unchecked, even if it is an imported backup code.
    public func verify(answer: String, record: SecretRecord, state stored: UserState, now: Int64) -> Decision {
        var codes = CodeCheck(record: record, window: window, hotpWindow: hotpWindow)
        // Computed once per check, in the record's order (each is an HMAC).
        let fingerprints = codes.fingerprints
        let state = stored.bound(to: record, fingerprints: fingerprints)
        let trimmed = Self.trimmed(answer)
        let typed = CodeCheck.TypedCode(trimmed)
        let codeShaped = typed.map { code in record.credentials.contains { $0.digits == code.digits } } ?? false
        let backupCandidate = BackupCodes.normalize(trimmed)

        // The expensive checks run first, on every path, so a refusal costs what a check
        // does; their results are used only where the rules below allow.
        var work = VerificationWork()
        let match = codeShaped ? typed.flatMap { codes.match($0, state: state, now: now, work: &work) } : nil
        let backupSalt = backupCandidate.flatMap { matchingBackupSalt($0, record: record, state: state, work: &work) }

        func finish(_ outcome: VerificationOutcome, _ next: UserState?) -> Decision {
            var drift: DriftFinding?
            if codeShaped, !outcome.isAccepted, let typed {
                drift = codes.refuse(typed, now: now, work: &work)
            }
            guard var next else { return Decision(outcome: outcome, state: stored, stateChanged: false, work: work, drift: nil) }
            if outcome == .rejected, let drift { next.lastDrift = drift } else { drift = nil }
            return Decision(outcome: outcome, state: next, stateChanged: true, work: work, drift: drift)
        }

        if state.locked { return finish(.locked, nil) }

        if now < state.throttledUntil {
            guard backupCandidate != nil, !codeShaped, throttle.allowsBackupCheck(state) else {
                return finish(.throttled(until: state.throttledUntil), nil)
            }
            if let salt = backupSalt { return finish(.acceptedBackup, Self.succeeded(state, usingBackup: salt)) }
            return finish(.rejected, throttle.recordingBackupFailure(state))
        }

        if case .accepted(let found)? = match, let index = record.credentials.firstIndex(where: { $0.id == found.credentialID }),
           index < fingerprints.count {
            var next = Self.succeeded(state, usingBackup: nil)
            next = next.updating(CredentialState(fingerprint: fingerprints[index], lastCounter: found.counter, lastUsed: now))
            return finish(.acceptedCode(found), next)
        }
        if let salt = backupSalt { return finish(.acceptedBackup, Self.succeeded(state, usingBackup: salt)) }
        let next = throttle.recordingFailure(state, now: now)
        if case .replayed? = match { return finish(.replayed, next) }
        return finish(.rejected, next)
    }

    /// The expensive work `verify` does for `answer`, for a user who is unknown or not
    /// enrolled, so that timing does not tell such users from enrolled ones: what a refused
    /// code costs if the answer is shaped like a `digits`-digit code, and a tag HMAC plus one
    /// slow hash (default iterations) if it is shaped like a backup code. Nothing is accepted.
    /// `digits` outside 6...8 is taken as 6.
    @discardableResult
    public func performEquivalentWork(answer: String, digits: Int) -> VerificationWork {
        var parameters = OTPParameters.standard
        if Credential.allowedDigits.contains(digits) { parameters.digits = digits }
        // A placeholder enrollment without backup codes: the same code path as a real
        // user's wrong answer. The time only has to be a plausible one.
        let placeholder = SecretRecord(secret: Self.placeholderSecret, parameters: parameters,
                                       created: Self.placeholderTime)
        var locked = UserState()
        locked.locked = true
        return verify(answer: answer, record: placeholder, state: locked, now: Self.placeholderTime).work
    }

    private static let placeholderSecret = [UInt8](repeating: 0, count: 20)
    private static let placeholderTime: Int64 = 1_764_456_015

    /// The state after a success: failures, back-off and backup tries reset; a used backup
    /// code (by its salt) is recorded.
    private static func succeeded(_ state: UserState, usingBackup salt: String?) -> UserState {
        var next = state
        if let salt { next.usedBackupSalts.append(salt) }
        next.failures = 0
        next.throttledUntil = 0
        next.backupFailures = 0
        return next
    }

    /// Backup codes of `record` not yet used according to `state`.
    public static func unusedBackupCodes(record: SecretRecord, state: UserState) -> [BackupCodeHash] {
        let used = Set(state.usedBackupSalts)
        return record.backupCodes.filter { !used.contains(Hex.encode($0.salt)) }
    }

    /// The salt (hex) of the unused backup code `normalized` is, if any.
    ///
    /// Only the unused code whose tag equals the answer's is hashed (the first one, should
    /// a hand-edited file repeat a tag), plus every unused untagged code of a file written
    /// before tags. When none is left to hash, one dummy hash takes its place. All
    /// candidates are hashed, without stopping at a match.
    private func matchingBackupSalt(_ normalized: String, record: SecretRecord, state: UserState,
                                    work: inout VerificationWork) -> String? {
        let typedTag = BackupCodeHash.tag(normalizedCode: normalized, secret: record.backupKey, work: &work)
        var candidates: [BackupCodeHash] = []
        var taggedFound = false
        for code in Self.unusedBackupCodes(record: record, state: state) {
            if let tag = code.tag {
                guard !taggedFound, let typedTag, ConstantTime.equal(tag, typedTag) else { continue }
                taggedFound = true
            }
            candidates.append(code)
        }
        if candidates.isEmpty {
            BackupCodeHash.dummyCheck(normalizedCode: normalized, iterations: dummyHashIterations, work: &work)
            return nil
        }
        var match: String?
        for code in candidates where code.matches(normalizedCode: normalized, work: &work) && match == nil {
            match = Hex.encode(code.salt)
        }
        return match
    }

    /// The answer without leading and trailing white space.
    static func trimmed(_ answer: String) -> String {
        let bytes = Array(answer.utf8)
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 || bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D {
            end -= 1
        }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
