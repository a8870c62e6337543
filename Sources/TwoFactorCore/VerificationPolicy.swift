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
public struct VerificationPolicy: Equatable, Sendable {
    /// Steps accepted either side of the current one.
    public var window: Int
    public var throttle: ThrottlePolicy

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
    }

    /// Verifies one answer (a TOTP code or a backup code, as typed) at time `now`.
    /// A state recorded for another enrollment is first rebound to this one (`UserState.bound(to:)`).
    public func verify(answer: String, record: SecretRecord, state stored: UserState, now: Int64) -> Decision {
        let state = stored.bound(to: record)
        if state.locked {
            return Decision(outcome: .locked, state: stored, stateChanged: false)
        }
        let trimmed = Self.trimmed(answer)
        let totpCandidate = trimmed.utf8.count == record.parameters.digits
            && trimmed.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        let backupCandidate = BackupCodes.normalize(trimmed)
        let throttled = now < state.throttledUntil

        // While throttled only backup codes are checked. An answer shaped like a TOTP code
        // is refused unchecked even if it could also be an imported 8-digit backup code.
        if throttled && (backupCandidate == nil || totpCandidate) {
            return Decision(outcome: .throttled(until: state.throttledUntil), state: stored, stateChanged: false)
        }

        var sawReplay = false
        if totpCandidate && !throttled {
            switch checkTOTP(Array(trimmed.utf8), record: record, state: state, now: now) {
            case .accepted(let step):
                var next = state
                next.lastStep = step
                next.failures = 0
                next.throttledUntil = 0
                return Decision(outcome: .acceptedTOTP(step: step), state: next, stateChanged: true)
            case .replayed:
                sawReplay = true
            case .noMatch:
                break
            }
        }

        if let backup = backupCandidate, let salt = matchingBackupSalt(backup, record: record, state: state) {
            var next = state
            next.usedBackupSalts.append(salt)
            next.failures = 0
            next.throttledUntil = 0
            return Decision(outcome: .acceptedBackup, state: next, stateChanged: true)
        }

        let next = throttle.recordingFailure(state, now: now)
        return Decision(outcome: sawReplay ? .replayed : .rejected, state: next, stateChanged: true)
    }

    /// Backup codes of `record` not yet used according to `state`.
    public static func unusedBackupCodes(record: SecretRecord, state: UserState) -> [BackupCodeHash] {
        let used = Set(state.usedBackupSalts)
        return record.backupCodes.filter { !used.contains(Hex.encode($0.salt)) }
    }

    private enum TOTPCheck { case accepted(UInt64), replayed, noMatch }

    private func checkTOTP(_ typed: [UInt8], record: SecretRecord, state: UserState, now: Int64) -> TOTPCheck {
        guard let totp = record.totp, let current = totp.step(at: now) else { return .noMatch }
        let width = UInt64(max(0, min(window, Self.windowRange.upperBound)))
        let first = current >= width ? current - width : 0
        let (last, overflow) = current.addingReportingOverflow(width)
        guard !overflow else { return .noMatch }
        var result = TOTPCheck.noMatch
        var step = first
        // Every step in the window is computed, so timing does not tell which one matched.
        while true {
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

    private func matchingBackupSalt(_ normalized: String, record: SecretRecord, state: UserState) -> String? {
        for code in Self.unusedBackupCodes(record: record, state: state) where code.matches(normalizedCode: normalized) {
            return Hex.encode(code.salt)
        }
        return nil
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
