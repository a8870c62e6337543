import Foundation
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

/// `status`, `unlock`, `reset`, `disable` and `backup-codes`.
@Suite(.requiresRoot("the command acts for --user root"), .requiresOathtool)
struct ManagementTests {
    @Test func statusAsTextAndJSON() throws {
        let temp = try TempStore()
        let none = try CLI.run(["status"] + temp.args())
        #expect(none.status == 2)
        #expect(none.stdout.contains("not enrolled"))

        let started = try CLI.run(["enroll", "--pending", "--json"] + temp.args())
        #expect(started.status == 0)
        let pending = try CLI.run(["status", "--json"] + temp.args())
        #expect(pending.status == 2)
        let pendingObject = try pending.json()
        #expect(pendingObject["status"] as? String == "pending")
        #expect(pendingObject["pending_until"] is String)

        _ = try temp.enroll(extra: ["--force"])
        let text = try CLI.run(["status"] + temp.args())
        #expect(text.status == 0)
        #expect(text.stdout.contains("status:            enrolled"))
        #expect(text.stdout.contains("SHA1, 6 digits, every 30 s"))
        #expect(text.stdout.contains("backup codes left: 10"))
        let object = try CLI.run(["status", "--json"] + temp.args()).json()
        #expect(object["status"] as? String == "enrolled")
        #expect(object["algorithm"] as? String == "SHA1")
        #expect(object["digits"] as? Int == 6)
        #expect(object["period"] as? Int == 30)
        #expect(object["backup_codes_left"] as? Int == 10)
        #expect(object["locked"] as? Bool == false)
        #expect(object["throttled_until"] is NSNull)
        let created = try #require(object["created"] as? String)
        let date = try #require(ISO8601DateFormatter().date(from: created))
        #expect(abs(date.timeIntervalSinceNow) < 60)
    }

