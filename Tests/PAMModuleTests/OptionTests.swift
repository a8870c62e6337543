import Foundation
import Glibc
import TestSupport
import Testing
import TwoFactorCore

extension ModuleThroughLibPAM {
/// Module options and conversation modes, through real libpam.
@Suite("Module options through libpam")
struct OptionTests {
    @Test("prompt=TEXT with spaces, given in Linux-PAM's [..] form, is the prompt")
    func customPrompt() throws {
        let harness = try PAMHarness()
        try harness.service([harness.moduleLine("[prompt=Your one-time code please: ]")])
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        let run = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)])
        #expect(run.prompts.first?.text == "Your one-time code please: ")
        #expect(run.outcome == "accepted-totp")
    }

    @Test("echo_code and its google-authenticator name echo_verification_code show the code", arguments: ["echo_code", "echo_verification_code"])
    func echo(option: String) throws {
        let harness = try PAMHarness()
        try harness.moduleOnly(option)
        try harness.enroll("root")
        let run = try harness.authenticate("root", answers: ["000000"])
        #expect(run.prompts.first?.echo == true)
    }

    @Test("nullok: a user with no secret gets PAM_IGNORE without a prompt")
    func nullokIgnores() throws {
        let harness = try PAMHarness()
        // Only PAM_IGNORE from the module skips pam_deny; success or failure ends in a refusal.
        try harness.service([
            harness.moduleLine("nullok", control: "[ignore=1 success=die default=die]"),
            "auth requisite pam_deny.so",
            "auth required pam_permit.so",
        ])
        let run = try harness.authenticate("root")
        #expect(run.result == PAM.success)
        #expect(run.prompts.isEmpty)
        #expect(run.outcome == "not-enrolled")
    }

    @Test("nullok never lets an enrolled user through without a code")
    func nullokEnrolled() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly("nullok")
        try harness.enroll("root")
        let run = try harness.authenticate("root", answers: ["000000"])
        #expect(run.result == PAM.authError)
    }

    @Test("without nullok a user with no secret, or an unknown user, is prompted and refused", arguments: ["root", "s2fa-no-such-user"])
    func notEnrolledPromptedAndRefused(user: String) throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let run = try harness.authenticate(user, answers: ["123456"])
        #expect(run.result == PAM.authError)
        #expect(run.prompts.count == 1)
        #expect(run.outcome == "not-enrolled")
    }

    /// A service with the one-field stack of pam.d-example/panel-one-field (after
    /// pam_set_items.so, for the items of `authenticate`): split_answer,
    /// then a password module (pam_exec with a script that accepts only "hunter2"; it would
    /// prompt for a password itself if the module had not set PAM_AUTHTOK), then use_first_pass.
    static func oneFieldStack(_ harness: PAMHarness, verifier: String = "use_first_pass", options: String = "") throws {
        let checker = harness.root.appendingPathComponent("check-password")
        try "#!/bin/sh\nIFS= read -r password\ntest \"$password\" = hunter2\n"
            .write(to: checker, atomically: true, encoding: .utf8)
        #expect(chmod(checker.path, 0o755) == 0)
        try harness.service([
            "auth required \(PAMHarness.wrapperModules)/pam_set_items.so",
            harness.moduleLine("split_answer \(options)", control: "requisite"),
            "auth requisite pam_exec.so expose_authtok quiet \(checker.path)",
            harness.moduleLine("\(verifier) \(options)"),
        ])
    }

    @Test("split_answer splits one answer; the code is checked only after the password module accepted")
    func forwardPass() throws {
        let harness = try PAMHarness()
        try Self.oneFieldStack(harness)
        let record = try harness.enroll("root", backupCodes: ["abcde-fghjk"])
        PAMHarness.waitForFreshStep()
        let code = AuthenticatorApp.code(record.secret, record.parameters)
        let run = try harness.authenticate("root", answers: ["hunter2" + code])
        #expect(run.result == PAM.success, "\(run.stdout)")
        #expect(run.prompts.map(\.text) == ["Password & verification code: "])
        #expect(run.outcome == "accepted-totp")
        #expect(run.logs.filter { $0.text.contains("result=code-kept") }.count == 1)

        let backup = try harness.authenticate("root", answers: ["hunter2abcde-fghjk"])
        #expect(backup.result == PAM.success)
        #expect(backup.outcome == "accepted-backup")

        // A wrong password with any code: the code is never checked, nothing is counted.
        for answer in ["hunter3" + AuthenticatorApp.code(record.secret, record.parameters, offset: 1), "hunter3000000", "hunter3abcde-fghjk", "x"] {
            let wrongPassword = try harness.authenticate("root", answers: [answer])
            #expect(wrongPassword.result != PAM.success)
            #expect(wrongPassword.outcome == "code-kept", "\(wrongPassword.logs)")
        }
        let state = try harness.store.readState(user: "root")
        #expect(state.failures == 0)
        #expect(state.lastStep == record.totp?.step(at: Int64(Date().timeIntervalSince1970)), "the next code is still fresh")
    }

    @Test("forward_pass (which checked the code before the password) is refused: an old stack fails closed")
    func forwardPassRefused() throws {
        let harness = try PAMHarness()
        try harness.service([harness.moduleLine("forward_pass"), "auth required pam_permit.so"])
        try harness.enroll("root")
        let run = try harness.authenticate("root", answers: ["hunter2123456"])
        #expect(run.result == PAM.serviceError)
        #expect(run.outcome == "config-error")
        #expect(run.attemptLine?.contains("split_answer") == true)
    }

    @Test("try_first_pass takes the kept code; a password in PAM_AUTHTOK is never tried as a code")
    func tryFirstPass() throws {
        let harness = try PAMHarness()
        try Self.oneFieldStack(harness, verifier: "try_first_pass")
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        let run = try harness.authenticate("root", answers: ["hunter2" + AuthenticatorApp.code(record.secret, record.parameters)])
        #expect(run.result == PAM.success)
        #expect(run.prompts.count == 1)

        // A code-shaped password left in PAM_AUTHTOK by another module is not a code: prompt.
        try harness.service([
            "auth required \(PAMHarness.wrapperModules)/pam_set_items.so",
            harness.moduleLine("try_first_pass"),
        ])
        let prompted = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters, offset: 1)],
                                                items: ["PAM_AUTHTOK": "20240101"])
        #expect(prompted.prompts.map(\.text) == ["Verification code: "])
        #expect(prompted.result == PAM.success)
        #expect(try harness.store.readState(user: "root").failures == 0, "the password was not tried as a code")
    }

    @Test("use_first_pass never prompts and never takes PAM_AUTHTOK: without a kept code it fails")
    func useFirstPass() throws {
        let harness = try PAMHarness()
        try harness.service([
            "auth required \(PAMHarness.wrapperModules)/pam_set_items.so",
            harness.moduleLine("use_first_pass"),
        ])
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        let run = try harness.authenticate("root", answers: ["123456"], items: ["PAM_AUTHTOK": AuthenticatorApp.code(record.secret, record.parameters)])
        #expect(run.result == PAM.authInfoUnavailable)
        #expect(run.prompts.isEmpty)
        #expect(run.outcome == "no-code")
        #expect(try harness.store.readState(user: "root").failures == 0)
    }

    @Test("an unknown or malformed option fails closed with a log line naming it",
          arguments: ["bogus", "window=11", "window=abc", "window=", "nullok=1", "lock_after=101", "lock_after=0",
                      "throttle_after=0", "store=relative", "store=/tmp/../etc", "secret=relative/path",
                      "try_first_pass use_first_pass", "split_answer use_first_pass", "debug debug",
                      "echo_code echo_verification_code", "throttle_delay=60 throttle_max=30", "allowed_perm=0644",
                      "no_strict_owner"])
    func badOptions(options: String) throws {
        let harness = try PAMHarness()
        try harness.moduleOnly(options)
        try harness.enroll("root")
        let run = try harness.authenticate("root", answers: ["123456"])
        #expect(run.result == PAM.serviceError)
        #expect(run.outcome == "config-error")
        #expect(run.prompts.isEmpty)
    }

    @Test("a user name that could escape the store is refused", arguments: ["../root", "a/b", "..", ".", "bad\nname"])
    func badUserNames(user: String) throws {
        let harness = try PAMHarness()
        try harness.moduleOnly("nullok")
        let run = try harness.authenticate(user, answers: ["123456"])
        #expect(run.result == PAM.authError)
        #expect(run.outcome == "bad-user")
    }

    @Test("the module ignores the environment: SWIFT2FA-looking and HOME variables change nothing")
    func environmentIgnored() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        let run = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)],
                                           items: ["HOME": "/nonexistent", "USER": "daemon", "TZ": "Asia/Tokyo"])
        #expect(run.outcome == "accepted-totp")
    }
}
}
