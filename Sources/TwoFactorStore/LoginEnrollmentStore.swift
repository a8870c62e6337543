import TwoFactorCore

/// What the module's enrollment at login (`enroll`) asks of a store: the two steps of
/// `EnrollmentAdministration` a login takes, kept apart so that a login process links them
/// and not the rest of the administration.
public protocol LoginEnrollmentStore: EnrollmentStore {
    /// Enrollment at login (the module's `enroll`), before the new secret `record` is shown:
    /// nil when the user may be offered it, else why not. The file store stores nothing yet
    /// (nothing is stored unless a code was right) and refuses while a pending enrollment
    /// waits for `confirm`; the fleet makes `record` the user's pending enrollment with the
    /// server role, and refuses when the role lacks the enrollment right, an enrollment the
    /// admin started waits, or the user was enrolled meanwhile.
    func offerAtLogin(user: String, record: SecretRecord) throws(EnrollmentStoreError) -> LoginOfferRefusal?

    /// Enrollment at login, once the user typed `code`, a right code of `record` at time step
    /// `step`: activates it with ten new backup codes, unless the user was enrolled meanwhile.
    func activateAtLogin(user: String, record: SecretRecord, code: String, step: UInt64) throws(EnrollmentStoreError) -> LoginActivation
}
