import CPAM
import TwoFactorStore

/// How a store's answer ends the attempt: the one table from outcome and store failure to
/// the log line's `result=` word, its reason and the PAM code.
enum LoginOutcomes {
    /// Acceptance is returned (PAM_SUCCESS); every other outcome is thrown (PAM_AUTH_ERR).
    static func end(_ verification: LoginVerification, user: String, notEnrolledReason: String) throws(AttemptEnd) -> AttemptEnd {
        let word = verification.outcome.rawValue
        switch verification.outcome {
        case .acceptedTOTP, .acceptedHOTP, .acceptedBackup:
            return AttemptEnd(word, nil, code: PAM_SUCCESS, credential: verification.credential)
        case .throttled:
            throw AttemptEnd(word, "until \(verification.throttledUntil) after \(verification.failures) failures", code: PAM_AUTH_ERR)
        case .locked:
            throw AttemptEnd(word, "run swift-2fa-setup unlock --user \(user)", code: PAM_AUTH_ERR)
        case .rejected, .replayed:
            let failures = "\(verification.failures) consecutive failures"
            throw AttemptEnd(word, verification.drift.map { failures + "; " + $0 } ?? failures, code: PAM_AUTH_ERR)
        case .notEnrolled:
            throw AttemptEnd(word, notEnrolledReason, code: PAM_AUTH_ERR)
        case .enrollmentChanged:
            throw AttemptEnd(word, "the enrollment was replaced or removed during the attempt", code: PAM_AUTH_ERR)
        }
    }

    /// A store that could not answer: the database's failures are PAM_AUTHINFO_UNAVAIL
    /// (whatever `nullok` says), the files' PAM_AUTH_ERR.
    static func refusal(_ error: EnrollmentStoreError) -> AttemptEnd {
        switch error.kind {
        case .databaseUnavailable, .databaseError:
            return AttemptEnd(error.kind.rawValue, error.description, code: PAM_AUTHINFO_UNAVAIL)
        case .alreadyEnrolled, .adminPending, .notEnrolled, .notAllowed, .invalidArgument:
            // A login's call refused by the database (a role without the server rights).
            return AttemptEnd(EnrollmentStoreError.Kind.databaseError.rawValue, "\(error.kind.rawValue): \(error.description)",
                              code: PAM_AUTHINFO_UNAVAIL)
        case .fileError, .stateError, .systemError:
            return AttemptEnd(error.kind.rawValue, error.description, code: PAM_AUTH_ERR)
        }
    }
}
