import ArgumentParser
import PAMStack

/// `pam enable SERVICE`: add the module after the password module, try, roll back on failure.
struct PamEnableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable",
        abstract: "Ask SERVICE for the code: add the module to /etc/pam.d/SERVICE after the password module.",
        discussion: """
            The file is copied to SERVICE.swift-2fa.bak first, then the line \
            'auth required pam_swift2fa.so nullok' goes after the password module (@include \
            common-auth, auth include|substack common-auth, or an auth line with pam_unix.so), \
            at the first place where the stack keeps the stack rules: libpam's control flow is \
            simulated for every result of every module, and a wrong password must have ended \
            the stack before the module runs, a failure of the module must fail the stack, and \
            the password line must not jump over it. 'auth substack' becomes 'auth include' and \
            'auth required' becomes 'auth requisite' ('pam disable' puts them back); a password \
            line that is optional, sufficient or [... default=bad] is refused with its file and \
            line. The new stack is then tried with pamtester; if the try fails, the backup is put \
            back and the exit status is 74. 'pam enable sudo' also covers sudo-i (sudo -i) where \
            /etc/pam.d/sudo-i exists. Running it again changes nothing.
            """)

    @Argument(help: ArgumentHelp("The service: a file in the PAM directory, e.g. sshd, sudo, su, login, cockpit.",
                                 valueName: "service"))
    var service: String

    @OptionGroup var directory: PamDirectoryOption

    @Flag(name: .customLong("no-check"), help: "Do not try the new stack with pamtester (for a staged PAM directory or a chroot); the stack rules are still checked.")
    var noCheck = false

    /// One file to change (or to leave, when it already uses the module).
    private struct Plan {
        let service: String
        let original: String
        let edit: ModuleInsertion.Edit?
    }

    func run() throws {
        try PamDirectory.validate(service: service)
        let dir = try directory.resolve()
        let path = dir.file(service)
        if PamDirectory.managedByPamAuthUpdate.contains(service) {
            throw SetupFailure.usage("\(path) is written by pam-auth-update; use: pam-auth-update --enable swift-2fa")
        }
        if !noCheck { try requireRootForPam("enable") }
        guard try dir.read(service) != nil else {
            throw SetupFailure.io("\(path) does not exist: is the program behind '\(service)' installed?")
        }
        if !noCheck { _ = try PamModuleLocation.installedModule() }
        var services = [service]
        for companion in ServiceFacts.companions[service] ?? [] where try dir.read(companion) != nil {
            services.append(companion)
        }
        let plans = try services.map { name throws(SetupFailure) in try plan(name, dir: dir) }
        if !noCheck {
            do throws(PamStackCheck.NamespaceError) { try PamStackCheck.checkNamespace() } catch {
                throw SetupFailure.io("cannot try the stack with pamtester here: \(error.description); nothing was changed. "
                                      + "The stack rules passed; to edit without the try, run 'swift-2fa-setup pam enable \(service) --no-check', "
                                      + "then 'swift-2fa-setup pam check \(service)' on the running system")
            }
        }
        // Until the try has passed, an interruption puts the old files back.
        let deferral = SignalDeferral()
        defer { deferral.end() }
        for plan in plans {
            guard let edit = plan.edit else { continue }
            let backupName = plan.service + PamDirectory.backupSuffix
            try dir.write(plan.original, to: backupName, likeFile: plan.service)
            try dir.write(edit.file.text, to: plan.service, likeFile: plan.service)
            Output.line("\(dir.file(plan.service)): added 'auth required \(PamServiceFile.moduleName) nullok' after line \(edit.afterLine) (backup: \(dir.file(backupName)))")
            for note in edit.report.notes { Output.line("note: \(note)") }
        }
        if noCheck {
            Output.line("not tried with pamtester (--no-check)")
            Output.line()
            Output.line(PamNextSteps.text(for: service, companions: Array(services.dropFirst())))
            return
        }
        let passed = PamStackCheck.tryEach(plans.map(\.service), pamDirectory: dir.path, deferral: deferral)
        if !passed || deferral.interrupted {
            for plan in plans where plan.edit != nil {
                try restore(dir: dir, service: plan.service, original: plan.original)
            }
            let names = plans.filter { $0.edit != nil }.map { dir.file($0.service) }.joined(separator: " and ")
            if deferral.interrupted { throw SetupFailure.io("interrupted; \(names) put back as they were") }
            throw SetupFailure.io(names.isEmpty
                ? "the existing stack in \(path) failed the check above; not changed"
                : "the new stack failed the check above; restored \(names) from the backup")
        }
        Output.line()
        Output.line(PamNextSteps.text(for: service, companions: Array(services.dropFirst())))
    }

    /// What to do with one service: nothing (it already uses the module and keeps the
    /// rules), or the edit; a refusal names the lines that break a rule.
    private func plan(_ name: String, dir: PamDirectory) throws(SetupFailure) -> Plan {
        let path = dir.file(name)
        guard let text = try dir.read(name) else { throw SetupFailure.io("\(path) does not exist") }
        let stack = try dir.authStack(name)
        if let entry = stack.firstModuleEntry {
            let how = entry.via.isEmpty ? "" : " through \(entry.via.joined(separator: " > "))"
            Output.line("\(path) already uses \(PamServiceFile.moduleName)\(how); not changed")
            let report = StackRules.check(stack)
            guard report.isSound else {
                for problem in report.problems { Output.line("  \(problem)") }
                throw SetupFailure.io("the existing stack of '\(name)' breaks the stack rules above; fix \(path) by hand")
            }
            return Plan(service: name, original: text, edit: nil)
        }
        do throws(ModuleInsertion.EditError<SetupFailure>) {
            let edit = try ModuleInsertion.edit(service: name, read: { file throws(SetupFailure) in try dir.readIncluded(file) })
            return Plan(service: name, original: text, edit: edit)
        } catch {
            switch error {
            case .unreadable(let failure):
                throw failure
            case .refused(.noPasswordModule):
                throw SetupFailure.io("no password module (@include common-auth, or an auth line with pam_unix.so) in \(path); "
                                      + "add 'auth required \(PamServiceFile.moduleName) nullok' by hand right after the module that asks for the password")
            case .refused(.unsound(let problems)):
                Output.line("\(path): no place for \(PamServiceFile.moduleName) keeps the stack rules; right after the password module:")
                for problem in problems { Output.line("  \(problem)") }
                throw SetupFailure.io("not changed: make the password line of \(path) end the stack on a wrong password ('requisite', or @include common-auth), then run this again")
            }
        }
    }

    /// Puts the backup back and checks it took; the backup is then removed.
    private func restore(dir: PamDirectory, service: String, original: String) throws(SetupFailure) {
        let path = dir.file(service)
        let backupName = service + PamDirectory.backupSuffix
        do throws(SetupFailure) {
            try dir.write(original, to: service, likeFile: backupName)
            guard try dir.read(service) == original else { throw SetupFailure.io("contents differ") }
        } catch {
            throw SetupFailure.io("COULD NOT restore \(path) (\(error.message)): copy \(dir.file(backupName)) over it by hand")
        }
        Output.line("restored \(path); it is as it was before")
        try dir.remove(backupName)
    }
}
