/// Why an `EnrollmentStore` could not answer. Its kind's raw value is the module's
/// `result=` word; none of them is ever "not enrolled".
public struct EnrollmentStoreError: Error, Equatable, CustomStringConvertible {
    public enum Kind: String, Equatable, Sendable {
        /// The database could not be reached, answered too late, was read-only, or sent an
        /// answer that cannot be trusted.
        case databaseUnavailable = "database-unavailable"
        /// The database refused the call (a role without the server rights, a missing
        /// schema, a bad argument).
        case databaseError = "database-error"
        /// The store's directory or the secret file could not be used.
        case fileError = "file-error"
        /// The state file could not be read or written.
        case stateError = "state-error"
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// A fleet failure: an outage is `.databaseUnavailable`, anything else `.databaseError`.
    public init(_ error: FleetError) {
        switch error.kind {
        case .databaseUnavailable: self.init(.databaseUnavailable, error.description)
        default: self.init(.databaseError, "\(error.kind.rawValue): \(error.description)")
        }
    }
}
