import ArgumentParser

/// `pam enable SERVICE`: add the module after the password module, try, roll back on failure.
struct PamEnableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable",
        abstract: "Ask SERVICE for the code: add the module to /etc/pam.d/SERVICE after the password module.",
        discussion: """
            The file is copied to SERVICE.swift-2fa.bak first, then the line \
            'auth required pam_swift2fa.so nullok' goes right after the password module (@include \
            common-auth, auth include|substack common-auth, or an auth line with pam_unix.so). \
            That module must end the stack on a wrong password, so no code is asked for or counted \
            before the password is right: 'auth substack' becomes 'auth include' and 'auth required' \
            becomes 'auth requisite' ('pam disable' puts them back). The new stack is tried with \
            pamtester; if the try fails, the backup is put back and the exit status is 74. \
            Running it again changes nothing.
            """)

    @Argument(help: ArgumentHelp("The service: a file in the PAM directory, e.g. sshd, sudo, su, login, cockpit.",
                                 valueName: "service"))
    var service: String

    @OptionGroup var directory: PamDirectoryOption

    @Flag(name: .customLong("no-check"), help: "Do not try the new stack with pamtester (for a staged PAM directory).")
    var noCheck = false

    func run() throws {
        try PamDirectory.validate(service: service)
        let dir = try directory.resolve()
        let path = dir.file(service)
        if PamDirectory.managedByPamAuthUpdate.contains(service) {
            throw SetupFailure.usage("\(path) is written by pam-auth-update; use: pam-auth-update --enable swift-2fa")
        }
        if !noCheck { try requireRootForPam("enable") }
        guard let text = try dir.read(service) else {
            throw SetupFailure.io("\(path) does not exist: is the program behind '\(service)' installed?")
        }
        if !noCheck { _ = try PamModuleLocation.installedModule() }
        let file = PamServiceFile(text: text)
        let use = try dir.moduleUse(service)
        if file.moduleLineIndex != nil || use != nil {
            let how = use.map { $0.via.isEmpty ? "" : " through \($0.via.joined(separator: " > "))" } ?? ""
            Output.line("\(path) already uses \(PamServiceFile.moduleName)\(how); not changed")
            if !noCheck, try !PamStackCheck(service: service, pamDirectory: dir.path).runIsolated() {
                throw SetupFailure.io("the existing stack in \(path) failed the check above; not changed")
            }
            return
        }
        guard let enabled = file.enabled() else {
            throw SetupFailure.io("no password module (@include common-auth, or an auth line with pam_unix.so) in \(path); "
                                  + "add 'auth required \(PamServiceFile.moduleName) nullok' by hand right after the module that asks for the password")
        }
        let backupName = service + PamDirectory.backupSuffix
        let backup = dir.file(backupName)
        // Until the try has passed, an interruption puts the old file back.
        let deferral = SignalDeferral()
        defer { deferral.end() }
        try dir.write(text, to: backupName, likeFile: service)
        try dir.write(enabled.file.text, to: service, likeFile: service)
        Output.line("\(path): added 'auth required \(PamServiceFile.moduleName) nullok' after line \(enabled.anchorLine) (backup: \(backup))")
        if !enabled.anchorEndsStack {
            Output.line("note: line \(enabled.anchorLine) of \(path) does not end the stack on a wrong password; make it 'requisite'")
        }
        if noCheck {
            Output.line("not tried with pamtester (--no-check)")
            return
        }
        var passed = false
        do {
            passed = try PamStackCheck(service: service, pamDirectory: dir.path).runIsolated()
        } catch {
            Output.error(error.message)
        }
        if !passed || deferral.interrupted {
            try restore(dir: dir, service: service, from: backupName, original: text)
            throw SetupFailure.io(deferral.interrupted
                ? "interrupted; \(path) was put back as it was"
                : "the new stack for '\(service)' failed the check above; restored \(path) from \(backup)")
        }
        Output.line()
        Output.line(PamNextSteps.text(for: service))
    }

    /// Puts the backup back and checks it took; the backup is then removed.
    private func restore(dir: PamDirectory, service: String, from backupName: String, original: String) throws(SetupFailure) {
        let path = dir.file(service)
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
