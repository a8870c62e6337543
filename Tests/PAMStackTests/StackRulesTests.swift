import PAMStack
import Testing

/// The stack rules on real stacks (Debian 12, pam-auth-update, the repository's examples
/// and recipes), which must pass, and on hostile ones, which must be refused at the right line.
@Suite struct StackRulesTests {
    typealias F = StackFixtures

    /// Every problem's `file:line: reason`.
    static func problems(_ report: StackRules.Report) -> [String] { report.problems.map(\.description) }

    // MARK: real stacks

    @Test(arguments: ["sshd", "sudo", "sudo-i", "su", "login", "cockpit"])
    func debianServicesAfterPamEnableKeepTheRules(service: String) throws {
        var files = F.debian
        let edit = try F.edit(service, in: files)
        #expect(edit.report.isSound)
        files[service] = edit.file.text
        let report = F.report(service, in: files)
        #expect(report.isSound, "\(Self.problems(report))")
        #expect(F.stack(service, in: files).asksForCode)
    }

    @Test func debianPlacesAfterTheIncludeAndKeepsTheAnchorWords() throws {
        let sshd = try F.edit("sshd", in: F.debian)
        #expect(sshd.afterLine == 2 && sshd.passwordLine == 2)
        let lines = sshd.file.lines
        #expect(lines[2] == PamServiceFile.marker && lines[3] == PamServiceFile.entry)
        // cockpit's substack becomes include, recorded for pam disable.
        let cockpit = try F.edit("cockpit", in: F.debian)
        #expect(cockpit.file.lines[2] == "auth       include     common-auth")
        #expect(cockpit.file.lines[3] == "\(PamServiceFile.controlMarkerPrefix)'substack'")
        #expect(cockpit.file.disabled().text == F.cockpit)
    }

    @Test(arguments: ["sshd", "sudo", "sudo-i", "su", "su-l", "login", "cockpit", "other"])
    func theProfileInCommonAuthKeepsTheRules(service: String) {
        var files = F.debian
        files["common-auth"] = F.commonAuthWithProfile
        let report = F.report(service, in: files)
        #expect(report.isSound, "\(Self.problems(report))")
        #expect(F.stack(service, in: files).asksForCode)
        #expect(F.stack(service, in: files).firstModuleEntry?.via.last == "common-auth")
    }

    @Test func aDirectoryServiceBesideUnixKeepsTheRules() {
        let files = ["common-auth": F.commonAuthWithSSS, "svc": "@include common-auth\nauth required pam_swift2fa.so nullok\n"]
        let report = F.report("svc", in: files)
        #expect(report.isSound, "\(Self.problems(report))")
    }

    @Test(arguments: ["sshd", "sudo", "su", "login", "cockpit", "panel", "sshd-enroll", "cockpit-enroll", "panel-one-field",
                      "exempt-network", "exempt-group"])
    func theExamplesKeepTheRules(name: String) throws {
        var files = F.debian
        files[name] = F.example(name)
        try #require(!F.example(name).isEmpty)
        let report = F.report(name, in: files)
        #expect(report.isSound, "\(Self.problems(report))")
        #expect(report.notes.isEmpty)
    }

    /// The recipes skip the module on purpose, by another module's decision: allowed, and noted.
    @Test(arguments: ["trusted-network", "break-glass", "group-rollout"])
    func theRecipesKeepTheRules(name: String) {
        var files = F.debian
        files[name] = F.example(name)
        let report = F.report(name, in: files)
        #expect(report.isSound, "\(Self.problems(report))")
        #expect(report.notes.contains { $0.contains("without the code") }, "\(report.notes)")
    }

    @Test func keyAndCodeHasNoPasswordModuleAndSaysSo() {
        var files = F.debian
        files["sshd"] = F.example("sshd-key-and-code")
        let report = F.report("sshd", in: files)
        #expect(report.isSound, "\(Self.problems(report))")
        #expect(report.notes.contains { $0.contains("no password module") })
    }

    // MARK: hostile stacks (finding 1 of the review, and more)

    /// `auth optional pam_unix.so`: a wrong password plus a valid code logged in.
    @Test func optionalPasswordLineIsRefused() {
        let files = ["svc": "auth optional pam_unix.so\nauth required pam_swift2fa.so nullok\n"]
        let problems = Self.problems(F.report("svc", in: files))
        #expect(problems.contains { $0.hasPrefix("svc:1: a wrong password does not end the stack") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("svc:1: a wrong password here does not stop the login") }, "\(problems)")
        guard case .unsound(let refused) = F.refusal("svc", in: ["svc": "auth optional pam_unix.so\n"]) else {
            Issue.record("pam enable accepted an optional password line")
            return
        }
        #expect(refused.contains { $0.location?.description == "svc:1" })
    }

