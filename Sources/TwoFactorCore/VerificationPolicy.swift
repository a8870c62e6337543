/// What a login attempt came to. The module logs it as the `result=` field.
public enum VerificationOutcome: Equatable, Sendable {
    /// A fresh TOTP code for this time step.
    case acceptedTOTP(step: UInt64)
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
        case .acceptedTOTP, .acceptedBackup: return true
        default: return false
        }
    }

    /// The word the log line uses.
    public var logName: String {
        switch self {
        case .acceptedTOTP: return "accepted-totp"
        case .acceptedBackup: return "accepted-backup"
        case .rejected: return "rejected"
        case .replayed: return "replayed"
        case .throttled: return "throttled"
        case .locked: return "locked"
        }
    }
}

/// The verification rules: window, replay, throttling, lock-out and backup codes.
///
/// Pure: it takes the enrollment, the current state and the time, and returns the
/// outcome with the state to store. The caller holds the user's lock across
/// reading the state, calling `verify` and writing the new state.
///
/// Throttling and the lock follow `ThrottlePolicy`. Equal work: whatever the path
/// (accepted, rejected, replayed, throttled, locked), an answer shaped like a code costs
/// the whole window of HMACs, and an answer shaped like a backup code costs its tag's HMAC
/// and one slow hash (one per untagged code for a record written before tags). For a user
/// who is unknown or not enrolled the module calls `performEquivalentWork` instead.
public struct VerificationPolicy: Equatable, Sendable {
    /// Steps accepted either side of the current one.
    public var window: Int
    public var throttle: ThrottlePolicy
    /// PBKDF2 iterations of the dummy hash that stands in when no stored backup code can
    /// match: the default, what real codes use. Lowered only by tests and fuzz harnesses
    /// that check many answers (the work counts in `Decision.work` stay the same).
    var dummyHashIterations = BackupCodeHash.defaultIterations

    public static let windowRange: ClosedRange<Int> = 0...10

    /// Window ±1, standard throttling.
    public static let standard = VerificationPolicy(window: 1, throttle: .standard)

    public init(window: Int, throttle: ThrottlePolicy) {
        self.window = window
        self.throttle = throttle
    }

    /// The result of verifying one answer, and the state to store afterwards.
    public struct Decision: Equatable, Sendable {
        public let outcome: VerificationOutcome
        public let state: UserState
        /// False when the state is unchanged and need not be written.
        public let stateChanged: Bool
        /// The expensive work done, the same on every path for a given answer shape.
        public let work: VerificationWork
    }

    /// Verifies one answer (a TOTP code or a backup code, as typed) at time `now`.
    /// A state recorded for another enrollment is first rebound to this one (`UserState.bound(to:)`).
    ///
    /// - Locked: refused (`locked`), unchanged.
    /// - Throttled: an answer shaped like a code, or like neither a code nor a backup code,
    ///   is refused unchecked (`throttled`), unchanged. A backup-shaped answer is checked
    ///   while the period's backup tries last (`ThrottlePolicy.allowsBackupCheck`): a valid
    ///   one is accepted, a wrong one counts only as a backup try (`rejected`).
    /// - Otherwise: a fresh code or an unused backup code is accepted; anything else is
    ///   one failure (`replayed` or `rejected`).
    ///
    /// An 8-digit answer for an 8-digit record is shaped like both; while throttled it is
    /// refused unchecked, even if it is an imported backup code.
    public func verify(answer: String, record: SecretRecord, state stored: UserState, now: Int64) -> Decision {
        let state = stored.bound(to: record)
        let trimmed = Self.trimmed(answer)
        let codeShaped = Self.isCodeShaped(trimmed, digits: record.parameters.digits)
        let backupCandidate = BackupCodes.normalize(trimmed)

        // The expensive checks run first, on every path, so a refusal costs what a check
        // does; their results are used only where the rules below allow.
        var work = VerificationWork()
        let totp = codeShaped ? checkTOTP(Array(trimmed.utf8), record: record, state: state, now: now, work: &work)
                              : .noMatch
        let backupSalt = backupCandidate.flatMap { matchingBackupSalt($0, record: record, state: state, work: &work) }

        func unchanged(_ outcome: VerificationOutcome) -> Decision {
            Decision(outcome: outcome, state: stored, stateChanged: false, work: work)
        }
        func changed(_ outcome: VerificationOutcome, _ next: UserState) -> Decision {
            Decision(outcome: outcome, state: next, stateChanged: true, work: work)
        }

        if state.locked { return unchanged(.locked) }

        if now < state.throttledUntil {
            guard backupCandidate != nil, !codeShaped, throttle.allowsBackupCheck(state) else {
                return unchanged(.throttled(until: state.throttledUntil))
            }
            if let salt = backupSalt { return changed(.acceptedBackup, Self.succeeded(state, usingBackup: salt)) }
            return changed(.rejected, throttle.recordingBackupFailure(state))
        }

        if case .accepted(let step) = totp {
            var next = Self.succeeded(state, usingBackup: nil)
            next.lastStep = step
            return changed(.acceptedTOTP(step: step), next)
        }
        if let salt = backupSalt { return changed(.acceptedBackup, Self.succeeded(state, usingBackup: salt)) }
        let next = throttle.recordingFailure(state, now: now)
        if case .replayed = totp { return changed(.replayed, next) }
        return changed(.rejected, next)
    }

