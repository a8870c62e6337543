import Foundation
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

extension ModuleThroughLibPAM {
/// Several credentials through real libpam and the built module, with oathtool as the
/// independent code generator.
@Suite("Credentials through libpam")
struct CredentialLoginTests {
    /// RFC 4226's secret, as hex for oathtool.
    static let hotpSecret = Array("12345678901234567890".utf8)
    static let hotpHex = "3132333435363738393031323334353637383930"

    /// Enrolls root with a 7-digit SHA-256 TOTP phone, an 8-digit HOTP token and a 6-digit app.
    static func enrollThree(_ harness: PAMHarness) throws -> SecretRecord {
        let created = AuthenticatorApp.now()
        let record = SecretRecord(credentials: [
            Credential(id: 1, label: "phone", kind: .totp(period: 30, offset: 0), algorithm: .sha256, digits: 7,
                       secret: Array("phone-secret-0123456".utf8), created: created),
            Credential(id: 2, label: "yubikey-5", kind: .hotp(counter: 0), algorithm: .sha1, digits: 8,
                       secret: hotpSecret, created: created),
            Credential(id: 3, label: "tablet", kind: .totp(period: 30, offset: 0), algorithm: .sha1, digits: 6,
                       secret: Array("tablet-secret-012345".utf8), created: created),
        ], created: created, backupKey: Array("backup-tag-key-01234".utf8))
        try Store.writeSecret(record, to: harness.store.secretPath(for: "root"))
        return record
    }

    @Test("a 7-digit SHA-256 TOTP code and an 8-digit HOTP code log in, each named in the log line")
    func sevenDigitTOTPAndEightDigitHOTP() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try Self.enrollThree(harness)
        PAMHarness.waitForFreshStep()
        let phoneCode = try OathTool.totp(Base32.encode(record.credentials[0].secret), digits: 7, algorithm: "SHA256")
        #expect(phoneCode.count == 7)
        let phone = try harness.authenticate("root", answers: [phoneCode])
        #expect(phone.result == PAM.success, "\(phone.stderr)")
        #expect(phone.outcome == "accepted-totp")
        #expect(phone.attemptLine?.contains(#"result=accepted-totp credential="phone""#) == true, "\(phone.attemptLine ?? "")")
        #expect(PAMHarness.logsOmit(phoneCode, in: phone))

        // The token was pressed 4 times before (counters 0-3 lost): counter 4 is within the look-ahead.
        let tokenCode = try OathTool.hotp(hex: Self.hotpHex, counter: 4, digits: 8)
        let token = try harness.authenticate("root", answers: [tokenCode])
        #expect(token.result == PAM.success)
        #expect(token.attemptLine?.contains(#"result=accepted-hotp credential="yubikey-5""#) == true, "\(token.attemptLine ?? "")")
        // The counter moved past 4: the same code and an earlier one are refused, the next one works.
        #expect(try harness.authenticate("root", answers: [tokenCode]).result == PAM.authError)
        #expect(try harness.authenticate("root", answers: [OathTool.hotp(hex: Self.hotpHex, counter: 3, digits: 8)]).result == PAM.authError)
        let next = try harness.authenticate("root", answers: [OathTool.hotp(hex: Self.hotpHex, counter: 5, digits: 8)])
        #expect(next.result == PAM.success && next.outcome == "accepted-hotp")
        // Beyond the window (hotp_window=10 by default: counters 6 to 16 now) is refused.
        #expect(try harness.authenticate("root", answers: [OathTool.hotp(hex: Self.hotpHex, counter: 17, digits: 8)]).result
                == PAM.authError)
        let state = try harness.store.readState(user: "root")
        #expect(state.state(of: record.credentials[1]).lastCounter == 5)
        #expect(state.state(of: record.credentials[0]).lastUsed != nil)
    }

    @Test("replay is per credential: one credential's code does not use up another's step")
    func replayPerCredential() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try Self.enrollThree(harness)
        PAMHarness.waitForFreshStep()
        let now = AuthenticatorApp.now()
        let tablet = try OathTool.totp(Base32.encode(record.credentials[2].secret), at: now)
        let phone = try OathTool.totp(Base32.encode(record.credentials[0].secret), at: now, digits: 7, algorithm: "SHA256")
        #expect(try harness.authenticate("root", answers: [tablet]).outcome == "accepted-totp")
        #expect(try harness.authenticate("root", answers: [tablet]).outcome == "replayed")
        let second = try harness.authenticate("root", answers: [phone])
        #expect(second.outcome == "accepted-totp" && second.attemptLine?.contains(#"credential="phone""#) == true)
    }

    @Test("a code 3 steps ahead is refused and logged as clock drift for the admin, without the code")
    func driftLogged() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try Self.enrollThree(harness)
        PAMHarness.waitForFreshStep()
        let ahead = try OathTool.totp(Base32.encode(record.credentials[2].secret), at: AuthenticatorApp.now() + 90)
        let run = try harness.authenticate("root", answers: [ahead])
        #expect(run.result == PAM.authError)
        #expect(run.outcome == "rejected")
        #expect(run.attemptLine?.contains("credential tablet: code matches step 3: clock off about 90 s") == true,
                "\(run.attemptLine ?? "")")
        #expect(PAMHarness.logsOmit(ahead, in: run))
        let drift = try #require(try harness.store.readState(user: "root").lastDrift)
        #expect(drift.steps == 3 && drift.fingerprint == record.credentials[2].fingerprint)
    }

    @Test("a version 1 secret file still logs in, and its state stays valid after the upgrade")
    func versionOneFile() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let secret = Array("version-one-secret-1".utf8)
        let text = "version 1\nsecret \(Base32.encode(secret))\nalgorithm SHA1\ndigits 6\nperiod 30\ncreated 1700000000\n"
        let path = harness.store.secretPath(for: "root")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        PAMHarness.waitForFreshStep()
        let code = try OathTool.totp(Base32.encode(secret))
        let run = try harness.authenticate("root", answers: [code])
        #expect(run.result == PAM.success && run.attemptLine?.contains(#"credential="default""#) == true, "\(run.stderr)")
        #expect(try harness.authenticate("root", answers: [code]).outcome == "replayed")
    }
}
}
