import Testing
import TwoFactorCore
import TwoFactorStore

/// The one life of an enrollment every `EnrollmentAdministration` must give the same
/// answers to: nothing, pending, a wrong and a right confirmation, replay, a backup code
/// once, throttle and unlock, new backup codes, replacement, import, and reset. Run by
/// TwoFactorStoreTests against the file and in-memory stores and by FleetTests against
/// the database, each with `now` giving the store's time.
public enum AdministrationContract {
    /// Runs the life for `user` (who must have nothing yet) against `store`.
    public static func run(_ store: some EnrollmentAdministration, user: String, now: () -> Int64) throws {
        let context = LoginContext(service: "contract", rhost: nil)
        func login(_ answer: String) throws -> LoginVerification {
            try store.verify(user: user, answer: answer, context: context)
        }

        // Nothing yet.
        #expect(try store.status(user: user) == EnrollmentStatus(phase: .notEnrolled))
        #expect(try !store.hasEnrollment(user: user))
        #expect(try !store.reset(user: user))
        #expect(try store.unlock(user: user) == nil)
        #expect(try store.regenerateBackupCodes(user: user) == nil)
        #expect(try store.confirmPending(user: user, code: "123456", replace: false) == .notPending)

        // Pending: ignored by logins until a right code confirms it.
        let secret = Array("contract secret 0001".utf8)
        let record = SecretRecord(secret: secret, parameters: .standard, created: now())
        let until = try store.beginPending(user: user, record: record)
        #expect(abs(until - now() - NewEnrollment.pendingLifetime) <= 5)
        let pending = try store.status(user: user)
        #expect(pending.phase == .pending && pending.pendingUntil == until)
        #expect(try !store.hasEnrollment(user: user))
        let code = AuthenticatorApp.code(secret, at: now())
        #expect(try login(code).outcome == .notEnrolled, "a pending enrollment does not log in")
        let wrong = code == "000000" ? "000001" : "000000"
        guard case .rejected = try store.confirmPending(user: user, code: wrong, replace: false) else {
            Issue.record("a wrong code confirmed the pending enrollment")
            return
        }
        guard case .accepted(let backupCodes) = try store.confirmPending(user: user, code: code, replace: false) else {
            Issue.record("the right code did not confirm the pending enrollment")
            return
        }
        #expect(backupCodes.count == BackupCodes.count && Set(backupCodes).count == BackupCodes.count)
        #expect(try store.confirmPending(user: user, code: code, replace: false) == .notPending)

        // Active: the confirming code is used up, a backup code works once.
        let active = try store.status(user: user)
        #expect(active.phase == .enrolled && active.parameters == .standard && active.backupCodesLeft == BackupCodes.count)
        #expect(active.pendingUntil == nil && active.failures == 0 && !active.locked)
        #expect(active.credentialCount == 1 && active.lastAccepted == nil, "no login yet: \(active)")
        #expect(try store.hasEnrollment(user: user))
        #expect(try login(code).outcome == .replayed)
        #expect(try login(backupCodes[0]).outcome == .acceptedBackup)
        #expect(try login(backupCodes[0]).outcome == .rejected)
        #expect(try store.status(user: user).backupCodesLeft == BackupCodes.count - 1)
        #expect(try store.status(user: user).lastAccepted != nil, "the accepted login is recorded")
        #expect {
            try store.activate(user: user, record: record, lastStep: 0, replace: false)
        } throws: { ($0 as? EnrollmentStoreError)?.kind == .alreadyEnrolled }

        // Throttle and unlock.
        var failures = try store.status(user: user).failures
        for _ in 0..<ThrottlePolicy.standard.throttleAfter where failures < ThrottlePolicy.standard.throttleAfter {
            failures = try login(wrong).failures
        }
        let throttled = try store.status(user: user)
        #expect(throttled.failures == failures && throttled.throttledUntil != nil)
        #expect(try store.unlock(user: user) == UnlockedState(failures: failures, locked: false))
        let unlocked = try store.status(user: user)
        #expect(unlocked.failures == 0 && unlocked.throttledUntil == nil)
        #expect(try login(code).outcome == .replayed, "unlock keeps the used steps")

        // New backup codes: the old ones stop working.
        let fresh = try #require(try store.regenerateBackupCodes(user: user))
        #expect(fresh.count == BackupCodes.count && Set(fresh).isDisjoint(with: backupCodes))
        #expect(try store.status(user: user).backupCodesLeft == BackupCodes.count)
        #expect(try login(backupCodes[1]).outcome == .rejected)
        #expect(try login(fresh[0]).outcome == .acceptedBackup)

