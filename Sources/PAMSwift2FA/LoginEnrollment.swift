import CPAM
import CQRLoader
import Glibc
import TwoFactorCore
import TwoFactorStore

/// Enrollment at login (option `enroll`). The password module has accepted the user,
/// who has no enrollment and none pending: the module shows a new secret (QR code,
/// grouped text, otpauth URI), asks for a code from the app (3 tries), and on a right
/// code activates the enrollment exactly as `swift-2fa-setup confirm` does (under the
/// user's lock, atomic files, hashed backup codes, a fresh state whose last step is
/// the confirming one), shows the backup codes once (with a prompt to acknowledge
/// them, so that clients that show messages only with a prompt show them too) and
/// accepts this login.
///
/// Nothing is stored unless a code was right. Under `nullok` an empty answer means
/// "not now" and every refusal becomes PAM_IGNORE, so the offer comes again next time.
struct LoginEnrollment {
    let conversation: Conversation
    let options: ModuleOptions
    let store: Store
    let account: PasswdEntry
    let log: PAMLog

    /// Runs the enrollment when the user may be offered one and returns the PAM code
    /// (after the attempt's final log line). Nil when the user is not offered one
    /// (not in `enroll_group`, or a pending enrollment waits for `confirm`): the caller
    /// then goes on as without `enroll`. Fails closed on a name-service or store error.
    func offer(attempt: inout AttemptLog) -> Int32? {
        if let group = options.enrollGroup {
            switch GroupMembership.check(user: account.name, primaryGID: account.gid, group: group) {
            case .member:
                break
            case .notMember:
                log.debug("not offering enrollment: not a member of \(group)")
                return nil
            case .noSuchGroup:
                log.error("enroll_group=\(AttemptLog.printable(group)): no such group, so nobody is offered enrollment")
                return nil
            case .lookupError(let problem):
                return attempt.finish("nss-error", reason: problem, code: PAM_AUTH_ERR)
            }
        }
        switch store.readPending(user: account.name) {
        case .failure(let problem):
            return attempt.finish("file-error", reason: problem.description, code: PAM_AUTH_ERR)
        case .success(.some):
            log.debug("not offering enrollment: a pending enrollment waits for swift-2fa-setup confirm")
            return nil
        case .success(nil):
            return enroll(attempt: &attempt)
        }
    }

    /// Shows the new secret, checks up to 3 codes, and activates on the first right one.
    private func enroll(attempt: inout AttemptLog) -> Int32 {
        let postpone = options.nullok
        let refusal = postpone ? PAM_IGNORE : PAM_AUTH_ERR
        guard let secret = SecureRandom.bytes(NewEnrollment.secretLength) else {
            return attempt.finish("error", reason: "the system random number generator failed", code: PAM_AUTH_ERR)
        }
        let record = SecretRecord(secret: secret, parameters: .standard, created: Int64(time(nil)))
        let uri = OTPAuthURI(issuer: HostName.current(), account: account.name, secret: secret, parameters: .standard)
        let qr = LoginQRCode.matrix(for: uri.text)
        if qr == nil { log.error("no QR code for the enrollment at login: cannot use \(S2FA_QRENCODE_SONAME)") }
        guard conversation.tell(EnrollmentText.loginOffer(uri: uri, qr: qr, skippable: postpone)) else {
            return attempt.finish("conversation-error", reason: "the enrollment could not be shown", code: PAM_CONV_ERR)
        }
        var accepted: UInt64?
        for tryNumber in 1...NewEnrollment.tries {
            let answer: String
            switch conversation.ask(options.prompt ?? ModuleOptions.defaultPrompt, echo: options.echoCode) {
            case .success(let text): answer = text
            case .failure(let code):
                return attempt.finish("conversation-error", reason: "no answer during enrollment; nothing stored", code: code.value)
            }
            if postpone && answer.utf8.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
                return attempt.finish("enroll-abandoned", reason: "postponed (empty answer), nullok", code: PAM_IGNORE)
            }
            if let step = NewEnrollment.acceptedStep(of: answer, record: record, now: Int64(time(nil))) {
                accepted = step
                break
            }
            let left = NewEnrollment.tries - tryNumber
            if left > 0 && !conversation.tell(EnrollmentText.wrongCode(triesLeft: left), error: true) {
                return attempt.finish("conversation-error", reason: "a message could not be shown; nothing stored", code: PAM_CONV_ERR)
            }
        }
        guard let step = accepted else {
            return attempt.finish("enroll-abandoned", reason: "\(NewEnrollment.tries) wrong codes; nothing stored"
                                  + (postpone ? ", nullok" : ""), code: refusal)
        }
        guard let backup = NewEnrollment.backupCodes() else {
            return attempt.finish("error", reason: "cannot create the backup codes; nothing stored", code: PAM_AUTH_ERR)
        }
        var active = record
        active.backupCodes = backup.hashes
        active.created = Int64(time(nil))
        if let problem = activate(active, lastStep: step) {
            return attempt.finish("file-error", reason: "enrollment not stored: \(problem)", code: PAM_AUTH_ERR)
        }
        // The user proved the code; a client that cannot show the codes does not undo that.
        let shown = conversation.tell(EnrollmentText.loginActivated(user: account.name, backupCodes: backup.codes))
        var acknowledged = false
        if shown, case .success = conversation.ask(EnrollmentText.loginBackupCodesPrompt, echo: true) { acknowledged = true }
        return attempt.finish("enrolled", reason: acknowledged ? nil : "the backup codes may not have been seen", code: PAM_SUCCESS)
    }

    /// Writes the secret and a fresh state under the user's lock, unless another login or
    /// swift-2fa-setup enrolled the user meanwhile. Nil on success, else the reason.
    private func activate(_ record: SecretRecord, lastStep: UInt64) -> String? {
        let user = account.name
        let lock: UserLock
        switch store.lock(user: user) {
        case .success(let acquired): lock = acquired
        case .failure(let problem): return problem.description
        }
        defer { lock.release() }
        switch (store.readSecret(user: user), store.readPending(user: user)) {
        case (.failure(let problem), _), (_, .failure(let problem)):
            return problem.description
        case (.success(nil), .success(nil)):
            break
        default:
            return "\(user) was enrolled meanwhile"
        }
        let secretPath = store.secretPath(for: user)
        if let problem = Store.writeSecret(record, to: secretPath) { return problem.description }
        if let problem = store.writeState(UserState.fresh(for: record, lastStep: lastStep), user: user) {
            // Take the secret back out, so the failure leaves nothing behind.
            _ = AtomicFile.remove(secretPath)
            return problem.description
        }
        return nil
    }
}
