import Foundation
import Glibc
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

extension ModuleThroughLibPAM {
/// The module logs in with a secret file written by the OpenSSL build of swift-2fa-setup
/// (Tests/Fixtures/README.md): its backup codes and its TOTP codes still work.
@Suite("Secret file written by the OpenSSL build")
struct OpenSSLFixtureLoginTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test("a backup code and a TOTP code from the OpenSSL-era file are accepted")
    func logsIn() throws {
        let text = try String(contentsOf: Self.fixtures.appendingPathComponent("openssl-build.secret"), encoding: .utf8)
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Self.fixtures.appendingPathComponent("openssl-build.confirm.json")))
        let codes = try #require((json as? [String: Any])?["backup_codes"] as? [String])
        let record = try SecretRecord.parse(text)

        let harness = try PAMHarness()
        try harness.moduleOnly()
        let path = harness.store.secretPath(for: "root")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, 0o600) == 0)

        let backup = try harness.authenticate("root", answers: [codes[3]])
        #expect(backup.result == PAM.success, "\(backup.logs)")
        #expect(backup.outcome == "accepted-backup")
        let reused = try harness.authenticate("root", answers: [codes[3]])
        #expect(reused.result == PAM.authError, "a backup code works once")

        PAMHarness.waitForFreshStep()
        let totp = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)])
        #expect(totp.result == PAM.success, "\(totp.logs)")
        #expect(totp.outcome == "accepted-totp")
    }
}
}
