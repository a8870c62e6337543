import TwoFactorCore
import TwoFactorStore

/// Checking an answer exactly as a login does (same policy, state and lock, in whichever
/// store serves the user), and the consent a change needs.
extension ManagedUser {
    /// Checks `answer` (a code or a backup code) as a login would, and uses it up.
    func verify(_ answer: String) throws(SetupFailure) -> LoginVerification {
        try storeCall { () throws(EnrollmentStoreError) in
            try enrollments.verify(user: user, answer: answer, context: LoginContext(service: "swift-2fa-setup", rhost: nil))
        }
    }

    /// Exit status 2 unless the user has an active enrollment.
    func requireEnrollment() throws(SetupFailure) {
        guard try storeCall({ () throws(EnrollmentStoreError) in try enrollments.hasEnrollment(user: user) }) else {
            throw SetupFailure(.notEnrolled, "\(user) is not enrolled")
        }
    }

    /// Fails unless the user can be (re-)enrolled: not enrolled yet, or `force`. An
    /// enrollment that cannot be read is reported and left alone unless `force`.
    func requireReplaceable(force: Bool) throws(SetupFailure) {
        guard !force else { return }
        let enrolled: Bool
        do throws(EnrollmentStoreError) { enrolled = try enrollments.hasEnrollment(user: user) } catch {
            guard error.kind == .fileError else { throw SetupFailure(error) }
            throw .io("the existing enrollment of \(user) cannot be used (\(error.description)); "
                      + "it was left as it is; use --force to replace it")
        }
        if enrolled { throw .usage("\(user) is already enrolled; use --force to replace the enrollment") }
    }

    /// The refusal for an answer that was not accepted.
    func refusal(for verification: LoginVerification) -> SetupFailure {
        switch verification.outcome {
        case .acceptedTOTP, .acceptedHOTP, .acceptedBackup, .rejected, .enrollmentChanged:
            return SetupFailure(.refused, "wrong code for \(user)")
        case .replayed:
            return SetupFailure(.refused, "this code of \(user) was already used; wait for the next one")
        case .throttled:
            return SetupFailure(.refused, "too many wrong codes for \(user); try again after "
                                + Output.isoDate(verification.throttledUntil))
        case .locked:
            return SetupFailure(.refused, "\(user) is locked after too many wrong codes; "
                                + "root can run 'swift-2fa-setup unlock --user \(user)'")
        case .notEnrolled:
            return SetupFailure(.notEnrolled, "\(user) is not enrolled")
        }
    }

    /// Authorizes a change that needs the user's consent: root naming `--user` needs no
    /// code; anyone else must give a code (prompted for when `code` is nil), which is used
    /// up as at a login. With `credentialCodeOnly`, a backup code does not do.
    func authorize(code: String?, credentialCodeOnly: Bool = false) throws(SetupFailure) {
        guard let answer = try consentAnswer(code: code, backupAllowed: !credentialCodeOnly) else { return }
        let verification = try verify(answer)
        guard verification.outcome.isAccepted, !(credentialCodeOnly && verification.outcome == .acceptedBackup) else {
            throw refusal(for: verification)
        }
    }

    /// The code that authorizes a change for the user: nil when root names `--user` and gives
    /// no code (no consent needed); else `code`, or one prompted for on the terminal.
    private func consentAnswer(code: String?, backupAllowed: Bool) throws(SetupFailure) -> String? {
        if invokerIsRoot && userGiven && code == nil { return nil }
        if let code { return code }
        Output.write(backupAllowed ? "Enter a code from your app, or a backup code: " : "Enter a code of one of your credentials: ")
        guard let line = readLine() else { throw SetupFailure(.refused, "no code entered") }
        return line
    }
}
