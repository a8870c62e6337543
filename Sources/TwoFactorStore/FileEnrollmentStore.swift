import Glibc
import TwoFactorCore

/// The file store behind `EnrollmentStore`: the secret where `SecretLocation` says (read by
/// the caller's `readSecret`, which takes the user's identity for a secret among the user's
/// files), the state and the lock in the store directory, and the policy applied here.
///
/// `promptDigits` reads the enrollment before the prompt; `verify` takes the user's lock,
/// reads the secret and the state again there (so a reset or new backup codes take effect
/// at once), refuses an enrollment that changed meanwhile, and writes the new state, with
/// the time of an accepted login as `UserState.lastAccepted`.
public final class FileEnrollmentStore: EnrollmentStore {
    /// Reads the user's secret; nil when there is none.
    public typealias SecretReader = () throws(StoreError) -> SecretRecord?

    private let store: Store
    private let policy: VerificationPolicy
    private let readSecret: SecretReader?
    private let now: () -> Int64
    private var enrolled: SecretRecord?
    private var hasRead = false

    /// `readSecret` is nil for an account that does not exist (never enrolled); `now` is
    /// the clock the policy uses.
    public init(store: Store, policy: VerificationPolicy, readSecret: SecretReader?, now: @escaping () -> Int64) {
        self.store = store
        self.policy = policy
        self.readSecret = readSecret
        self.now = now
    }

    public var readsEnrollmentBeforePrompt: Bool { true }
    public var notEnrolledReason: String { "no secret file" }

    public func promptDigits(user: String) throws(EnrollmentStoreError) -> Int? {
        do throws(StoreError) {
            try store.checkDirectory()
            enrolled = try readSecret?()
        } catch {
            throw EnrollmentStoreError(file: error)
        }
        hasRead = true
        return enrolled?.promptDigits
    }

    public func graceAge(user: String, service: String, key: String) throws(EnrollmentStoreError) -> Int64? {
        do throws(StoreError) {
            try store.checkDirectory()
            return try store.readState(user: user).graceAge(service: service, key: key, now: now())
        } catch {
            throw EnrollmentStoreError(.stateError, error.description)
        }
    }

    public func verify(user: String, answer: String, context: LoginContext) throws(EnrollmentStoreError) -> LoginVerification {
        if !hasRead { _ = try promptDigits(user: user) }
        guard let enrolled, let readSecret else {
            // Unknown or not enrolled: the work an enrolled user's answer costs.
            policy.performEquivalentWork(answer: answer, digits: OTPParameters.standard.digits)
            EquivalentFileWork.perform()
            return LoginVerification(.notEnrolled, failures: 0, throttledUntil: 0)
        }
        let lock: UserLock
        let record: SecretRecord?
        do throws(StoreError) {
            lock = try store.lock(user: user)
            record = try readSecret()
        } catch {
            throw EnrollmentStoreError(file: error)
        }
        defer { lock.release() }
        let state: UserState
        do throws(StoreError) { state = try store.readState(user: user) } catch {
            throw EnrollmentStoreError(.stateError, error.description)
        }
        guard let record, record == enrolled else {
            policy.performEquivalentWork(answer: answer, digits: enrolled.promptDigits ?? OTPParameters.standard.digits)
            return LoginVerification(.enrollmentChanged, failures: state.failures, throttledUntil: state.throttledUntil)
        }
        let time = now()
        let decision = policy.verify(answer: answer, record: record, state: state, now: time)
        if decision.stateChanged {
            let next = decision.state.recordingLogin(decision.outcome, at: time, service: context.service,
                                                     graceKey: context.graceKey)
            do throws(StoreError) { try store.writeState(next, user: user) } catch {
                throw EnrollmentStoreError(.stateError, "\(decision.outcome.logName) but not saved: \(error)")
            }
        }
        return LoginVerification(decision, record: record, before: state)
    }
}
