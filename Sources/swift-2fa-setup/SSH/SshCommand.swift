import ArgumentParser
import Glibc

/// `ssh`: check and set the sshd side of the second factor.
struct SshCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ssh",
        abstract: "Check that sshd asks PAM for the code on every login, or set it up with a drop-in.",
        discussion: """
            The PAM side ('pam enable sshd') makes PAM ask for the code; sshd must also run PAM \
            for every login: UsePAM yes, KbdInteractiveAuthentication yes, and an \
            AuthenticationMethods whose every list holds keyboard-interactive. 'ssh check' asks \
            the real sshd (sshd -T) and names the file and line behind each problem; 'ssh enable' \
            writes the drop-in \(SshDropIn.name) that sets them, and 'ssh disable' removes it.

            EXAMPLES:
              sudo swift-2fa-setup ssh check                   the global settings
              sudo swift-2fa-setup ssh check --user alice      as for alice's login
              sudo swift-2fa-setup ssh enable                  password + code, every login
              sudo swift-2fa-setup ssh enable --with-key       key, then password + code
              sudo swift-2fa-setup ssh disable                 remove the drop-in again

            \(ExitStatus.helpText)
            """,
        subcommands: [SshCheckCommand.self, SshEnableCommand.self, SshDisableCommand.self])
}

/// The option every `ssh` subcommand takes: which sshd configuration it works on.
struct SshdConfigOption: ParsableArguments {
    /// Debian's main sshd configuration file.
    static let system = "/etc/ssh/sshd_config"

    @Option(name: .customLong("sshd-config"), help: ArgumentHelp(
        "The main sshd configuration file, read with sshd -f.",
        valueName: "file"))
    var sshdConfig: String = SshdConfigOption.system

    /// The file, checked to be an absolute path of a regular file, and the finder's reading of it.
    func resolve() throws(SetupFailure) -> (sshd: Sshd, finder: SshdLineFinder) {
        let path = try directoryArgument(sshdConfig, option: "--sshd-config")
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw .usage("--sshd-config: \(path) is not a file")
        }
        return (Sshd(configFile: path), try SshdLineFinder(mainFile: path))
    }
}

/// Fails unless the command runs as root (sshd reads its host keys; the drop-in is root's).
func requireRootForSsh(_ what: String) throws(SetupFailure) {
    guard getuid() == 0 && geteuid() == 0 else { throw .io("'ssh \(what)' needs root; run it with sudo") }
}
