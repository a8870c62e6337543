import Foundation
import Testing
import TestSupport
import TwoFactorCore

extension ModuleThroughLibPAM {
/// `exempt_network=`, `exempt_group=` and `require_group=` through real libpam: an exempted
/// login is PAM_IGNORE (the rest of the stack decides) and asks nothing; everyone else is
/// asked as before; the name service's failures and a mistyped `require_group` fail closed.
@Suite("Exemptions through libpam")
struct ExemptionTests {
    @Test("exempt_network: a numeric rhost in the networks asks nothing; any other rhost, a name or none is asked")
    func network() throws {
        let harness = try PAMHarness()
        try harness.ignoreReachesPermit("exempt_network=192.0.2.0/24,2001:db8::/32")
        try harness.enroll("root")
        for rhost in ["192.0.2.77", "2001:db8::1", "::ffff:192.0.2.5"] {
            let run = try harness.authenticate("root", items: ["PAM_RHOST": rhost])
            #expect(run.result == PAM.success && run.prompts.isEmpty, "\(rhost): \(run.logs)")
            #expect(run.outcome == "exempt")
            #expect(run.attemptLine?.contains(#"reason="rhost in exempt_network "#) == true, "\(run.attemptLine ?? "")")
        }
        for rhost in ["198.51.100.1", "192.0.3.1", "2001:db9::1", "host.example", "192.0.2.77.example", ""] {
            let run = try harness.authenticate("root", answers: ["000000"], items: ["PAM_RHOST": rhost])
            // Asked and refused (after three wrong codes, throttled).
            #expect(run.prompts.count == 1 && ["rejected", "throttled"].contains(run.outcome ?? ""), "\(rhost): \(run.attemptLine ?? "")")
            #expect(run.result == PAM.authError)
        }
        let noRhost = try harness.authenticate("root", answers: ["000000"])
        #expect(noRhost.prompts.count == 1 && noRhost.outcome == "throttled" && noRhost.result == PAM.authError)
    }

    @Test("exempt_group and require_group: by primary and supplementary group; an unknown exempt group exempts nobody")
    func groups() throws {
        let harness = try PAMHarness()
        // alice and bob have primary group s2fa-t (30000); only alice is in "admins".
        let environment = try FaultSupport.fakeUsers(harness, ["alice", "bob"], group: "admins")
        func asked(_ user: String, _ options: String) throws -> Bool {
            try harness.ignoreReachesPermit(options)
            let run = try harness.authenticate(user, answers: ["000000"], items: environment)
            if run.outcome == "exempt" {
                #expect(run.result == PAM.success && run.prompts.isEmpty, "\(run.logs)")
                return false
            }
            #expect(run.outcome == "not-enrolled" && run.prompts.count == 1, "\(user) \(options): \(run.logs)")
            return true
        }
        #expect(try !asked("alice", "exempt_group=admins"))
        #expect(try asked("bob", "exempt_group=admins"))
        #expect(try !asked("bob", "exempt_group=nobody-here,s2fa-t"), "the primary group counts")
        #expect(try asked("alice", "exempt_group=no-such-group"))
        #expect(try asked("alice", "require_group=admins"))
        #expect(try !asked("bob", "require_group=admins"))
        #expect(try !asked("alice", "require_group=admins exempt_group=admins"), "exempt_group still applies to those in scope")

        try harness.ignoreReachesPermit("require_group=admins,no-such-group")
        let typo = try harness.authenticate("bob", answers: ["000000"], items: environment)
        #expect(typo.result == PAM.serviceError && typo.outcome == "config-error", "\(typo.logs)")
        #expect(typo.prompts.isEmpty)
    }

    @Test("a name-service failure while checking groups fails closed")
    func nameServiceFailure() throws {
        let harness = try PAMHarness()
        var environment = try FaultSupport.fakeUsers(harness, ["alice"])
        // The group file missing: nss_wrapper fails every group lookup.
        environment["NSS_WRAPPER_GROUP"] = harness.root.appendingPathComponent("missing-group-file").path
        try harness.ignoreReachesPermit("exempt_group=admins")
        let run = try harness.authenticate("alice", answers: ["000000"], items: environment)
        #expect(run.result == PAM.authInfoUnavailable && run.outcome == "nss-error", "\(run.attemptLine ?? "")")
        #expect(run.prompts.isEmpty)
    }

