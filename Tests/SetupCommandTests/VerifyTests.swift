import Foundation
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

/// `verify` applies the module's rules to the module's state.
@Suite(.requiresRoot("the command acts for --user root"), .requiresOathtool)
struct VerifyTests {
    @Test func aCodeWorksOnceThenIsAReplay() throws {
        let temp = try TempStore()
        let (secret, _) = try temp.enroll()
        // The next step's code: not the one confirm used, and inside the ±1 window.
        let code = try CLI.oathtool(secret, at: AuthenticatorApp.now() + 30)
        let accepted = try CLI.run(["verify", "--json", "--code", code] + temp.args())
        #expect(accepted.status == 0, "\(accepted.stderr)")
        let object = try accepted.json()
        #expect(object["accepted"] as? Bool == true)
        #expect(object["result"] as? String == "accepted-totp")
        let again = try CLI.run(["verify", "--code", code] + temp.args())
        #expect(again.status == 1)
        #expect(again.hasOneErrorLine)
        #expect(again.stderr.contains("already used"))
    }

    @Test func aBackupCodeWorksOnce() throws {
        let temp = try TempStore()
        let (_, codes) = try temp.enroll()
        let first = try CLI.run(["verify", "--code", codes[3].uppercased()] + temp.args())
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("backup code"))
        let second = try CLI.run(["verify", "--json", "--code", codes[3]] + temp.args())
        #expect(second.status == 1)
        #expect(try second.json()["result"] as? String == "rejected")
        let state = try temp.store.readState(user: "root")
        #expect(state.usedBackupSalts.count == 1)
        #expect(state.failures == 1)
        let status = try CLI.run(["status", "--json"] + temp.args())
        #expect(try status.json()["backup_codes_left"] as? Int == 9)
    }

    @Test func wrongCodesThrottleLikeTheModule() throws {
        let temp = try TempStore()
        let (secret, codes) = try temp.enroll()
        for _ in 0..<3 {
            #expect(try CLI.run(["verify", "--code", "000000"] + temp.args()).status == 1)
        }
        let throttled = try CLI.run(["verify", "--json", "--code", try CLI.oathtool(secret, at: AuthenticatorApp.now() + 30)] + temp.args())
        #expect(throttled.status == 1)
        #expect(try throttled.json()["result"] as? String == "throttled")
        #expect(throttled.stderr.contains("try again after"))
        // Backup codes still work while throttled, as at a login.
        #expect(try CLI.run(["verify", "--code", codes[0]] + temp.args()).status == 0)
    }

    @Test func verifyOfAUserWhoIsNotEnrolled() throws {
        let temp = try TempStore()
        let result = try CLI.run(["verify", "--code", "123456"] + temp.args())
        #expect(result.status == 2)
        #expect(result.hasOneErrorLine)
        #expect(temp.snapshot().isEmpty)
    }
}
