import Foundation
import Glibc
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

extension ModuleThroughLibPAM {
/// The configuration file (`config=`, default /etc/swift-2fa/swift-2fa.conf) through the real module.
@Suite("Configuration file through libpam")
struct ConfigFileLoginTests {
    /// Writes `text` as a root-owned configuration file with `mode` under the harness root.
    static func config(_ harness: PAMHarness, _ text: String, mode: mode_t = 0o644) throws -> String {
        let path = harness.root.appendingPathComponent("swift-2fa.conf").path
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        #expect(chmod(path, mode) == 0)
        return path
    }

    @Test("the file's policy applies to logins; an option on the module line overrides it")
    func policyFromFile() throws {
        let harness = try PAMHarness()
        let path = try Self.config(harness, "# one failure throttles\nthrottle_after = 1\nthrottle_delay = 600\nthrottle_max = 600\n")
        try harness.moduleOnly("config=\(path)")
        try harness.enroll("root")
        #expect(try harness.authenticate("root", answers: ["000000"]).outcome == "rejected")
        let second = try harness.authenticate("root", answers: ["000001"])
        #expect(second.outcome == "throttled", "throttle_after = 1 from the file: \(second.logs)")

        let overridden = try PAMHarness()
        let overriddenPath = try Self.config(overridden, "throttle_after = 1\n")
        try overridden.moduleOnly("config=\(overriddenPath) throttle_after=5")
        try overridden.enroll("root")
        #expect(try overridden.authenticate("root", answers: ["000000"]).outcome == "rejected")
        #expect(try overridden.authenticate("root", answers: ["000001"]).outcome == "rejected",
                "the module line's throttle_after=5 wins")
    }

    @Test("the file's store is used", arguments: [true, false])
    func storeFromFile(viaFile: Bool) throws {
        let harness = try PAMHarness()
        let other = harness.root.appendingPathComponent("other-store").path
        #expect(mkdir(other, 0o700) == 0)
        let path = try Self.config(harness, viaFile ? "store = \(other)\n" : "")
        // Not harness.moduleLine: it would add store= itself.
        try harness.service(["auth required \(PAMHarness.modulePath) config=\(path)" + (viaFile ? "" : " store=\(other)")])
        let record = SecretRecord(secret: Array(repeating: 7, count: 20), parameters: .standard,
                                  created: Int64(Date().timeIntervalSince1970))
        try Store.writeSecret(record, to: Store(directory: other).secretPath(for: "root"))
        PAMHarness.waitForFreshStep()
        let run = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)])
        #expect(run.outcome == "accepted-totp", "\(run.logs)")
    }

    @Test("a bad file fails closed with a line naming it", arguments: [
        ("window = 1\nbogus = 2\n", "line 2: unknown key 'bogus'"),
        ("lock_after = 1000\n", "line 1: option 'lock_after' needs a whole number"),
        ("window 1\n", "line 1: expected 'key = value'"),
    ])
    func badFile(text: String, message: String) throws {
        let harness = try PAMHarness()
        let path = try Self.config(harness, text)
        try harness.moduleOnly("config=\(path) nullok")
        let record = try harness.enroll("root")
        let run = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)])
        #expect(run.result == PAM.serviceError)
        #expect(run.outcome == "config-error")
        #expect(run.attemptLine?.contains("\(path) \(message)") == true, "\(run.logs)")
    }

    @Test("a file writable by group or others, or not a regular file, is refused", arguments: ["0664", "0646", "dir"])
    func unsafeFile(kind: String) throws {
        let harness = try PAMHarness()
        let path: String
        if kind == "dir" {
            path = harness.root.appendingPathComponent("conf.d").path
            #expect(mkdir(path, 0o755) == 0)
        } else {
            path = try Self.config(harness, "window = 1\n", mode: kind == "0664" ? 0o664 : 0o646)
        }
        try harness.moduleOnly("config=\(path) nullok")
        try harness.enroll("root")
        let run = try harness.authenticate("root", answers: ["123456"])
        #expect(run.result == PAM.serviceError)
        #expect(run.outcome == "config-error", "\(run.logs)")
    }

    @Test("a file that names a database must be root's with mode 0600 or stricter, else no login reaches the database",
          arguments: [(mode_t(0o640), uid_t(0)), (0o644, 0), (0o604, 0), (0o600, 65534), (0o600, 0), (0o400, 0)])
    func databaseFileMode(mode: mode_t, owner: uid_t) throws {
        let harness = try PAMHarness()
        // Nothing listens where it points: a file that passes fails closed as database-unavailable.
        let path = try Self.config(harness, "database = host=/nonexistent dbname=twofa user=x\n"
                                   + "database_timeout = 1\npooler = \(harness.root.path)/no-pooler\n", mode: mode)
        #expect(chown(path, owner, 0) == 0)
        try harness.moduleOnly("config=\(path) nullok")
        let run = try harness.authenticate("root", answers: ["123456"])
        if mode & 0o077 == 0 && owner == 0 {
            #expect(run.result == PAM.authInfoUnavailable && run.outcome == "database-unavailable", "\(run.logs)")
        } else {
            #expect(run.result == PAM.serviceError && run.outcome == "config-error", "\(run.logs)")
            // Root reads no configuration file of another owner; one that names a database must also be 0600 or stricter.
            #expect(run.attemptLine?.contains(owner == 0 ? "names a database, so it must be owned by root with mode 0600 or stricter"
                                                         : "is owned by uid \(owner)") == true, "\(run.logs)")
        }
    }

    @Test("a missing file means the defaults")
    func missingFile() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly("config=\(harness.root.path)/absent.conf")
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        #expect(try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)]).outcome == "accepted-totp")
    }
}
}
