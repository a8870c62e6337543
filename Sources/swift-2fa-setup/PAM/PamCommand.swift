import ArgumentParser
import Glibc

/// `pam`: turn the second factor on or off for a PAM service, and show where it is on.
struct PamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pam",
        abstract: "Ask a PAM service for the code, stop asking, or show which services ask.",
        discussion: """
            'pam enable' edits /etc/pam.d/SERVICE: it keeps a backup, adds \
            'auth required pam_swift2fa.so nullok' after the password module where the stack rules \
            hold (a wrong password ends the stack first; the module's failure fails it), tries the \
            new stack with pamtester (in a private mount namespace, with a throw-away user, store \
            and configuration) and puts the old file back if the try fails. For every service at once, use the \
            pam-auth-update profile instead: pam-auth-update --enable swift-2fa.

            EXAMPLES:
              sudo swift-2fa-setup pam enable sudo       ask sudo for the code (nullok rollout)
              sudo swift-2fa-setup pam disable sshd      stop asking SSH logins (recovery)
              swift-2fa-setup pam status                 which services ask, with which options
              sudo swift-2fa-setup pam require sshd      drop nullok once everyone is enrolled

            \(ExitStatus.helpText)
            """,
        subcommands: [PamEnableCommand.self, PamDisableCommand.self, PamStatusCommand.self, PamCheckCommand.self,
                      PamRequireCommand.self, PamAllowUnenrolledCommand.self])
}

/// The option every `pam` subcommand takes: which PAM directory it works on.
struct PamDirectoryOption: ParsableArguments {
    @Option(name: .customLong("pam-dir"), help: ArgumentHelp(
        "The PAM configuration directory (default: \(PamDirectory.system)); another one for staging and tests.",
        valueName: "dir"))
    var pamDir: String = PamDirectory.system

    /// The directory, checked to be absolute.
    func resolve() throws(SetupFailure) -> PamDirectory {
        PamDirectory(path: try directoryArgument(pamDir, option: "--pam-dir"))
    }
}

/// Fails unless the command runs as root (it edits PAM files or mounts).
func requireRootForPam(_ what: String) throws(SetupFailure) {
    guard getuid() == 0 && geteuid() == 0 else { throw .io("'pam \(what)' needs root; run it with sudo") }
}
