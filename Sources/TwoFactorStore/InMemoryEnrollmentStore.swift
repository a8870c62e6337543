import TwoFactorCore

/// An `EnrollmentStore` in memory, for tests (as swift-nio's embedded channel is for its
/// handlers): enrollments and states in dictionaries, the policy applied here with the
/// clock the test sets. Nothing is read or written elsewhere.
public final class InMemoryEnrollmentStore: EnrollmentStore {
    /// The active enrollments, by canonical account name.
    public var records: [String: SecretRecord]
    /// The users' states (a missing one is the initial state).
    public var states: [String: UserState] = [:]
    /// The pending enrollments, with their `pendingUntil`.
    public var pending: [String: SecretRecord] = [:]
    /// The time the policy sees.
    public var now: Int64
    /// The next call throws this instead of answering (a store that fails).
    public var failure: EnrollmentStoreError?
    let policy: VerificationPolicy

    public init(records: [String: SecretRecord] = [:], policy: VerificationPolicy = .standard, now: Int64) {
        self.records = records
        self.policy = policy
        self.now = now
    }

    public var readsEnrollmentBeforePrompt: Bool { true }
    public var notEnrolledReason: String { "not enrolled in memory" }

    public func promptDigits(user: String) throws(EnrollmentStoreError) -> Int? {
        try failIfAsked()
        return records[user]?.promptDigits
    }

    public func graceAge(user: String, service: String, key: String) throws(EnrollmentStoreError) -> Int64? {
        try failIfAsked()
        return states[user]?.graceAge(service: service, key: key, now: now)
    }

    public func verify(user: String, answer: String, context: LoginContext) throws(EnrollmentStoreError) -> LoginVerification {
        try failIfAsked()
        guard let record = records[user] else { return LoginVerification(.notEnrolled, failures: 0, throttledUntil: 0) }
        let before = states[user] ?? UserState()
        let decision = policy.verify(answer: answer, record: record, state: before, now: now)
        if decision.stateChanged {
            states[user] = decision.state.recordingLogin(decision.outcome, at: now, service: context.service,
                                                        graceKey: context.graceKey)
        }
        return LoginVerification(decision, record: record, before: before)
    }

    func failIfAsked() throws(EnrollmentStoreError) {
        if let failure {
            self.failure = nil
            throw failure
        }
    }
}
