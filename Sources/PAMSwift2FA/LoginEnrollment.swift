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
/// In fleet mode the new secret is first made a pending enrollment with the server role's
/// `begin_pending`, before it is shown: the database refuses it when the role lacks the
/// enrollment right or an enrollment the admin started is pending (then no offer is made),
/// or the user was enrolled meanwhile. The right code then activates it with
/// `confirm_pending`, which checks the code again.
struct LoginEnrollment {
    /// Where an enrollment at login goes.
    enum Destination {
        /// The file store: the secret at the location (in the store: `enroll` excludes
        /// `secret=`), the state in the store.
        case files(Store, SecretLocation)
        /// The fleet database, on the attempt's connection.
        case fleet(AttemptDatabase)
    }

    let conversation: Conversation
    let options: ModuleOptions
    let destination: Destination
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
        if case .files(let store, _) = destination {
            let pending: SecretRecord?
            do throws(StoreError) { pending = try store.readPending(user: account.name) } catch {
                throw AttemptEnd("file-error", error.description, code: PAM_AUTH_ERR)
            }
            guard pending == nil else {
                log.debug("not offering enrollment: a pending enrollment waits for swift-2fa-setup confirm")
                return nil
            }
        }
        return try enroll()
    }

    /// Shows the new secret, checks up to 3 codes, and activates on the first right one.
    /// Nil when the fleet database refuses to start the enrollment.
    private func enroll() throws(AttemptEnd) -> AttemptEnd? {
        let postpone = options.nullok
        guard let secret = SecureRandom.bytes(NewEnrollment.secretLength) else {
            throw AttemptEnd("error", "the system random number generator failed", code: PAM_AUTH_ERR)
        }
        let record = SecretRecord(secret: secret, parameters: .standard, created: Int64(time(nil)))
        if case .fleet(let fleet) = destination, try !beginPending(record, fleet: fleet) { return nil }
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
        guard let backup = BackupCodes.generate(secret: record.secret) else {
            throw AttemptEnd("error", "cannot create the backup codes; nothing stored", code: PAM_AUTH_ERR)
        }
        var active = record
        active.backupCodes = backup.hashes
        active.created = Int64(time(nil))
        switch destination {
        case .files(let store, let location):
            try activate(active, lastStep: accepted.step, store: store, location: location)
        case .fleet(let fleet):
            try activate(active, confirmedBy: accepted.answer, backupCodes: backup.codes, fleet: fleet)
        }
        // The user proved the code; a client that cannot show the codes does not undo that.
        let shown = conversation.tell(EnrollmentText.loginActivated(user: account.name, backupCodes: backup.codes))
        let acknowledged = shown && conversation.ask(EnrollmentText.loginBackupCodesPrompt, echo: true) != nil
        return AttemptEnd("enrolled", acknowledged ? nil : "the backup codes may not have been seen", code: PAM_SUCCESS)
    }

    /// Writes the secret and a fresh state under the user's lock, unless another login or
    /// swift-2fa-setup enrolled the user meanwhile.
    private func activate(_ record: SecretRecord, lastStep: UInt64, store: Store,
                          location: SecretLocation) throws(AttemptEnd) {
        let user = account.name
        let lock: UserLock
        let enrolledMeanwhile: Bool
        do throws(StoreError) {
            lock = try store.lock(user: user)
            let secret = try Store.readSecret(at: location.path, owners: location.owners)
            let pending = try store.readPending(user: user)
            enrolledMeanwhile = secret != nil || pending != nil
        } catch {
            throw AttemptEnd("file-error", "enrollment not stored: \(error.description)", code: PAM_AUTH_ERR)
        }
        defer { lock.release() }
        if enrolledMeanwhile {
            throw AttemptEnd("enrollment-changed", "\(user) was enrolled meanwhile; the new secret was not stored",
                             code: PAM_AUTH_ERR)
        }
        do throws(StoreError) {
            try Store.writeSecret(record, to: location.path)
            do throws(StoreError) {
                try store.writeState(UserState.fresh(for: record, lastStep: lastStep), user: user)
            } catch {
                // Take the secret back out, so the failure leaves nothing behind.
                try? AtomicFile.remove(location.path)
                throw error
            }
        } catch {
            throw AttemptEnd("file-error", "enrollment not stored: \(error.description)", code: PAM_AUTH_ERR)
        }
    }

    /// Makes the new secret the user's pending enrollment in the fleet database. False, with
    /// the reason logged, when the database refuses it: this server's role lacks the
    /// enrollment right, an enrollment the admin started is pending, or the user was
    /// enrolled meanwhile.
    private func beginPending(_ record: SecretRecord, fleet: AttemptDatabase) throws(AttemptEnd) -> Bool {
        do throws(EnrollmentStoreError) {
            _ = try fleet.store().beginPending(user: account.name, secret: record.secret, parameters: record.parameters)
            return true
        } catch {
            switch error.kind {
            case .notAllowed:
                log.error("not offering enrollment: this server's database role may not enroll "
                          + "(swift-2fa-setup db grant-server ROLE --enroll)")
            case .adminPending:
                log.debug("not offering enrollment: an enrollment the admin started waits for swift-2fa-setup confirm")
            case .alreadyEnrolled:
                log.debug("not offering enrollment: enrolled meanwhile")
            default:
                throw LoginOutcomes.refusal(error)
            }
            return false
        }
    }

    /// Activates the pending enrollment in the fleet database, confirmed by the code the user
    /// gave (the database checks it with its own clock and records its step as used), unless
    /// the user was enrolled meanwhile.
    private func activate(_ record: SecretRecord, confirmedBy code: String, backupCodes: [String],
                          fleet: AttemptDatabase) throws(AttemptEnd) {
        let user = account.name
        let confirmation: PoolerStore.Confirmation
        do throws(EnrollmentStoreError) {
            confirmation = try fleet.store().confirmPending(user: user, code: code, backupCodes: backupCodes, replace: false)
        } catch where error.kind == .alreadyEnrolled {
            throw AttemptEnd("enrollment-changed", "\(user) was enrolled meanwhile; the new secret was not stored",
                             code: PAM_AUTH_ERR)
        } catch {
            throw LoginOutcomes.refusal(error)
        }
        guard confirmation == .accepted else {
            throw AttemptEnd("enrollment-changed", "the database did not confirm the enrollment (\(confirmation.rawValue))",
                             code: PAM_AUTH_ERR)
        }
    }
}
