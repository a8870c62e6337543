import TwoFactorStore

/// The command's failure for each kind of store error, decided here once; main.swift then
/// gives each `SetupFailure.Kind` its exit status.
extension SetupFailure {
    /// An enrollment-store error: an enrolled user, or a bad argument, is a usage error (64);
    /// nothing to act on is "not enrolled" (2); an unusable file, store or database, and a
    /// right the database refuses, are I/O errors (74).
    init(_ error: EnrollmentStoreError) {
        switch error.kind {
        case .alreadyEnrolled: self.init(.usage, error.description + " (use --force to replace)")
        case .invalidArgument: self.init(.usage, error.description)
        case .notEnrolled: self.init(.notEnrolled, error.description)
        case .adminPending:
            self.init(.ioError, error.description + ": a server role may not replace it; confirm it with "
                      + "'swift-2fa-setup confirm', or the admin starts it again")
        case .databaseUnavailable: self.init(.ioError, "database-unavailable: " + error.description)
        case .notAllowed, .databaseError, .fileError, .stateError, .systemError: self.init(.ioError, error.description)
        }
    }

    /// A file or permission problem.
    init(_ error: StoreError) { self.init(.ioError, error.description) }
}

/// Runs a store call (an enrollment store, or a `db` subcommand's database call); its error
/// becomes the command's failure.
func storeCall<Value>(_ body: () throws(EnrollmentStoreError) -> Value) throws(SetupFailure) -> Value {
    do throws(EnrollmentStoreError) { return try body() } catch { throw SetupFailure(error) }
}
