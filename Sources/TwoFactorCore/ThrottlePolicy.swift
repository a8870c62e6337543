/// Limits on consecutive failed attempts (NIST SP 800-63B §5.2.2).
///
/// A wrong answer while not throttled is one failure. After `throttleAfter` consecutive
/// failures, the factor is throttled: code attempts are refused unchecked (and not counted)
/// for `baseDelay` seconds, doubling with each further failure up to `maxDelay`. After
/// `lockAfter` consecutive failures the second factor is locked until an admin runs
/// `swift-2fa-setup unlock`; a locked factor refuses everything, backup codes included.
/// A success resets the count.
///
/// While throttled, backup-shaped answers are still checked, so the owner's backup codes
/// keep working. A wrong one is not a failure: it counts only in `UserState.backupFailures`,
/// and once that reaches `throttleAfter` in the current back-off period, further
/// backup-shaped answers are refused unchecked until the period ends. Failures, and so the
/// lock, therefore come only on the schedule above, whatever mix of answers is sent: with
/// the standard policy the 100th failure comes no sooner than 83,730 s (23 h 16 min) after
/// the first, the sum of the back-offs after failures 3 to 99.
public struct ThrottlePolicy: Equatable, Sendable {
    public var throttleAfter: Int
    public var baseDelay: Int
    public var maxDelay: Int
    public var lockAfter: Int

    /// 3 failures, 30 s doubling to 15 min, lock after 100.
    public static let standard = ThrottlePolicy(throttleAfter: 3, baseDelay: 30, maxDelay: 900, lockAfter: 100)

    /// Ranges the module options accept.
    public static let throttleAfterRange: ClosedRange<Int> = 1...100
    public static let baseDelayRange: ClosedRange<Int> = 1...86_400
    public static let maxDelayRange: ClosedRange<Int> = 1...86_400
    /// NIST allows at most 100 consecutive failures.
    public static let lockAfterRange: ClosedRange<Int> = 1...100

    public init(throttleAfter: Int, baseDelay: Int, maxDelay: Int, lockAfter: Int) {
        self.throttleAfter = throttleAfter
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.lockAfter = lockAfter
    }

    /// The state after one more failed attempt at `now` (made while not throttled). It
    /// starts a new back-off period, if any, so the period's backup tries start over.
    public func recordingFailure(_ state: UserState, now: Int64) -> UserState {
        var next = state
        next.failures = min(state.failures, UserState.maximumFailures - 1) + 1
        next.backupFailures = 0
        if next.failures >= lockAfter {
            next.locked = true
        }
        if next.failures >= throttleAfter {
            next.throttledUntil = now.addingClamped(Int64(delay(afterFailures: next.failures)))
        }
        return next
    }

    /// True when a backup-shaped answer made during the current back-off may still be checked.
    public func allowsBackupCheck(_ state: UserState) -> Bool {
        state.backupFailures < throttleAfter
    }

    /// The state after a wrong backup-shaped answer during a back-off: counted against the
    /// period's backup tries, not as a failure, so it neither extends the back-off nor
    /// brings the lock closer.
    public func recordingBackupFailure(_ state: UserState) -> UserState {
        var next = state
        next.backupFailures = min(state.backupFailures, UserState.maximumFailures - 1) + 1
        return next
    }

    /// The back-off in seconds after `failures` consecutive failures (0 below the threshold).
    public func delay(afterFailures failures: Int) -> Int {
        guard failures >= throttleAfter else { return 0 }
        let doublings = min(failures - throttleAfter, 30)
        let (delay, overflow) = baseDelay.multipliedReportingOverflow(by: 1 << doublings)
        return overflow ? maxDelay : min(delay, maxDelay)
    }
}

extension Int64 {
    /// Addition that saturates instead of trapping.
    func addingClamped(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        if overflow { return other > 0 ? .max : .min }
        return sum
    }
}
