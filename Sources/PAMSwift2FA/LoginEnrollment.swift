import CPAM
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
///
/// The store decides what "offer" and "activate" mean (`LoginEnrollmentStore`
/// `offerAtLogin`, `activateAtLogin`): the file store stores nothing before a right code and
/// activates under the user's lock; the fleet first makes the new secret a pending
/// enrollment with the server role's `begin_pending`, before it is shown, and the right code
/// activates it with `confirm_pending`, which checks the code again. Either refuses when the
/// user was enrolled meanwhile.
struct LoginEnrollment {
    let conversation: Conversation
    let options: ModuleOptions
    /// Where the new enrollment goes.
    let enrollments: any LoginEnrollmentStore
    /// The canonical account (no enrollment).
    let account: PasswdEntry
    let log: PAMLog

    /// Runs the enrollment when the user may be offered one; returns how the attempt ends
    /// (PAM_SUCCESS, or PAM_IGNORE under `nullok`) or throws the refusal. Nil when the user
    /// is not offered one (not in `enroll_group`, a pending enrollment waits for `confirm`,
    /// or the fleet database refuses this server the enrollment): the caller then goes on as
    /// without `enroll`. Fails closed on a name-service, store or database error.
    func offer() throws(AttemptEnd) -> AttemptEnd? {
        if let group = options.enrollGroup {
            switch GroupMembership.check(user: account.name, primaryGID: account.gid, group: group) {
            case .member:
                break
            case .notMember:
                log.debug("not offering enrollment: not a member of \(group)")
                return nil
            case .noSuchGroup:
                log.error("enroll_group=\(AttemptLog.quoted(group)): no such group, so nobody is offered enrollment")
                return nil
            case .lookupError(let problem):
                throw AttemptEnd("nss-error", problem, code: PAM_AUTHINFO_UNAVAIL)
            }
        }
        return try enroll()
    }

    /// Shows the new secret, checks up to 3 codes, and activates on the first right one.
    /// Nil when the store does not let the user be offered one now.
    private func enroll() throws(AttemptEnd) -> AttemptEnd? {
        let postpone = options.nullok
        guard let secret = SecureRandom.bytes(NewEnrollment.secretLength) else {
            throw AttemptEnd("error", "the system random number generator failed", code: PAM_AUTH_ERR)
        }
        let record = SecretRecord(secret: secret, parameters: .standard, created: Int64(time(nil)))
        let refusal: LoginOfferRefusal?
        do throws(EnrollmentStoreError) { refusal = try enrollments.offerAtLogin(user: account.name, record: record) } catch {
            throw LoginOutcomes.refusal(error)
        }
        if let refusal {
            let line = "not offering enrollment: " + refusal.reason
            if refusal.needsAdmin { log.error(line) } else { log.debug(line) }
            return nil
        }
        let uri = OTPAuthURI(issuer: HostName.current(), account: account.name, secret: secret, parameters: .standard)
        let tty = conversation.item(PAM_TTY)
        let drawQR = options.enrollQR.draws(tty: tty)
        log.debug("enroll_qr=\(options.enrollQR.rawValue), PAM_TTY \(tty.map(AttemptLog.quoted) ?? "unset"): "
                  + (drawQR ? "QR code drawn" : "no QR code"))
        let qr = drawQR ? QRCodeEncoder.matrix(for: uri.text) : nil
        if drawQR && qr == nil { log.error("no QR code for the enrollment at login: cannot use \(QRCodeEncoder.library)") }
        guard conversation.tell(EnrollmentText.loginOffer(uri: uri, qr: qr, drawQR: drawQR, skippable: postpone)) else {
            throw AttemptEnd("conversation-error", "the enrollment could not be shown", code: PAM_CONV_ERR)
        }
        var accepted: (step: UInt64, answer: String)?
        for tryNumber in 1...NewEnrollment.tries {
            guard let answer = conversation.ask(options.prompt ?? ModuleOptions.defaultPrompt, echo: options.echoCode) else {
                throw AttemptEnd("conversation-error", "no answer during enrollment; nothing stored", code: PAM_CONV_ERR)
            }
            if postpone && answer.utf8.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
                return AttemptEnd("enroll-abandoned", "postponed (empty answer), nullok", code: PAM_IGNORE)
            }
            if let step = NewEnrollment.acceptedStep(of: answer, record: record, now: Int64(time(nil))) {
                accepted = (step, answer)
                break
            }
            let left = NewEnrollment.tries - tryNumber
            if left > 0 && !conversation.tell(EnrollmentText.wrongCode(triesLeft: left), error: true) {
                throw AttemptEnd("conversation-error", "a message could not be shown; nothing stored", code: PAM_CONV_ERR)
            }
        }
        guard let accepted else {
            let reason = "\(NewEnrollment.tries) wrong codes; nothing stored"
            if postpone { return AttemptEnd("enroll-abandoned", reason + ", nullok", code: PAM_IGNORE) }
            throw AttemptEnd("enroll-abandoned", reason, code: PAM_AUTH_ERR)
        }
        let activation: LoginActivation
        do throws(EnrollmentStoreError) {
            activation = try enrollments.activateAtLogin(user: account.name, record: record, code: accepted.answer,
                                                         step: accepted.step)
        } catch {
            throw LoginOutcomes.refusal(error)
        }
        let backupCodes: [String]
        switch activation {
        case .activated(let codes): backupCodes = codes
        case .changedMeanwhile(let reason): throw AttemptEnd("enrollment-changed", reason, code: PAM_AUTH_ERR)
        }
        // The user proved the code; a client that cannot show the codes does not undo that.
        let shown = conversation.tell(EnrollmentText.loginActivated(user: account.name, backupCodes: backupCodes))
        let acknowledged = shown && conversation.ask(EnrollmentText.loginBackupCodesPrompt, echo: true) != nil
        return AttemptEnd("enrolled", acknowledged ? nil : "the backup codes may not have been seen", code: PAM_SUCCESS)
    }
}
