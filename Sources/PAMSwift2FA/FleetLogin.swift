import CPAM
import TwoFactorCore
import TwoFactorStore

/// A login in fleet mode (the configuration file names a `database`): the file store is
/// never read. The module prompts, and `swift2fa.verify` checks the answer and applies the
/// fleet's one policy (replay, throttle, lock) in one transaction under the user's row lock.
/// With `nullok`, `split_answer` or `enroll` the database is first asked how many digits
/// the user's codes have (nil: not enrolled; `enroll` then offers an enrollment, which
/// `LoginEnrollment` activates in the database).
///
/// The database is reached through the local pooler only (`PoolerConnection`: the v3
/// protocol spoken here, no libpq, no environment), on one connection for the whole
/// login: opened at the first call, closed when the attempt ends, on every path, or, by a
/// `split_answer` instance, handed on to the instance that verifies (`AttemptDatabase`).
///
/// Fails closed: a database that cannot be reached, answers too late or is read-only ends
/// the attempt with PAM_AUTHINFO_UNAVAIL and `result=database-unavailable`, whatever
/// `nullok` says; any other database error is never taken for "not enrolled".
struct FleetLogin {
    let authenticator: Authenticator
    let options: ModuleOptions
    let settings: FleetSettings
    let log: PAMLog

    /// Runs the attempt for the canonical `account` (nil: no such local user, whose answer
    /// is checked under the name given, so that it costs what a not-enrolled user's costs).
    func run(account: PasswdEntry?, givenUser: String) throws(AttemptEnd) -> AttemptEnd {
        let database = AttemptDatabase(settings: settings, conversation: authenticator.conversation)
        defer { database.close() }
        return try run(account: account, givenUser: givenUser, database: database)
    }

    private func run(account: PasswdEntry?, givenUser: String, database: AttemptDatabase) throws(AttemptEnd) -> AttemptEnd {
        if options.policy != .standard {
            log.notice("window, throttle and lock options are ignored in fleet mode: the database's settings table is the policy")
        }
        let user = account?.name ?? givenUser
        let reason = account == nil ? "unknown user" : "not enrolled in the fleet database"
        // Only `nullok` (PAM_IGNORE before any prompt), `split_answer` (the split needs the
        // number of digits) and `enroll` (the offer comes instead of the prompt) must ask the
        // database before the prompt; otherwise one call, after it, does it all. Either way
        // one connection serves the attempt.
        var digits = OTPParameters.standard.digits
        if options.nullok || options.answerSource == .split || options.enroll {
            let enrolledDigits: Int?
            do throws(FleetError) { enrolledDigits = try database.store().promptDigits(user: user) } catch {
                throw Self.refusal(error)
            }
            if let enrolledDigits {
                digits = enrolledDigits
            } else if options.enroll, let account, let enrollment = try LoginEnrollment(
                conversation: authenticator.conversation, options: options, destination: .fleet(database),
                account: account, log: log
            ).offer() {
                return enrollment
            } else if options.nullok {
                return AttemptEnd("not-enrolled", "\(reason), nullok", code: PAM_IGNORE)
            }
        }
        let answer = try authenticator.obtainAnswer(options: options, digits: digits)
        if options.answerSource == .split {
            database.handOver()
            return AttemptEnd("code-kept", "for the use_first_pass instance", code: PAM_IGNORE)
        }
        let verification = try check(user: user, answer: answer, database: database)
        switch verification.outcome {
        case .acceptedTOTP, .acceptedBackup:
            return AttemptEnd(verification.outcome.rawValue, nil, code: PAM_SUCCESS)
        case .throttled:
            throw AttemptEnd("throttled", "until \(verification.throttledUntil) after \(verification.failures) failures",
                             code: PAM_AUTH_ERR)
        case .locked:
            throw AttemptEnd("locked", "run swift-2fa-setup unlock --user \(user)", code: PAM_AUTH_ERR)
        case .rejected, .replayed:
            throw AttemptEnd(verification.outcome.rawValue, "\(verification.failures) consecutive failures",
                             code: PAM_AUTH_ERR)
        case .notEnrolled:
            // Asked and checked like an enrolled user's answer (the database spent what a
            // check costs), so whether a user is enrolled cannot be probed.
            throw AttemptEnd("not-enrolled", reason, code: PAM_AUTH_ERR)
        }
    }

    private func check(user: String, answer: String, database: AttemptDatabase) throws(AttemptEnd) -> PoolerStore.Verification {
        do throws(FleetError) {
            return try database.store().verify(user: user, answer: answer, service: authenticator.conversation.item(PAM_SERVICE) ?? "",
                                    rhost: authenticator.conversation.item(PAM_RHOST))
        } catch {
            throw Self.refusal(error)
        }
    }

    /// How a database failure ends the attempt: an outage is PAM_AUTHINFO_UNAVAIL
    /// (`database-unavailable`); anything else (a role without the server rights, a missing
    /// schema, an unreadable answer) is `database-error`.
    static func refusal(_ error: FleetError) -> AttemptEnd {
        switch error.kind {
        case .databaseUnavailable:
            return AttemptEnd("database-unavailable", error.description, code: PAM_AUTHINFO_UNAVAIL)
        default:
            return AttemptEnd("database-error", "\(error.kind.rawValue): \(error.description)", code: PAM_AUTHINFO_UNAVAIL)
        }
    }
}

