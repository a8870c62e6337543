import Foundation
import TestSupport
import Testing
import TwoFactorCore

extension ModuleThroughLibPAM {
/// Logins through real libpam and the built module: codes, windows, replay, logging.
@Suite("Logins through libpam")
struct LoginTests {
    @Test("a valid code logs in, with one authpriv line naming user, service and rhost")
    func validCode() throws {
        let harness = try PAMHarness()
        try harness.service([
            "auth required \(PAMHarness.wrapperModules)/pam_set_items.so",
            harness.moduleLine(),
        ])
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        let code = AuthenticatorApp.code(record.secret, record.parameters)
        let before = AuthenticatorApp.now()
        let run = try harness.authenticate("root", answers: [code], items: ["PAM_RHOST": "192.0.2.7"])
        // The time of the accepted login, for `swift-2fa-setup report`.
        let lastAccepted = try #require(try harness.store.readState(user: "root").lastAccepted)
        #expect(lastAccepted >= before && lastAccepted <= AuthenticatorApp.now())
        #expect(run.result == PAM.success, "\(run.stderr)")
        #expect(run.prompts.count == 1)
        #expect(run.prompts.first?.text == "Verification code: ")
        #expect(run.prompts.first?.echo == false)
        #expect(run.outcome == "accepted-totp")
        #expect(run.attemptLine?.contains(#"user="root" service="s2fa" rhost="192.0.2.7" result=accepted-totp"#) == true)
        #expect(run.logs.filter { $0.text.contains("result=") }.count == 1)
        #expect(PAMHarness.logsOmit(code, in: run))
    }

    @Test("a wrong code is rejected and counted")
    func wrongCode() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        let wrong = AuthenticatorApp.code(record.secret, record.parameters, offset: 5)
        let run = try harness.authenticate("root", answers: [wrong])
        #expect(run.result == PAM.authError)
        #expect(run.outcome == "rejected")
        #expect(PAMHarness.logsOmit(wrong, in: run))
        let state = try harness.store.readState(user: "root")
        #expect(state.failures == 1)
        #expect(state.lastAccepted == nil, "a refused login is not recorded as one")
    }

    @Test("garbage answers are rejected, never crash", arguments: ["", " ", "12345", "1234567", "abcdef", "12 34 56", String(repeating: "9", count: 5000), "\u{1}\u{2}", "ünïcödé"])
    func garbage(answer: String) throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        try harness.enroll("root")
        let run = try harness.authenticate("root", answers: [answer])
        #expect(run.result == PAM.authError)
        #expect(run.outcome == "rejected")
    }

    @Test("codes of the neighbouring steps are accepted with the default window of 1")
    func windowOfOne() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        // Previous step first: accepting the next step would make it a replay.
        let previous = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters, offset: -1)])
        #expect(previous.outcome == "accepted-totp")
        let next = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters, offset: 1)])
        #expect(next.outcome == "accepted-totp")
    }

    @Test("codes two steps away are rejected with the default window")
    func outsideWindow() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        for offset: Int64 in [-2, 2] {
            let run = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters, offset: offset)])
            #expect(run.outcome == "rejected", "offset \(offset)")
        }
    }

    @Test("window=0 accepts only the current step; window=3 accepts three steps back")
    func windowOption() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly("window=0")
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        let previous = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters, offset: -1)])
        #expect(previous.outcome == "rejected")
        let current = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)])
        #expect(current.outcome == "accepted-totp")

        let wide = try PAMHarness()
        try wide.moduleOnly("window=3")
        let wideRecord = try wide.enroll("root")
        let threeBack = try wide.authenticate("root", answers: [AuthenticatorApp.code(wideRecord.secret, wideRecord.parameters, offset: -3)])
        #expect(threeBack.outcome == "accepted-totp")
    }

    @Test("a code is accepted once: the same code again is a replay")
    func replay() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        let code = AuthenticatorApp.code(record.secret, record.parameters)
        let first = try harness.authenticate("root", answers: [code])
        #expect(first.outcome == "accepted-totp")
        let second = try harness.authenticate("root", answers: [code])
        #expect(second.result == PAM.authError)
        #expect(second.outcome == "replayed")
        // An older step than the last accepted one is a replay too.
        let older = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters, offset: -1)])
        #expect(older.outcome == "replayed")
    }

    @Test("state left by another enrollment (new secret and period) does not make new codes replays")
    func reenrollment() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let old = try harness.enroll("root", parameters: OTPParameters(algorithm: .sha1, digits: 6, period: 15))
        PAMHarness.waitForFreshStep(period: 15)
        #expect(try harness.authenticate("root", answers: [AuthenticatorApp.code(old.secret, old.parameters)]).outcome == "accepted-totp")
        // 15 s steps are twice as many as 60 s steps: the old last step is far ahead of the new ones.
        let new = try harness.enroll("root", parameters: OTPParameters(algorithm: .sha1, digits: 6, period: 60))
        PAMHarness.waitForFreshStep(period: 60)
        let code = AuthenticatorApp.code(new.secret, new.parameters)
        let run = try harness.authenticate("root", answers: [code])
        #expect(run.outcome == "accepted-totp", "\(run.logs)")
        #expect(try harness.authenticate("root", answers: [code]).outcome == "replayed")
        #expect(try harness.store.readState(user: "root").enrollment == new.fingerprint)
    }

    @Test("SHA256 and SHA512 secrets with 8 digits and a 60 s period work", arguments: [HashAlgorithm.sha256, .sha512])
    func otherAlgorithms(algorithm: HashAlgorithm) throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try harness.enroll("root", parameters: OTPParameters(algorithm: algorithm, digits: 8, period: 60))
        PAMHarness.waitForFreshStep(period: 60)
        let run = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)])
        #expect(run.outcome == "accepted-totp")
    }

    @Test("debug adds detail lines, and no line ever contains the code")
    func debugLogging() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly("debug")
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        let code = AuthenticatorApp.code(record.secret, record.parameters)
        let run = try harness.authenticate("root", answers: [code])
        #expect(run.outcome == "accepted-totp")
        #expect(run.logs.contains { $0.priority == 7 })
        #expect(PAMHarness.logsOmit(code, in: run))
        #expect(PAMHarness.logsOmit(Base32.encode(record.secret), in: run))
    }
}
}
