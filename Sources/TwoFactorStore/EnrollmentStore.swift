import TwoFactorCore

/// Where a user's enrollment, its state and the verification policy live, as a login sees
/// them: the file store (`FileEnrollmentStore`), the fleet's database
/// (`FleetEnrollmentStore`) or memory (`InMemoryEnrollmentStore`, for tests). The module's
/// login runs one body over this interface, whichever store serves it.
///
/// An implementation serves one login attempt. Every failure is an `EnrollmentStoreError`;
/// none is ever taken for "not enrolled".
public protocol EnrollmentStore: AnyObject {
    /// True when the store reads the enrollment before the prompt on every attempt (a local
    /// store: it costs nothing remote, and lets `verify` refuse an enrollment that changed
    /// while the user was at the prompt). A remote store is asked before the prompt only
    /// when the prompt needs the answer (`nullok`, `split_answer`, `enroll`).
    var readsEnrollmentBeforePrompt: Bool { get }

    /// What "not enrolled" means in this store, for the log line.
    var notEnrolledReason: String { get }

    /// The number of digits of the user's codes; nil when the user has no active enrollment.
    func promptDigits(user: String) throws(EnrollmentStoreError) -> Int?

    /// Seconds since the user's grace (`grace_period=`) for `service` and the place `key`
    /// began, by the store's clock; nil when none is recorded. A store records a grace when
    /// `verify` accepts a code (never a backup code) with `LoginContext.graceKey` set.
    func graceAge(user: String, service: String, key: String) throws(EnrollmentStoreError) -> Int64?

    /// Checks `answer` (a code or a backup code, as typed) for `user` and applies the policy
    /// (replay, throttle, lock) in one step under the user's lock, recording the new state.
    /// A user without an enrollment gets `.notEnrolled` after the work a check costs.
    func verify(user: String, answer: String, context: LoginContext) throws(EnrollmentStoreError) -> LoginVerification
}

/// Where a login comes from, for the store's records (the fleet's audit table, the grace).
public struct LoginContext: Equatable, Sendable {
    /// PAM_SERVICE.
    public let service: String
    /// PAM_RHOST, when the application gave one.
    public let rhost: String?
    /// The place an accepted code gives a grace for (`GracePeriod.keyText`); nil when
    /// `grace_period` is off or the login has no such place.
    public let graceKey: String?

    public init(service: String, rhost: String?, graceKey: String? = nil) {
        self.service = service
        self.rhost = rhost
        self.graceKey = graceKey
    }
}
