/// Why an `EnrollmentStore` could not answer or refused a change: the one error type of
/// every store. None of its kinds is ever taken for "not enrolled" at a login;
/// `.notEnrolled` is the answer of an administrative change that has nothing to act on.
public struct EnrollmentStoreError: Error, Equatable, CustomStringConvertible {
    public enum Kind: String, Equatable, Sendable {
        /// The database could not be reached, answered too late, was read-only, or sent an
        /// answer that cannot be trusted.
        case databaseUnavailable = "database-unavailable"
        /// The database refused the call for a reason of its own (a missing schema, an
        /// answer this program cannot read).
        case databaseError = "database-error"
        /// The store's directory or the secret file could not be used.
        case fileError = "file-error"
        /// The state file could not be read or written.
        case stateError = "state-error"
        /// The user already has an active enrollment, and the change would replace it.
        case alreadyEnrolled = "already-enrolled"
        /// An enrollment the admin started is pending for the user: a server role may not
        /// replace it.
        case adminPending = "admin-pending"
        /// The user has no enrollment (or nothing pending) for the change to act on.
        case notEnrolled = "not-enrolled"
        /// The caller lacks the right: the database role may not do this.
        case notAllowed = "not-allowed"
        /// The store refused an argument.
        case invalidArgument = "invalid-argument"
        /// The system's random number generator or crypto library failed.
        case systemError = "error"
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// A file-store failure: the secret file or the store directory.
    public init(file error: StoreError) {
        self.init(.fileError, error.description)
    }

    /// A fleet failure, kind for kind; an answer that cannot be read is a database error.
    public init(_ error: FleetError) {
        switch error.kind {
        case .databaseUnavailable: self.init(.databaseUnavailable, error.description)
        case .alreadyEnrolled: self.init(.alreadyEnrolled, error.description)
        case .adminPending: self.init(.adminPending, error.description)
        case .notEnrolled: self.init(.notEnrolled, error.description)
        case .notAllowed: self.init(.notAllowed, error.description)
        case .invalidArgument: self.init(.invalidArgument, error.description)
        case .databaseError, .malformedAnswer: self.init(.databaseError, "\(error.kind.rawValue): \(error.description)")
        }
    }
}
