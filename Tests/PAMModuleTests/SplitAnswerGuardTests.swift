import Foundation
import TestSupport
import Testing
import TwoFactorCore

extension PAM {
    static let incomplete: Int32 = 31
}

extension ModuleThroughLibPAM {
/// The run-time guard of `split_answer` (KeptCodeGuard.swift): pam_setcred fails while the
/// code a split instance kept was never decided on by a later instance. The driver calls
/// pam_setcred after a successful pam_authenticate, as sshd, su and login do.
@Suite("split_answer guarded at pam_setcred")
struct SplitAnswerGuardTests {
    /// The one-field stack of OptionTests, with the given lines after the password module.
    static func stack(_ harness: PAMHarness, after: [String]) throws {
        try OptionTests.oneFieldStack(harness)
        let checker = harness.root.appendingPathComponent("check-password").path
        try harness.service([
            harness.moduleLine("split_answer", control: "requisite"),
            "auth requisite pam_exec.so expose_authtok quiet \(checker)",
        ] + after)
    }

    static func guardLines(_ run: PAMRun) -> [String] {
        run.logs.map(\.text).filter { $0.contains("result=code-unchecked") }
    }

    @Test("no checking instance after the split: the password alone authenticates, but pam_setcred fails, one log line says why")
    func noVerifier() throws {
        let harness = try PAMHarness()
        try Self.stack(harness, after: [])
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        let run = try harness.authenticate("root", answers: ["hunter2" + AuthenticatorApp.code(record.secret, record.parameters)])
        #expect(run.result == PAM.success, "pam_authenticate: libpam ignores the split's PAM_IGNORE")
        #expect(run.setcred == PAM.incomplete, "\(run.stdout)")
        let lines = Self.guardLines(run)
        #expect(lines.count == 1, "\(run.logs)")
        #expect(lines.first?.contains("user=\"root\"") == true)
        #expect(lines.first?.contains("no later use_first_pass or try_first_pass instance checked") == true)
        #expect(run.logs.filter { $0.priority == 4 }.count == 1, "the guard's line is a warning")
    }

    @Test("with the checking instance the code is settled and pam_setcred succeeds",
          arguments: ["use_first_pass", "try_first_pass"])
    func withVerifier(verifier: String) throws {
        let harness = try PAMHarness()
        try Self.stack(harness, after: [harness.moduleLine(verifier)])
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        let run = try harness.authenticate("root", answers: ["hunter2" + AuthenticatorApp.code(record.secret, record.parameters)])
        #expect(run.result == PAM.success)
        #expect(run.outcome == "accepted-totp")
        #expect(run.setcred == PAM.success, "\(run.logs)")
        #expect(Self.guardLines(run).isEmpty)
    }

    @Test("nullok lets an unenrolled user through: the checking instance settles the code, pam_setcred succeeds")
    func nullokUnenrolled() throws {
        let harness = try PAMHarness()
        // pam_permit last: pam_exec's own setcred is PAM_IGNORE, and a setcred stack with no
        // positive result fails whatever this module answers.
        try Self.stack(harness, after: [harness.moduleLine("use_first_pass nullok"), "auth required pam_permit.so"])
        let run = try harness.authenticate("root", answers: ["hunter2123456"])
        #expect(run.result == PAM.success)
        #expect(run.outcome == "not-enrolled")
        #expect(run.setcred == PAM.success, "\(run.logs)")
    }

    @Test("a checking instance whose refusal the stack skips (optional) leaves the code unsettled: pam_setcred fails")
    func skippedRefusal() throws {
        let harness = try PAMHarness()
        try Self.stack(harness, after: [harness.moduleLine("use_first_pass", control: "optional")])
        try harness.enroll("root")
        let run = try harness.authenticate("root", answers: ["hunter2000000"])
        #expect(run.result == PAM.success, "the optional refusal is ignored by libpam")
        #expect(run.logs.contains { $0.text.contains("result=rejected") })
        #expect(run.setcred == PAM.incomplete, "\(run.logs)")
        #expect(Self.guardLines(run).count == 1)
    }

    @Test("without any split the module's pam_setcred succeeds")
    func noSplit() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        let run = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)])
        #expect(run.result == PAM.success)
        #expect(run.setcred == PAM.success)
    }
}
}
