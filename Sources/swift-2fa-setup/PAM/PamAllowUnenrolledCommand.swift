import ArgumentParser

/// `pam allow-unenrolled SERVICE`: put `nullok` back.
struct PamAllowUnenrolledCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allow-unenrolled",
        abstract: "Put nullok back on SERVICE's module line: accounts that have not enrolled log in with the password alone.",
        discussion: """
            Undoes 'pam require': nullok goes back after the last option of the module line in \
            /etc/pam.d/SERVICE (and sudo-i for sudo), with the same backup, atomic replace and \
            pamtester try as 'pam enable'. Running it again changes nothing.

            EXAMPLES:
              sudo swift-2fa-setup pam allow-unenrolled sshd

            \(ExitStatus.helpText)
            """)

    @Argument(help: ArgumentHelp("The service: a file in the PAM directory.", valueName: "service"))
    var service: String

    @Flag(name: .customLong("no-check"), help: "Do not try the new stack with pamtester (for a staged PAM directory or a chroot).")
    var noCheck = false

    @OptionGroup var directory: PamDirectoryOption

    func run() throws {
        try PamDirectory.validate(service: service)
        let change = NullokChange(allowed: true, service: service, directory: try directory.resolve(), check: !noCheck)
        try change.apply(try change.plans())
    }
}
