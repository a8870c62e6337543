import ArgumentParser
import PAMStack

/// `pam disable SERVICE`: take the module out of one service file again.
struct PamDisableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Stop asking SERVICE for the code: remove the module from /etc/pam.d/SERVICE.",
        discussion: """
            Removes every active line that loads pam_swift2fa.so and the comments 'pam enable' \
            added, puts back the password module's 'substack' or 'required' that 'pam enable' \
            changed, and deletes SERVICE.swift-2fa.bak. The way back in when a second factor \
            locks you out: from a root shell, a rescue boot or a console. 'pam disable sudo' also \
            covers sudo-i where it exists. It does not touch common-auth: for the \
            pam-auth-update profile, run pam-auth-update --disable swift-2fa.
            """)

    @Argument(help: ArgumentHelp("The service: a file in the PAM directory.", valueName: "service"))
    var service: String

    @OptionGroup var directory: PamDirectoryOption

    func run() throws {
        try PamDirectory.validate(service: service)
        let dir = try directory.resolve()
        guard try dir.read(service) != nil else { throw SetupFailure.io("\(dir.file(service)) does not exist") }
        try disable(service, dir: dir)
        for companion in ServiceFacts.companions[service] ?? [] where try dir.read(companion) != nil {
            try disable(companion, dir: dir)
        }
    }

    private func disable(_ service: String, dir: PamDirectory) throws(SetupFailure) {
        let path = dir.file(service)
        let backupName = service + PamDirectory.backupSuffix
        guard let text = try dir.read(service) else { throw SetupFailure.io("\(path) does not exist") }
        guard text.contains(PamServiceFile.moduleName) || text.contains(PamServiceFile.markerPrefix) else {
            Output.line("\(path) does not use \(PamServiceFile.moduleName); nothing to do")
            if let use = try dir.moduleUse(service), let first = use.via.first {
                Output.line("note: it still asks for the code through \(first); see 'Leave one service out' in man swift-2fa-setup, or run pam-auth-update --disable swift-2fa")
            }
            try dir.remove(backupName)
            return
        }
        let disabled = PamServiceFile(text: text).disabled()
        if disabled.text != text {
            try dir.write(disabled.text, to: service, likeFile: service)
        }
        guard try dir.read(service).map({ PamServiceFile(text: $0).moduleLineIndex == nil }) ?? true else {
            throw SetupFailure.io("\(path) still names \(PamServiceFile.moduleName); edit it by hand")
        }
        try dir.remove(backupName)
        Output.line("\(path): removed \(PamServiceFile.moduleName); removed the backup \(dir.file(backupName))")
    }
}
