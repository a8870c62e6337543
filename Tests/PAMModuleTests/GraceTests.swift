import Foundation
import Testing
import TestSupport
import TwoFactorCore

extension ModuleThroughLibPAM {
/// `grace_period=` and `grace_key=` through real libpam: after an accepted code the same
/// user, service and place are not asked again within the period (PAM_SUCCESS,
/// `result=accepted-grace`); any other place, service, a backup code, or the period's end
/// asks again.
@Suite("Grace period through libpam")
struct GraceTests {
    static func stack(_ harness: PAMHarness, _ options: String, service: String = "s2fa") throws {
        try harness.service(["auth required \(PAMHarness.wrapperModules)/pam_set_items.so",
                             harness.moduleLine(options)], name: service)
    }

    @Test("keyed on the terminal: the same terminal is not asked again; another terminal or service is")
    func terminal() throws {
        let harness = try PAMHarness()
        try Self.stack(harness, "grace_period=600 grace_key=tty")
        try Self.stack(harness, "grace_period=600 grace_key=tty", service: "second")
        let record = try harness.enroll("root", backupCodes: ["abcde-fghjk"])
        PAMHarness.waitForFreshStep()
        let tty = ["PAM_TTY": "/dev/pts/7"]
        let first = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret)], items: tty)
        #expect(first.outcome == "accepted-totp" && first.prompts.count == 1)
        let again = try harness.authenticate("root", items: tty)
        #expect(again.result == PAM.success && again.prompts.isEmpty, "\(again.logs)")
        #expect(again.outcome == "accepted-grace" && again.attemptLine?.contains(#"reason="age="#) == true, "\(again.attemptLine ?? "")")
        let elsewhere = try harness.authenticate("root", answers: ["000000"], items: ["PAM_TTY": "/dev/pts/8"])
        #expect(elsewhere.prompts.count == 1 && elsewhere.outcome == "rejected")
        let otherService = try harness.authenticate("root", service: "second", answers: ["000001"], items: tty)
        #expect(otherService.prompts.count == 1 && otherService.outcome == "rejected", "\(otherService.logs)")
        let noTerminal = try harness.authenticate("root", answers: ["000002"])
        #expect(noTerminal.prompts.count == 1, "no place, no grace")
    }

    @Test("keyed on rhost; a backup code gives no grace; an expired grace asks again")
    func rhostAndExpiry() throws {
        let harness = try PAMHarness()
        try Self.stack(harness, "grace_period=600")
        let record = try harness.enroll("root", backupCodes: ["abcde-fghjk"])
        let from = ["PAM_RHOST": "192.0.2.7"]
        #expect(try harness.authenticate("root", answers: ["abcde-fghjk"], items: from).outcome == "accepted-backup")
        #expect(try harness.authenticate("root", answers: ["000000"], items: from).prompts.count == 1, "a backup code gives no grace")
        PAMHarness.waitForFreshStep()
        #expect(try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret)], items: from).outcome == "accepted-totp")
        #expect(try harness.authenticate("root", items: from).outcome == "accepted-grace")
        #expect(try harness.authenticate("root", answers: ["000000"], items: ["PAM_RHOST": "192.0.2.8"]).prompts.count == 1)
        // The grace began 601 s ago: over.
        var state = try harness.store.readState(user: "root")
        state.graces = state.graces.map { GraceRecord(service: $0.service, key: $0.key, time: $0.time - 601) }
        try harness.store.writeState(state, user: "root")
        let expired = try harness.authenticate("root", answers: ["000000"], items: from)
        #expect(expired.prompts.count == 1 && expired.outcome == "rejected")
    }

    @Test("without grace_period, and with split_answer, every login is asked")
    func off() throws {
        let harness = try PAMHarness()
        try Self.stack(harness, "")
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        let from = ["PAM_RHOST": "192.0.2.7"]
        #expect(try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret)], items: from).outcome == "accepted-totp")
        #expect(try harness.authenticate("root", answers: ["000000"], items: from).prompts.count == 1)
        #expect(try harness.store.readState(user: "root").graces.isEmpty)

        // A one-field stack always carries a code: no grace there.
        let split = try PAMHarness()
        try OptionTests.oneFieldStack(split, options: "grace_period=600")
        let splitRecord = try split.enroll("root")
        PAMHarness.waitForFreshStep()
        let first = try split.authenticate("root", answers: ["hunter2" + AuthenticatorApp.code(splitRecord.secret)], items: from)
        #expect(first.outcome == "accepted-totp" && first.result == PAM.success)
        let second = try split.authenticate("root", answers: ["hunter2000000"], items: from)
        #expect(second.prompts.map(\.text) == ["Password & verification code: "] && second.outcome == "rejected")
    }
}
}