    @Test func statusShowsLockAndUnlockClearsIt() throws {
        let temp = try TempStore()
        let (secret, _) = try temp.enroll()
        var state = try temp.store.readState(user: "root")
        let lastStep = state.lastStep
        state.failures = 100
        state.locked = true
        state.throttledUntil = AuthenticatorApp.now() + 900
        state.usedBackupSalts = [String(repeating: "ab", count: 16)]
        try temp.store.writeState(state, user: "root")

        let status = try CLI.run(["status", "--json"] + temp.args()).json()
        #expect(status["locked"] as? Bool == true)
        #expect(status["throttled_until"] is String)
        let code = try CLI.oathtool(secret, at: AuthenticatorApp.now() + 30)
        let locked = try CLI.run(["verify", "--code", code] + temp.args())
        #expect(locked.status == 1)
        #expect(locked.stderr.contains("unlock"))

        let unlocked = try CLI.run(["unlock"] + temp.args())
        #expect(unlocked.status == 0, "\(unlocked.stderr)")
        let after = try temp.store.readState(user: "root")
        #expect(after == UserState(lastStep: lastStep, failures: 0, throttledUntil: 0, locked: false,
                                   usedBackupSalts: state.usedBackupSalts, enrollment: state.enrollment))
        #expect(try CLI.run(["verify", "--code", code] + temp.args()).status == 0)
    }

    @Test func unlockAndResetNeedRootAndAUser() throws {
        let temp = try TempStore()
        _ = try temp.enroll()
        let before = temp.snapshot()
        let noUser = try CLI.run(["unlock", "--store", temp.path])
        #expect(noUser.status == 64)
        #expect(noUser.hasOneErrorLine)
        let nobody = try CLI.run(["reset", "--store", temp.path], asNobody: true)
        #expect(nobody.status == 74)
        #expect(nobody.hasOneErrorLine)
        #expect(nobody.stderr.contains("needs root"))
        #expect(temp.snapshot() == before)
    }

    @Test func resetRemovesEverything() throws {
        let temp = try TempStore()
        _ = try temp.enroll()
        #expect(try CLI.run(["enroll", "--pending", "--json", "--force"] + temp.args()).status == 0)
        let reset = try CLI.run(["reset"] + temp.args())
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(Set(temp.snapshot().keys) == ["root.lock"])
        #expect(try CLI.run(["status"] + temp.args()).status == 2)
        let again = try CLI.run(["reset"] + temp.args())
        #expect(again.status == 2)
        #expect(again.hasOneErrorLine)
    }

    @Test func resetRemovesADamagedEnrollment() throws {
        let temp = try TempStore()
        try AtomicFile.write("garbage\n", to: temp.store.secretPath(for: "root"))
        #expect(try CLI.run(["reset"] + temp.args()).status == 0)
        #expect(temp.snapshot()["root.secret"] == nil)
    }

    @Test func disableNeedsAValidCode() throws {
        let temp = try TempStore()
        let (_, codes) = try temp.enroll()
        let refused = try CLI.run(["disable", "--code", "000000"] + temp.args())
        #expect(refused.status == 1)
        #expect(refused.hasOneErrorLine)
        #expect(try temp.store.readSecret(user: "root") != nil)
        // As the user (no --user): the code is required; a backup code counts.
        let prompted = try CLI.run(["disable", "--store", temp.path], input: "\(codes[1])\n")
        #expect(prompted.status == 0, "\(prompted.stderr)")
        #expect(try temp.store.readSecret(user: "root") == nil)
        #expect(temp.snapshot()["root.state"] == nil)
    }

    @Test func disableByRootWithUserNeedsNoCode() throws {
        let temp = try TempStore()
        _ = try temp.enroll()
        let result = try CLI.run(["disable"] + temp.args())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try temp.store.readSecret(user: "root") == nil)
        #expect(try CLI.run(["disable"] + temp.args()).status == 2)
    }

    @Test func regenerateBackupCodes() throws {
        let temp = try TempStore()
        let (secret, old) = try temp.enroll()
        #expect(try CLI.run(["verify", "--code", old[0]] + temp.args()).status == 0)
        let count = try CLI.run(["backup-codes", "--json"] + temp.args())
        #expect(try count.json()["backup_codes_left"] as? Int == 9)

        let wrong = try CLI.run(["backup-codes", "--regenerate", "--store", temp.path, "--code", "000000"])
        #expect(wrong.status == 1)
        let code = try CLI.oathtool(secret, at: AuthenticatorApp.now() + 30)
        let result = try CLI.run(["backup-codes", "--regenerate", "--json", "--store", temp.path, "--code", code])
        #expect(result.status == 0, "\(result.stderr)")
        let fresh = try #require(try result.json()["backup_codes"] as? [String])
        #expect(fresh.count == 10)
        #expect(Set(fresh).isDisjoint(with: old))
        let state = try temp.store.readState(user: "root")
        #expect(state.usedBackupSalts.isEmpty)
        #expect(try CLI.run(["verify", "--code", old[1]] + temp.args()).status == 1)
        #expect(try CLI.run(["verify", "--code", fresh[0]] + temp.args()).status == 0)
        let record = try #require(try temp.store.readSecret(user: "root"))
        #expect(Base32.encode(record.secret) == secret)
        // The new codes are tagged for the secret, so a login hashes only one of them.
        #expect(!record.backupCodesNeedRegeneration)
        for (code, hash) in zip(fresh, record.backupCodes) {
            #expect(hash.tag == BackupCodeHash.tag(normalizedCode: try #require(BackupCodes.normalize(code)), secret: record.backupKey))
        }
    }

    @Test("status reports backup codes in the old untagged format and advises regenerating them")
    func statusReportsOldBackupCodes() throws {
        let temp = try TempStore()
        let (secret, _) = try temp.enroll()
        let fresh = try CLI.run(["status", "--json"] + temp.args())
        #expect(try fresh.json()["backup_codes_need_regeneration"] as? Bool == false)
        #expect(!(try CLI.run(["status"] + temp.args()).stdout.contains("--regenerate")))
        let empty = try TempStore()
        let none = try CLI.run(["status", "--json"] + empty.args())
        #expect(try none.json()["backup_codes_need_regeneration"] is NSNull)

        // The same codes as an earlier version stored them: without the tag.
        var record = try #require(try temp.store.readSecret(user: "root"))
        record.backupCodes = try record.backupCodes.map { hash in
            try #require(BackupCodeHash(iterations: hash.iterations, salt: hash.salt, hash: hash.hash, tag: nil))
        }
        try Store.writeSecret(record, to: temp.store.secretPath(for: "root"))
        let old = try CLI.run(["status", "--json"] + temp.args())
        #expect(old.status == 0)
        #expect(try old.json()["backup_codes_need_regeneration"] as? Bool == true)
        let text = try CLI.run(["status"] + temp.args())
        #expect(text.stdout.contains("old format"), "\(text.stdout)")
        #expect(text.stdout.contains("swift-2fa-setup backup-codes --regenerate"), "\(text.stdout)")

        let code = try CLI.oathtool(secret, at: AuthenticatorApp.now() + 30)
        #expect(try CLI.run(["backup-codes", "--regenerate", "--code", code, "--store", temp.path]).status == 0)
        let regenerated = try CLI.run(["status", "--json"] + temp.args()).json()
        #expect(regenerated["backup_codes_need_regeneration"] as? Bool == false)
    }
}