    /// `[... default=bad] pam_unix.so`: codes checked and failures counted after a wrong password.
    @Test func defaultBadPasswordLineIsRefused() {
        let text = "auth [success=ok new_authtok_reqd=ok ignore=ignore default=bad] pam_unix.so\n"
        let problems = Self.problems(F.report("svc", in: ["svc": text + "auth required pam_swift2fa.so\n"]))
        #expect(problems.contains { $0.hasPrefix("svc:1: a wrong password does not end the stack") && $0.contains("svc:2") }, "\(problems)")
        guard case .unsound = F.refusal("svc", in: ["svc": text]) else {
            Issue.record("pam enable accepted a default=bad password line")
            return
        }
    }

    /// `sufficient pam_unix.so`: the password alone logs in, and a wrong one reaches the module.
    @Test func sufficientPasswordLineIsRefused() {
        let problems = Self.problems(F.report("svc", in: ["svc": "auth sufficient pam_unix.so\nauth required pam_swift2fa.so nullok\n"]))
        #expect(problems.contains { $0.hasPrefix("svc:1: after a right password this line skips the module") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("svc:1: a wrong password does not end the stack") }, "\(problems)")
    }

    /// A copied common-auth with the module right after the jumping pam_unix line: every
    /// right password was refused. pam enable puts it after pam_deny instead.
    @Test func copiedCommonAuthGetsTheModuleAfterTheJumpTarget() throws {
        let wrong = "auth [success=1 default=ignore] pam_unix.so nullok\nauth required pam_swift2fa.so nullok\nauth requisite pam_deny.so\nauth required pam_permit.so\n"
        let problems = Self.problems(F.report("svc", in: ["svc": wrong]))
        #expect(problems.contains { $0.hasPrefix("svc:1: after a right password this line skips the module") }, "\(problems)")
        #expect(problems.contains { $0.contains("refuses everybody") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("svc:1: a wrong password does not end the stack") }, "\(problems)")

        let copied = "auth [success=1 default=ignore] pam_unix.so nullok\nauth requisite pam_deny.so\nauth required pam_permit.so\n"
        let edit = try F.edit("svc", in: ["svc": copied])
        #expect(edit.afterLine == 2)
        #expect(edit.file.lines == ["auth [success=1 default=ignore] pam_unix.so nullok", "auth requisite pam_deny.so",
                                    PamServiceFile.marker, PamServiceFile.entry, "auth required pam_permit.so"])
        #expect(edit.file.disabled().text == copied)
    }

    /// `auth required pam_unix.so` becomes requisite; the substack of cockpit include.
    @Test func requiredAndSubstackAnchorsAreMadeToEndTheStack() throws {
        let plain = "auth required pam_env.so\nauth required pam_unix.so nullok\naccount required pam_unix.so\n"
        let edit = try F.edit("plain", in: ["plain": plain])
        #expect(edit.file.lines[1] == "auth requisite pam_unix.so nullok")
        #expect(edit.file.disabled().text == plain)
        // Left as they were, both break the rules, at the line to blame.
        let required = Self.problems(F.report("svc", in: ["svc": "auth required pam_unix.so\nauth required pam_swift2fa.so\n"]))
        #expect(required.contains { $0.hasPrefix("svc:1: a wrong password does not end the stack") }, "\(required)")
        var files = F.debian
        files["cockpit"] = F.cockpit.replacingOccurrences(of: "auth       optional     pam_ssh_add.so",
                                                          with: "auth required pam_swift2fa.so nullok\nauth       optional     pam_ssh_add.so")
        let substack = Self.problems(F.report("cockpit", in: files))
        #expect(substack.contains { $0.hasPrefix("cockpit:3: a substack ends only itself") }, "\(substack)")
    }

    @Test func optionalOrSufficientModuleIsRefused() {
        for control in ["optional", "sufficient", "[success=ok default=ignore]", "[success=ok default=1]"] {
            let text = "auth requisite pam_unix.so\nauth \(control) pam_swift2fa.so\nauth required pam_permit.so\nauth optional pam_cap.so\n"
            let problems = Self.problems(F.report("svc", in: ["svc": text]))
            #expect(problems.contains { $0.hasPrefix("svc:2: a failure of the module does not fail the stack") }, "\(control): \(problems)")
        }
    }

    /// A later line that resets the stack's state overrides the module's failure.
    @Test func aLaterResetOverridesTheModule() {
        let text = "auth requisite pam_unix.so\nauth required pam_swift2fa.so\nauth [default=reset] pam_exec.so /bin/true\nauth required pam_permit.so\n"
        let problems = Self.problems(F.report("svc", in: ["svc": text]))
        #expect(problems.contains { $0.hasPrefix("svc:2: a failure of the module does not fail the stack: a later line resets") }, "\(problems)")
    }

    /// A required module's failure is final: a later sufficient pam_permit cannot undo it.
    @Test func aLaterSufficientLineCannotUndoARequiredFailure() {
        let text = "auth requisite pam_unix.so\nauth required pam_swift2fa.so\nauth sufficient pam_permit.so\n"
        #expect(F.report("svc", in: ["svc": text]).isSound)
    }

    @Test func thePasswordLineMustNotJumpOverTheModule() {
        let text = "auth [success=2 default=ignore] pam_unix.so\nauth requisite pam_deny.so\nauth required pam_swift2fa.so\nauth required pam_permit.so\n"
        let problems = Self.problems(F.report("svc", in: ["svc": text]))
        #expect(problems.contains { $0.hasPrefix("svc:1: after a right password this line skips the module") }, "\(problems)")
    }

    @Test func anUnconditionalSkipIsRefused() {
        let text = "auth requisite pam_unix.so\nauth sufficient pam_permit.so\nauth required pam_swift2fa.so\n"
        let problems = Self.problems(F.report("svc", in: ["svc": text]))
        #expect(problems.contains { $0.hasPrefix("svc:2: this line always skips the module") }, "\(problems)")
    }

    @Test func theModuleBeforeThePasswordIsRefused() {
        let text = "auth required pam_swift2fa.so\nauth requisite pam_unix.so\n"
        let problems = Self.problems(F.report("svc", in: ["svc": text]))
        #expect(problems.contains { $0.hasPrefix("svc:1: the module can run before any password module") }, "\(problems)")
    }

    @Test func aJumpPastTheEndFailsTheStack() {
        let text = "auth requisite pam_unix.so\nauth [success=5 default=ignore] pam_succeed_if.so user = x\nauth required pam_swift2fa.so\n"
        let report = F.report("svc", in: ["svc": text])
        #expect(report.isSound, "\(Self.problems(report))")
        #expect(report.notes.isEmpty, "a bad jump fails the stack instead of letting anyone in")
    }

    // MARK: split_answer

    @Test func splitAnswerWithoutUseFirstPassIsRefused() {
        let text = "auth requisite pam_swift2fa.so split_answer\nauth requisite pam_unix.so try_first_pass\n"
        let problems = Self.problems(F.report("svc", in: ["svc": text]))
        #expect(problems.contains { $0.hasPrefix("svc:1: the code that split_answer keeps here is checked by no later") }, "\(problems)")
    }

    @Test func splitAnswerWhoseUseFirstPassLineCanBeSkippedIsRefused() {
        let text = """
            auth requisite pam_swift2fa.so split_answer
            auth requisite pam_unix.so try_first_pass
            auth [success=1 default=ignore] pam_succeed_if.so user = breakglass
            auth required pam_swift2fa.so use_first_pass

            """
        let problems = Self.problems(F.report("svc", in: ["svc": text]))
        #expect(problems.contains { $0.hasPrefix("svc:1: the code that split_answer keeps") }, "\(problems)")
        let prompting = text.replacingOccurrences(of: "use_first_pass", with: "nullok")
        #expect(Self.problems(F.report("svc", in: ["svc": prompting])).contains { $0.hasPrefix("svc:1: the code that split_answer") })
    }

    // MARK: includes

    /// include inlines (die and done end the whole stack); substack isolates them.
    @Test func includeInlinesAndSubstackIsolatesDieAndDone() {
        let inner = "auth [success=done default=die] pam_unix.so\n"
        let viaInclude = F.report("svc", in: ["inner": inner, "svc": "auth include inner\nauth required pam_swift2fa.so\n"])
        let problems = Self.problems(viaInclude)
        // done ends the whole stack on a right password: the module never runs.
        #expect(problems.contains { $0.hasPrefix("inner:1: after a right password this line skips the module") }, "\(problems)")
        #expect(!problems.contains { $0.contains("wrong password") }, "\(problems)")
        let viaSubstack = Self.problems(F.report("svc", in: ["inner": inner, "svc": "auth substack inner\nauth required pam_swift2fa.so\n"]))
        // die ends only the substack on a wrong password: the module still runs.
        #expect(viaSubstack.contains { $0.hasPrefix("svc:1: a substack ends only itself") }, "\(viaSubstack)")
        #expect(!viaSubstack.contains { $0.contains("skips the module") }, "\(viaSubstack)")
        // A jump inside a substack cannot leave it: it fails the stack instead.
        let jump = F.report("svc", in: ["inner": "auth [success=3 default=die] pam_unix.so\n",
                                        "svc": "auth substack inner\nauth required pam_swift2fa.so\n"])
        #expect(!jump.canSucceed)
    }

    @Test func aMissingIncludedAuthFileFailsEveryLogin() {
        let report = F.report("svc", in: ["svc": "auth include common-auth\nauth required pam_swift2fa.so\n"])
        #expect(!report.canSucceed)
        #expect(F.stack("svc", in: ["svc": "auth substack common-auth\n"]).entries.count == 2)
        #expect(F.stack("svc", in: ["svc": "@include common-account\n"]).entries.isEmpty)
    }

    @Test func anIncludeLoopIsBrokenNotEndless() {
        let stack = F.stack("a", in: ["a": "auth include b\n", "b": "auth include a\nauth required pam_permit.so\n"])
        #expect(stack.entries.count == 2)
    }
}
