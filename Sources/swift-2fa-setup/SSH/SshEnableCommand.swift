import ArgumentParser
import Glibc

/// `ssh enable`: write the drop-in that makes sshd run PAM for every login, test it with
/// sshd, and put things back when sshd refuses it or it does not take effect.
struct SshEnableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable",
        abstract: "Write the sshd drop-in \(SshDropIn.name) (UsePAM, keyboard-interactive, AuthenticationMethods), test it, print the reload command.",
        discussion: """
            The drop-in goes into the sshd_config.d directory that the main file includes \
            (Debian: Include /etc/ssh/sshd_config.d/*.conf, at its top); a main file without \
            such an Include is refused. It sets UsePAM yes, KbdInteractiveAuthentication yes, \
            PasswordAuthentication no (PAM asks for the password inside keyboard-interactive) \
            and AuthenticationMethods keyboard-interactive, or publickey,keyboard-interactive \
            with --with-key. Then sshd -t tests the files and sshd -T must show the drop-in's \
            values; otherwise (a file read before it sets them) the previous state is put back \
            and the lines at fault are named. sshd is not reloaded: the command to do it is \
            printed. Keep a root session open and try a new login before closing it.

            EXAMPLES:
              sudo swift-2fa-setup ssh enable
              sudo swift-2fa-setup ssh enable --with-key

            \(ExitStatus.helpText)
            """)

    @Flag(name: .customLong("with-key"), help: "Require a public key before keyboard-interactive (AuthenticationMethods publickey,keyboard-interactive).")
    var withKey = false

    @OptionGroup var config: SshdConfigOption

    func run() throws {
        let (sshd, finder) = try config.resolve()
        try requireRootForSsh("enable")
        guard let dropIn = SshDropIn.locate(mainFile: sshd.configFile, finder: finder) else {
            throw SetupFailure.io("\(sshd.configFile) has no 'Include .../sshd_config.d/*.conf' outside a Match block; "
                                  + "add 'Include /etc/ssh/sshd_config.d/*.conf' at its top (as Debian ships it) and run this again")
        }
        var info = stat()
        guard stat(dropIn.directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw SetupFailure.io("\(dropIn.directory) is not a directory; create it (install -d -m 0755 \(dropIn.directory)) and run this again")
        }
        let previous = try dropIn.read()
        let text = SshDropIn.text(withKey: withKey)
        if let previous, !previous.hasPrefix(SshDropIn.marker) {
            throw SetupFailure.io("\(dropIn.path) was not written by this command; not changed (move it away first)")
        }
        let deferral = SignalDeferral()
        defer { deferral.end() }
        if previous != text {
            try dropIn.write(text)
            Output.line("wrote \(dropIn.path)")
        } else {
            Output.line("\(dropIn.path) is already in place; not changed")
        }
        // From here on, any failure puts the previous state back.
        let failure: String?
        do throws(SetupFailure) {
            failure = try verify(sshd)
        } catch {
            failure = error.message
        }
        if let failure = deferral.interrupted ? "interrupted" : failure {
            if let previous { try dropIn.write(previous) } else { try dropIn.remove() }
            let restored = previous == nil ? "removed \(dropIn.path) again" : "put the previous \(dropIn.path) back"
            throw SetupFailure.io("\(failure); \(restored)")
        }
        Output.line()
        Output.line("Next: keep this root session open, reload sshd (systemctl reload ssh), and log in from a second terminal.")
        Output.line("PAM asks for the code only where the module is in /etc/pam.d/sshd: swift-2fa-setup pam enable sshd")
    }

    /// Tests the configuration with the drop-in and shows what sshd -T makes of it: nil
    /// when sshd accepts it and asks for the code, else why not.
    private func verify(_ sshd: Sshd) throws(SetupFailure) -> String? {
        if let refusal = try sshd.test() {
            return "sshd -t refuses the configuration with the drop-in: \(refusal.summary)"
        }
        let report = try SshCheck.run(sshd: sshd, finder: try SshdLineFinder(mainFile: sshd.configFile), connection: nil)
        for line in report.lines { Output.line(line) }
        return report.passed ? nil : "the drop-in does not take effect (a file read before it sets these keywords: see above)"
    }
}
