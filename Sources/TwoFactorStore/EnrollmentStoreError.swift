/// Why an `EnrollmentStore` could not answer or refused a change: the one error type of
/// every store, and of the fleet's database calls below them (`FleetStore`,
/// `PoolerConnection`, libpq). None of its kinds is ever taken for "not enrolled" at a
/// login; `.notEnrolled` is the answer of an administrative change that has nothing to act
/// on. `description` is one line for a log or an error message; it never holds a code, a
/// backup code or a secret.
public struct EnrollmentStoreError: Error, Equatable, CustomStringConvertible {
    public enum Kind: String, Equatable, Sendable {
        /// No usable database: the pooler or libpq missing, connection refused, lost or timed
        /// out, a malformed or out-of-order message, or a read-only server. A login fails
        /// closed (PAM_AUTHINFO_UNAVAIL) and logs this word.
        case databaseUnavailable = "database-unavailable"
        /// The database refused the call for a reason of its own (a missing schema, another
        /// SQL error), or answered something this program cannot read.
        case databaseError = "database-error"
        /// The store's directory or the secret file could not be used.
        case fileError = "file-error"
        /// The state file could not be read or written.
        case stateError = "state-error"
        /// The user already has an active enrollment, and the change would replace it (SQLSTATE S2F01).
        case alreadyEnrolled = "already-enrolled"
        /// An enrollment the admin started is pending for the user: a server role may not
        /// replace it (S2F05).
        case adminPending = "admin-pending"
        /// The user has no enrollment (or nothing pending) for the change to act on (S2F02).
        case notEnrolled = "not-enrolled"
        /// The caller lacks the right: only the admin role may do this, or the role was not
        /// granted the server functions (S2F03, 42501).
        case notAllowed = "not-allowed"
        /// The store refused an argument (S2F04, or a check constraint).
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

    /// The kind a SQLSTATE of a refused statement stands for. No SQLSTATE, a read-only
    /// transaction (a standby), connection failures (08), too many connections and other
    /// lack of resources (53), shutdown, start-up and cancelled statements (57), and system
    /// and I/O errors (58) mean "no usable primary".
    public static func kind(sqlState: String) -> Kind {
        let utf8 = Array(sqlState.utf8)
        if utf8.count != 5 || sqlState == "25006" {
            return .databaseUnavailable
        }
        switch (utf8[0], utf8[1]) {
        case (UInt8(ascii: "0"), UInt8(ascii: "8")), (UInt8(ascii: "5"), UInt8(ascii: "3")),
             (UInt8(ascii: "5"), UInt8(ascii: "7")), (UInt8(ascii: "5"), UInt8(ascii: "8")):
            return .databaseUnavailable
        default:
            break
        }
        switch sqlState {
        case "S2F01": return .alreadyEnrolled
        case "S2F05": return .adminPending
        case "S2F02": return .notEnrolled
        case "S2F03", "42501": return .notAllowed
        case "S2F04", "23514", "22023", "23505": return .invalidArgument
        default: return .databaseError
        }
    }
}