    /// The expensive work `verify` does for `answer`, for a user who is unknown or not
    /// enrolled, so that timing does not tell such users from enrolled ones: the window of
    /// HMACs if the answer is shaped like a `digits`-digit code, and a tag HMAC plus one slow
    /// hash (default iterations) if it is shaped like a backup code. Nothing is accepted.
    /// `digits` outside 6 or 8 is taken as 6.
    @discardableResult
    public func performEquivalentWork(answer: String, digits: Int) -> VerificationWork {
        var parameters = OTPParameters.standard
        if digits == 8 { parameters.digits = 8 }
        // A placeholder enrollment without backup codes: the same code path as a real
        // user's wrong answer. The time only has to be a plausible one.
        let placeholder = SecretRecord(secret: Self.placeholderSecret, parameters: parameters,
                                       created: Self.placeholderTime)
        return verify(answer: answer, record: placeholder, state: UserState(), now: Self.placeholderTime).work
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

    /// True when the answer is `digits` ASCII digits.
    private static func isCodeShaped(_ trimmed: String, digits: Int) -> Bool {
        trimmed.utf8.count == digits && trimmed.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Backup codes of `record` not yet used according to `state`.
    public static func unusedBackupCodes(record: SecretRecord, state: UserState) -> [BackupCodeHash] {
        let used = Set(state.usedBackupSalts)
        return record.backupCodes.filter { !used.contains(Hex.encode($0.salt)) }
    }

    private enum TOTPCheck { case accepted(UInt64), replayed, noMatch }

    private func checkTOTP(_ typed: [UInt8], record: SecretRecord, state: UserState, now: Int64,
                           work: inout VerificationWork) -> TOTPCheck {
        guard let totp = record.totp, let current = totp.step(at: now) else { return .noMatch }
        let width = UInt64(max(0, min(window, Self.windowRange.upperBound)))
        let first = current >= width ? current - width : 0
        let (last, overflow) = current.addingReportingOverflow(width)
        guard !overflow else { return .noMatch }
        var result = TOTPCheck.noMatch
        var step = first
        // Every step in the window is computed, so timing does not tell which one matched.
        while true {
            work.hmacs += 1
            if let code = totp.code(forStep: step), ConstantTime.equal(Array(code.utf8), typed) {
                if step > state.lastStep {
                    if case .accepted = result {} else { result = .accepted(step) }
                } else if case .noMatch = result {
                    result = .replayed
                }
            }
            if step >= last { break }
            step += 1
        }
        return result
    }

    /// The salt (hex) of the unused backup code `normalized` is, if any.
    ///
    /// Only the unused code whose tag equals the answer's is hashed (the first one, should
    /// a hand-edited file repeat a tag), plus every unused untagged code of a file written
    /// before tags. When none is left to hash, one dummy hash takes its place. All
    /// candidates are hashed, without stopping at a match.
    private func matchingBackupSalt(_ normalized: String, record: SecretRecord, state: UserState,
                                    work: inout VerificationWork) -> String? {
        let typedTag = BackupCodeHash.tag(normalizedCode: normalized, secret: record.secret, work: &work)
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