    @Test("split_answer from an exempt network: asked for the password alone, passed on whole; no code is asked after")
    func splitAnswer() throws {
        let harness = try PAMHarness()
        try OptionTests.oneFieldStack(harness, options: "exempt_network=192.0.2.0/24")
        try harness.enroll("root")
        let exempt = try harness.authenticate("root", answers: ["hunter2"], items: ["PAM_RHOST": "192.0.2.9"])
        #expect(exempt.result == PAM.success, "\(exempt.logs)")
        #expect(exempt.prompts.map(\.text) == ["Password: "])
        #expect(exempt.logs.filter { $0.text.contains("result=exempt") }.count == 2, "\(exempt.logs)")
        let other = try harness.authenticate("root", answers: ["hunter2000000"], items: ["PAM_RHOST": "198.51.100.1"])
        #expect(other.prompts.map(\.text) == ["Password & verification code: "])
        #expect(other.outcome == "rejected" && other.result != PAM.success)
    }

    /// The cases of `splitAnswerPromptByGroup`: the options, who is exempt by them, who is
    /// asked but not enrolled, and who is asked and enrolled (bob is the one enrolled).
    static let splitGroupCases: [(options: String, exempt: String, unenrolled: String, enrolled: String?)] = [
        ("exempt_group=admins nullok", "alice", "carol", "bob"),
        ("require_group=admins nullok", "bob", "alice", nil),
    ]

    @Test("split_answer: exempt by group or not, enrolled or not (nullok), everyone gets the same one prompt",
          arguments: splitGroupCases)
    func splitAnswerPromptByGroup(_ options: String, exempt: String, unenrolled: String, enrolled: String?) throws {
        let harness = try PAMHarness()
        // alice is in admins, bob and carol are not; bob is enrolled, alice and carol are not.
        let environment = try FaultSupport.fakeUsers(harness, ["alice", "bob", "carol"], group: "admins")
        try OptionTests.oneFieldStack(harness, options: options)
        let record = try harness.enroll("bob")
        let combined = ["Password & verification code: "]
        // A wrong password: the prompt is all anyone sees before the password is checked.
        for user in ["alice", "bob", "carol"] {
            let run = try harness.authenticate(user, answers: ["hunter3000000"], items: environment)
            #expect(run.prompts.map(\.text) == combined, "\(user): \(run.logs)")
            #expect(run.result != PAM.success, "\(user)")
        }
        // The right password: a user who needs no code typed it alone, and it was passed on whole.
        let noCode = try harness.authenticate(exempt, answers: ["hunter2"], items: environment)
        #expect(noCode.result == PAM.success && noCode.outcome == "exempt", "\(noCode.logs)")
        let notEnrolled = try harness.authenticate(unenrolled, answers: ["hunter2"], items: environment)
        #expect(notEnrolled.result == PAM.success && notEnrolled.outcome == "not-enrolled", "\(notEnrolled.logs)")
        #expect(!notEnrolled.logs.contains { $0.text.contains("result=code-kept") }, "no code kept")
        if let enrolled {
            PAMHarness.waitForFreshStep()
            let code = AuthenticatorApp.code(record.secret, record.parameters)
            let asked = try harness.authenticate(enrolled, answers: ["hunter2" + code], items: environment)
            #expect(asked.result == PAM.success && asked.outcome == "accepted-totp", "\(asked.logs)")
        }
    }

    @Test("options that are not lists of groups or numeric networks are refused: fail closed", arguments: [
        "exempt_network=host.example", "exempt_network=192.0.2.1/24", "exempt_network=192.0.2.0/33", "exempt_network=",
        "exempt_group=", "exempt_group=a,,b", "require_group=a,a", "exempt_network=010.0.0.0/8",
    ])
    func refused(_ option: String) throws {
        let harness = try PAMHarness()
        try harness.moduleOnly(option)
        try harness.enroll("root")
        let run = try harness.authenticate("root", answers: ["000000"], items: ["PAM_RHOST": "192.0.2.1"])
        #expect(run.result == PAM.serviceError && run.outcome == "config-error", "\(option): \(run.logs)")
    }
}
}
