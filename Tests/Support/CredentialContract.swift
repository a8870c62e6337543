import Testing
import TwoFactorCore
import TwoFactorStore

/// The credential changes every store that holds several credentials must make the same way:
/// a pending credential confirmed by its own code, one added directly, rename, resync,
/// remove (never the last), each clearing the graces (rename aside), and replay per credential.
/// Run by TwoFactorStoreTests against the file and in-memory stores, and by FleetTests against the database.
public enum CredentialContract {
    /// RFC 4226's secret and the codes of counters 0 to 9.
    static let rfcSecret = Array("12345678901234567890".utf8)
    static let rfcCodes = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]

    /// Runs the changes for `user` (who must have nothing yet) against `store`.
    public static func run(_ store: some EnrollmentAdministration, user: String, now: () -> Int64) throws {
        let graceContext = LoginContext(service: "contract", rhost: "192.0.2.1", graceKey: "rhost 192.0.2.1")
        func login(_ answer: String) throws -> LoginVerification {
            try store.verify(user: user, answer: answer, context: graceContext)
        }
        func graceAge() throws -> Int64? { try store.graceAge(user: user, service: "contract", key: "rhost 192.0.2.1") }

        let phoneSecret = Array("credential contract1".utf8)
        let phone = SecretRecord(secret: phoneSecret, parameters: .standard, created: now())
        let step = UInt64(now() / 30)
        _ = try store.activate(user: user, record: phone, lastStep: step - 1, replace: false)

        // A pending credential: logins ignore it until its own code confirms it; the backup codes stay.
        let backupBefore = try store.status(user: user).backupCodesLeft
        let tablet = Credential(id: 1, label: "tablet", secret: Array("credential contract2".utf8), parameters: .standard,
                                created: now())
        var pending = SecretRecord(credentials: [tablet], created: now(), backupKey: Array("placeholder-key-0001".utf8))
        pending.addsToEnrollment = true
        _ = try store.beginPending(user: user, record: pending)
        let tabletCode = AuthenticatorApp.code(tablet.secret, at: now())
        #expect(try login(tabletCode).outcome == .rejected, "a pending credential does not log in")
        guard case .added(let added) = try store.confirmPending(user: user, code: tabletCode, replace: false) else {
            Issue.record("the pending credential was not added")
            return
        }
        #expect(added.id == 2 && added.label == "tablet")
        #expect(try login(tabletCode).outcome == .replayed, "the confirming code is used up")
        #expect(try store.status(user: user).backupCodesLeft == backupBefore)
        #expect(try store.status(user: user).credentials.map(\.label) == ["default", "tablet"])

        // Replay is per credential: the phone's code of this step still works after the tablet's.
        let phoneLogin = try login(AuthenticatorApp.code(phoneSecret, at: now()))
        #expect(phoneLogin.outcome == .acceptedTOTP && phoneLogin.credential == "default")
        #expect(try graceAge() != nil)

        // A HOTP token added directly (its code at counter 0 checked by the caller), then renamed.
        let token = Credential(id: 1, label: "token", kind: .hotp(counter: 0), algorithm: .sha1, digits: 6, secret: rfcSecret,
                               created: now())
        #expect(try store.addCredential(user: user, credential: token, counter: 0).id == 3)
        #expect(try graceAge() == nil, "a credential change ends the graces")
        #expect(try login(rfcCodes[0]).outcome == .rejected, "counter 0 was used by the addition")
        let tokenLogin = try login(rfcCodes[2])
        #expect(tokenLogin.outcome == .acceptedHOTP && tokenLogin.credential == "token")
        #expect(try store.renameCredential(user: user, name: "3", label: "yubikey").label == "yubikey")
        #expect(throws: EnrollmentStoreError.self) { try store.renameCredential(user: user, name: "3", label: "tablet") }

        // Resync: the token ran ahead to counters 7 and 8; 9 is next.
        let found = try store.resyncCredential(user: user, name: "yubikey", first: rfcCodes[7], second: rfcCodes[8])
        #expect(found.kind == .hotp(counter: 9))
        #expect(try login(rfcCodes[8]).outcome == .rejected)
        #expect(try login(rfcCodes[9]).outcome == .acceptedHOTP)
        #expect(throws: EnrollmentStoreError.self) {
            try store.resyncCredential(user: user, name: "yubikey", first: rfcCodes[1], second: rfcCodes[3])
        }

        // Remove: by label or id, never the last one; unknown names are refused.
        #expect(try store.removeCredential(user: user, name: "tablet").id == 2)
        #expect(try store.removeCredential(user: user, name: "1").label == "default")
        #expect(throws: EnrollmentStoreError.self) { try store.removeCredential(user: user, name: "yubikey") }
        #expect(throws: EnrollmentStoreError.self) { try store.removeCredential(user: user, name: "nothing") }
        #expect(try store.status(user: user).credentials.map(\.label) == ["yubikey"])
        #expect(try store.reset(user: user))
    }
}