        // Replacement: the new secret, its first code used, new backup codes.
        let secondSecret = Array("contract secret 0002".utf8)
        let second = SecretRecord(secret: secondSecret, parameters: .standard, created: now())
        let step = UInt64(now() / 30)
        let activation = try store.activate(user: user, record: second, lastStep: step, replace: true)
        #expect(activation.stateReset && activation.backupCodes.count == BackupCodes.count)
        #expect(try store.status(user: user).lastAccepted == nil, "a new enrollment starts without a login")
        #expect(try login(AuthenticatorApp.code(secondSecret, at: Int64(step) * 30)).outcome == .replayed)
        #expect(try login(fresh[1]).outcome == .rejected, "the old backup codes went with the old secret")
        #expect(try login(activation.backupCodes[0]).outcome == .acceptedBackup)

        // Import: the secret, its used steps and its scratch codes (one per tag).
        let thirdSecret = Array("contract secret 0003".utf8)
        let third = SecretRecord(secret: thirdSecret, parameters: .standard, created: now())
        let thirdUsed = [CredentialState(fingerprint: third.fingerprint, lastCounter: step)]
        let imported = try store.importEnrollment(user: user, record: third, used: thirdUsed,
                                                  scratchCodes: ["31415926", "27182818", "31415926"], mode: .replace)
        #expect(imported.backupCodes == ["31415926", "27182818"])
        #expect(try store.status(user: user).backupCodesLeft == 2)
        #expect(try login("27182818").outcome == .acceptedBackup)
        #expect(try login(AuthenticatorApp.code(thirdSecret, at: Int64(step) * 30)).outcome == .replayed)

        // Reset: nothing left.
        #expect(try store.reset(user: user))
        #expect(try store.status(user: user) == EnrollmentStatus(phase: .notEnrolled))
        #expect(try login(AuthenticatorApp.code(thirdSecret, at: now())).outcome == .notEnrolled)
        #expect(try !store.reset(user: user))
    }

    /// Enrollment at login for `user` (who must have nothing yet): offered, activated by a
    /// right code with its step used up, and refused as "changed meanwhile" a second time.
    public static func enrollAtLogin(_ store: some EnrollmentAdministration, user: String, now: () -> Int64) throws {
        let secret = Array("login enrollment 001".utf8)
        let record = SecretRecord(secret: secret, parameters: .standard, created: now())
        #expect(try store.offerAtLogin(user: user, record: record) == nil)
        #expect(try !store.hasEnrollment(user: user), "an offer activates nothing")
        let time = now()
        let code = AuthenticatorApp.code(secret, at: time)
        let step = UInt64(time / 30)
        guard case .activated(let backupCodes) = try store.activateAtLogin(user: user, record: record, code: code, step: step) else {
            Issue.record("the right code did not activate the enrollment at login")
            return
        }
        #expect(backupCodes.count == BackupCodes.count)
        #expect(try store.hasEnrollment(user: user))
        let context = LoginContext(service: "contract", rhost: nil)
        #expect(try store.verify(user: user, answer: code, context: context).outcome == .replayed)
        #expect(try store.verify(user: user, answer: backupCodes[0], context: context).outcome == .acceptedBackup)
        guard case .changedMeanwhile = try store.activateAtLogin(user: user, record: record, code: code, step: step) else {
            Issue.record("a second activation at login replaced the enrollment")
            return
        }
        #expect(try store.reset(user: user))
    }

    /// The grace of `grace_period=` for `user` (who must have nothing yet): an accepted code
    /// with a place records it, a backup code does not, and unlock, new backup codes, a new
    /// enrollment and reset each clear it.
    public static func grace(_ store: some EnrollmentAdministration, user: String, now: () -> Int64) throws {
        let secret = Array("grace enrollment 001".utf8)
        let step = UInt64(now() / 30)
        let record = SecretRecord(secret: secret, parameters: .standard, created: now())
        var backupCodes = try store.activate(user: user, record: record, lastStep: step - 3, replace: false).backupCodes
        let place = "tty /dev/pts/7"
        let withGrace = LoginContext(service: "sudo", rhost: nil, graceKey: place)
        func age() throws -> Int64? { try store.graceAge(user: user, service: "sudo", key: place) }
        func code(_ back: UInt64) -> String { AuthenticatorApp.code(secret, at: Int64(step - back) * 30) }

        #expect(try age() == nil)
        #expect(try store.verify(user: user, answer: backupCodes[0], context: withGrace).outcome == .acceptedBackup)
        #expect(try age() == nil, "a backup code gives no grace")
        #expect(try store.verify(user: user, answer: code(1), context: withGrace).outcome == .acceptedTOTP)
        let started = try #require(try age(), "an accepted code records the grace")
        #expect(started >= 0 && started < 10)
        #expect(try store.graceAge(user: user, service: "sshd", key: place) == nil, "only for its service")
        #expect(try store.graceAge(user: user, service: "sudo", key: "tty /dev/pts/8") == nil, "only for its place")
        _ = try store.unlock(user: user)
        #expect(try age() == nil, "unlock ends it")

        #expect(try store.verify(user: user, answer: code(0), context: withGrace).outcome == .acceptedTOTP)
        #expect(try age() != nil)
        backupCodes = try #require(try store.regenerateBackupCodes(user: user))
        #expect(try age() == nil, "new backup codes end it")

        let freshSecret = Array("grace enrollment 002".utf8)
        let fresh = SecretRecord(secret: freshSecret, parameters: .standard, created: now())
        _ = try store.activate(user: user, record: fresh, lastStep: step - 3, replace: true)
        #expect(try store.verify(user: user, answer: AuthenticatorApp.code(freshSecret, at: now()), context: withGrace)
                .outcome == .acceptedTOTP)
        #expect(try age() != nil)
        _ = try store.activate(user: user, record: record, lastStep: step, replace: true)
        #expect(try age() == nil, "a new enrollment ends it")
        #expect(try store.reset(user: user))
        #expect(try age() == nil)
    }
}

