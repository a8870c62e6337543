import TwoFactorStore

/// Runs a call that starts or confirms an enrollment (`enroll --pending`, `confirm`): a
/// database role without the enrollment right is told how the admin grants it.
func enrollmentCall<Value>(_ body: () throws(EnrollmentStoreError) -> Value) throws(SetupFailure) -> Value {
    do throws(EnrollmentStoreError) {
        return try body()
    } catch where error.kind == .notAllowed {
        throw .io(error.description + "; this role may not enroll users: the admin grants it with "
                  + "'swift-2fa-setup db grant-server ROLE --enroll'")
    } catch {
        throw SetupFailure(error)
    }
}
