import TwoFactorCore
import TwoFactorStore

/// Checking an answer exactly as a login does: same policy, same state, same lock.
extension ManagedUser {
    /// Verifies `answer` (a TOTP code or a backup code) against `record` with the
    /// policy of the configuration file, as logins do, and stores the new state. Call inside `locked`.
    func verifyLikeLogin(_ answer: String, record: SecretRecord) throws(SetupFailure) -> VerificationPolicy.Decision {
        let state = try readState()
        let decision = policy.verify(answer: answer, record: record, state: state,
                                                          now: Enrollment.now())
        if decision.stateChanged {
            try writeState(decision.state)
        }
        return decision
    }

    /// The enrollment, or exit status 2 when there is none.
    func requireEnrollment() throws(SetupFailure) -> SecretRecord {
        guard let record = try readSecret() else {
            throw SetupFailure(.notEnrolled, "\(user) is not enrolled")
        }
        return record
    }

    /// The refusal for an outcome that did not accept the answer.
    func refusal(for outcome: VerificationOutcome) -> SetupFailure {
        switch outcome {
        case .acceptedTOTP, .acceptedBackup, .rejected:
            return SetupFailure(.refused, "wrong code for \(user)")
        case .replayed:
            return SetupFailure(.refused, "this code of \(user) was already used; wait for the next one")
        case .throttled(let until):
            return SetupFailure(.refused, "too many wrong codes for \(user); try again after \(Output.isoDate(until))")
        case .locked:
            return SetupFailure(.refused, "\(user) is locked after too many wrong codes; "
                                + "root can run 'swift-2fa-setup unlock --user \(user)'")
        }
    }

    /// Authorizes a change that needs the user's consent: root naming `--user` needs no
    /// code; anyone else must give a code (prompted for when `code` is nil), which is
    /// consumed as at a login. Call inside `locked`.
    func authorize(code: String?, record: SecretRecord) throws(SetupFailure) {
        guard let answer = try consentAnswer(code: code) else { return }
        let decision = try verifyLikeLogin(answer, record: record)
        guard decision.outcome.isAccepted else { throw refusal(for: decision.outcome) }
    }
}

extension ManagedUser {
    /// The code that authorizes a change for the user: nil when root names `--user` and gives
    /// no code (no consent needed); else `code`, or one prompted for on the terminal.
    func consentAnswer(code: String?) throws(SetupFailure) -> String? {
        if invokerIsRoot && userGiven && code == nil { return nil }
        if let code { return code }
        Output.write("Enter a code from your app, or a backup code: ")
        guard let line = readLine() else { throw SetupFailure(.refused, "no code entered") }
        return line
    }
}