extension AdministrationContract {
    /// An import of several credentials for `user` (who must have nothing yet), in a store
    /// that holds them (files, memory, the database): a TOTP credential's used step and a HOTP credential's
    /// counter carry over, an enrolled user is refused unless replaced or added to, added
    /// credentials keep the backup codes, and a refused addition changes nothing.
    public static func importSeveral(_ store: some EnrollmentAdministration, user: String, now: () -> Int64) throws {
        let context = LoginContext(service: "contract", rhost: nil)
        func login(_ answer: String) throws -> LoginVerification {
            try store.verify(user: user, answer: answer, context: context)
        }
        let time = now()
        let step = UInt64(time / 30)
        let totp = Credential(id: 1, label: "phone", secret: Array("imported totp secret".utf8), parameters: .standard,
                              created: time)
        let hotp = Credential(id: 2, label: "token", kind: .hotp(counter: 5), algorithm: .sha1, digits: 8,
                              secret: Array("imported hotp secret".utf8), created: time)
        let backupKey = Array("imported backup key!".utf8)
        let record = SecretRecord(credentials: [totp, hotp], created: time, backupKey: backupKey)
        let used = [CredentialState(fingerprint: totp.fingerprint, lastCounter: step),
                    CredentialState(fingerprint: hotp.fingerprint, lastCounter: 4)]
        let activation = try store.importEnrollment(user: user, record: record, used: used, scratchCodes: ["12345678"],
                                                    mode: .new)
        #expect(activation.backupCodes == ["12345678"])
        #expect(try store.status(user: user).credentialCount == 2)
        #expect(try login(try #require(totp.code(forCounter: step))).outcome == .replayed, "the used step stays used")
        #expect(try login(try #require(hotp.code(forCounter: 4))).outcome == .rejected, "below the counter")
        #expect(try login(try #require(hotp.code(forCounter: 6))).outcome == .acceptedHOTP)
        #expect(try !login(try #require(hotp.code(forCounter: 6))).outcome.isAccepted, "the counter moved past it")
        #expect {
            try store.importEnrollment(user: user, record: record, used: [], scratchCodes: [], mode: .new)
        } throws: { ($0 as? EnrollmentStoreError)?.kind == .alreadyEnrolled }

        // Added: next ids, the backup codes stay; a repeated label or a ninth credential changes nothing.
        var third = hotp
        third.label = "token-2"
        third.secret = Array("imported third secret".utf8)
        _ = try store.importEnrollment(user: user, record: SecretRecord(credentials: [third], created: time, backupKey: backupKey),
                                       used: [], scratchCodes: [], mode: .add)
        let added = try store.status(user: user)
        #expect(added.credentials.map(\.label) == ["phone", "token", "token-2"])
        #expect(added.credentials.map(\.id) == [1, 2, 3])
        #expect(added.backupCodesLeft == 1)
        #expect(try login(try #require(third.code(forCounter: 5))).outcome == .acceptedHOTP)
        let before = try store.status(user: user)
        let many = (0..<6).map { index in
            var next = third
            next.id = index + 1
            next.label = "extra-\(index)"
            return next
        }
        #expect {
            try store.importEnrollment(user: user, record: SecretRecord(credentials: many, created: time, backupKey: backupKey),
                                       used: [], scratchCodes: [], mode: .add)
        } throws: { ($0 as? EnrollmentStoreError)?.kind == .invalidArgument }
        #expect {
            try store.importEnrollment(user: user, record: SecretRecord(credentials: [totp], created: time, backupKey: backupKey),
                                       used: [], scratchCodes: [], mode: .add)
        } throws: { ($0 as? EnrollmentStoreError)?.kind == .invalidArgument }
        #expect(try store.status(user: user) == before)

        // Replaced: only the new credential and the new scratch codes.
        _ = try store.importEnrollment(user: user, record: SecretRecord(credentials: [totp], created: time, backupKey: backupKey),
                                       used: [], scratchCodes: [], mode: .replace)
        #expect(try store.status(user: user).credentials.map(\.label) == ["phone"])
        #expect(try store.status(user: user).backupCodesLeft == 0)
        #expect(try store.reset(user: user))
    }
}
