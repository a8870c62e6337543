import Foundation
import TestSupport
import Testing
import TwoFactorCore

extension ModuleThroughLibPAM {
/// Throttling, lock-out, backup codes and concurrency, through real libpam.
@Suite("Verification policy through libpam")
struct PolicyTests {
    @Test("after 3 failures even a valid code is refused unchecked; a backup code still works")
    func throttling() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try harness.enroll("root", backupCodes: ["abcde-fghjk"])
        PAMHarness.waitForFreshStep()
        for _ in 0..<3 {
            let run = try harness.authenticate("root", answers: ["000000"])
            #expect(run.outcome == "rejected")
        }
        let state = try harness.store.readState(user: "root")
        let now = Int64(Date().timeIntervalSince1970)
        #expect(state.failures == 3)
        #expect(state.throttledUntil >= now + 25 && state.throttledUntil <= now + 31)

        let valid = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)])
        #expect(valid.result == PAM.authError)
        #expect(valid.outcome == "throttled")
        #expect(try harness.store.readState(user: "root").failures == 3, "a throttled attempt is not counted")

        let wrongBackup = try harness.authenticate("root", answers: ["zzzzz-zzzzz"])
        #expect(wrongBackup.outcome == "rejected")
        let tried = try harness.store.readState(user: "root")
        #expect(tried.failures == 3, "a wrong backup guess while throttled is not a failure")
        #expect(tried.backupFailures == 1, "it uses up one of the back-off period's backup tries")
        #expect(tried.throttledUntil == state.throttledUntil)

        let backup = try harness.authenticate("root", answers: ["ABCDE FGHJK"])
        #expect(backup.result == PAM.success)
        #expect(backup.outcome == "accepted-backup")
        let after = try harness.store.readState(user: "root")
        #expect(after.failures == 0 && after.throttledUntil == 0 && after.backupFailures == 0)
    }

    @Test("the back-off doubles: 30 s, then 60 s after the next failure")
    func backoffDoubles() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        try harness.enroll("root")
        for _ in 0..<3 { _ = try harness.authenticate("root", answers: ["000000"]) }
        // Pretend the back-off is over, then fail once more.
        var state = try harness.store.readState(user: "root")
        state.throttledUntil = 0
        try harness.store.writeState(state, user: "root")
        _ = try harness.authenticate("root", answers: ["000000"])
        let now = Int64(Date().timeIntervalSince1970)
        let after = try harness.store.readState(user: "root")
        #expect(after.failures == 4)
        #expect(after.throttledUntil >= now + 55 && after.throttledUntil <= now + 61)
    }

    @Test("throttle options change the limits")
    func throttleOptions() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly("throttle_after=5 throttle_delay=7 throttle_max=10")
        try harness.enroll("root")
        for _ in 0..<4 { _ = try harness.authenticate("root", answers: ["000000"]) }
        #expect(try harness.store.readState(user: "root").throttledUntil == 0)
        _ = try harness.authenticate("root", answers: ["000000"])
        let now = Int64(Date().timeIntervalSince1970)
        let until = try harness.store.readState(user: "root").throttledUntil
        #expect(until >= now + 5 && until <= now + 7)
    }

    @Test("after lock_after failures the factor is locked: valid codes and backup codes are refused")
    func lockOut() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly("throttle_after=100 lock_after=3")
        let record = try harness.enroll("root", backupCodes: ["abcde-fghjk"])
        PAMHarness.waitForFreshStep()
        for _ in 0..<3 { _ = try harness.authenticate("root", answers: ["000000"]) }
        #expect(try harness.store.readState(user: "root").locked)
        let valid = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)])
        #expect(valid.outcome == "locked")
        #expect(valid.result == PAM.authError)
        #expect(valid.attemptLine?.contains("swift-2fa-setup unlock") == true)
        let backup = try harness.authenticate("root", answers: ["abcde-fghjk"])
        #expect(backup.outcome == "locked")
    }

    @Test("the default lock-out is at 100 consecutive failures")
    func defaultLockAt100() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        try harness.enroll("root")
        var state = try harness.store.readState(user: "root")
        state.failures = 99
        try harness.store.writeState(state, user: "root")
        let run = try harness.authenticate("root", answers: ["000000"])
        #expect(run.outcome == "rejected")
        #expect(try harness.store.readState(user: "root").locked)
    }

    @Test("a success resets the failure count")
    func successResets() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        for _ in 0..<2 { _ = try harness.authenticate("root", answers: ["000000"]) }
        #expect(try harness.store.readState(user: "root").failures == 2)
        let run = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)])
        #expect(run.outcome == "accepted-totp")
        #expect(try harness.store.readState(user: "root").failures == 0)
    }

    @Test("a backup code works once, and is never logged")
    func backupOnce() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        try harness.enroll("root", backupCodes: ["abcde-fghjk", "mnpqr-stuvw"])
        let first = try harness.authenticate("root", answers: ["abcde-fghjk"])
        #expect(first.result == PAM.success)
        #expect(first.outcome == "accepted-backup")
        #expect(PAMHarness.logsOmit("abcde", in: first))
        let again = try harness.authenticate("root", answers: ["abcdefghjk"])
        #expect(again.result == PAM.authError)
        #expect(again.outcome == "rejected")
        let other = try harness.authenticate("root", answers: ["mnpqr-stuvw"])
        #expect(other.outcome == "accepted-backup")
    }

    @Test("20 parallel logins with the same valid code give exactly one success")
    func concurrentSameCode() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep(margin: 10)
        let code = AuthenticatorApp.code(record.secret, record.parameters)
        let results = try parallelLogins(harness, users: Array(repeating: "root", count: 20), answer: { _ in code })
        #expect(results.filter { $0 == "accepted-totp" }.count == 1)
        // Replays count as failures, so after three of them the rest are throttled.
        let replayed = results.filter { $0 == "replayed" }.count
        #expect(replayed == 3, "\(results)")
        #expect(results.filter { $0 == "throttled" }.count == 16, "\(results)")
        #expect(try harness.store.readState(user: "root").failures == replayed)
    }

    @Test("20 parallel uses of one backup code give exactly one success")
    func concurrentSameBackupCode() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly("throttle_after=100")
        try harness.enroll("root", backupCodes: ["abcde-fghjk"])
        let results = try parallelLogins(harness, users: Array(repeating: "root", count: 20), answer: { _ in "abcde-fghjk" })
        #expect(results.filter { $0 == "accepted-backup" }.count == 1)
        #expect(results.filter { $0 == "rejected" }.count == 19)
    }

    @Test("parallel logins of distinct users all succeed")
    func concurrentDistinctUsers() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let users = ["root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news"]
        var records: [String: SecretRecord] = [:]
        for user in users { records[user] = try harness.enroll(user) }
        PAMHarness.waitForFreshStep(margin: 10)
        let results = try parallelLogins(harness, users: users, answer: { user in
            records[user].map { AuthenticatorApp.code($0.secret, $0.parameters) } ?? ""
        })
        #expect(results == Array(repeating: "accepted-totp", count: users.count))
    }

    private func parallelLogins(_ harness: PAMHarness, users: [String], answer: (String) -> String) throws -> [String] {
        try harness.authenticateInParallel(users.map { ($0, answer($0)) }).map { $0.outcome ?? "none" }
    }
}
}
