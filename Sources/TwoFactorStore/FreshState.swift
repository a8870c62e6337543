import TwoFactorCore

extension UserState {
    /// The state of a new enrollment whose first credential's code at `counter` (a time step
    /// for TOTP) was used, so the confirming code cannot log in again; the stores that keep
    /// state themselves (files, memory) start every activation with it.
    static func fresh(confirmingFirstOf record: SecretRecord, at counter: UInt64) throws(EnrollmentStoreError) -> UserState {
        guard let first = record.credentials.first else {
            throw EnrollmentStoreError(.invalidArgument, "an enrollment without a credential")
        }
        return fresh(confirming: first, at: counter)
    }
}
