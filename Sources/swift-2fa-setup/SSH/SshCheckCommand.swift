import ArgumentParser

/// `ssh check`: does sshd run PAM, and so ask for the code, on every login?
struct SshCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check with sshd -T that every login goes through PAM's keyboard-interactive (nothing changes).",
        discussion: """
            Runs the real sshd -T (with -C for --user, --host and --addr, so Match blocks apply \
            as for that login) and checks UsePAM yes, KbdInteractiveAuthentication yes and an \
            AuthenticationMethods whose every usable list holds keyboard-interactive. It warns \
            when a login never runs PAM (a public key alone) and when a Match block undoes the \
            set-up for the connections it matches. Each finding names the file and line that \
            cause it, found by reading the files as sshd does (Include, sshd_config.d in order, \
            Match blocks); that reading only points, sshd -T decides. Exit status 1 when a \
            problem is found; warnings alone leave it 0. Needs root (sshd reads its host keys).

            EXAMPLES:
              sudo swift-2fa-setup ssh check
              sudo swift-2fa-setup ssh check --user alice --addr 192.0.2.7
              sudo swift-2fa-setup ssh check --json --sshd-config /mnt/etc/ssh/sshd_config

            \(ExitStatus.helpText)
            """)

    @Option(help: ArgumentHelp("Check as for a login by this user (sshd -C user=).", valueName: "name"))
    var user: String?

    @Option(help: ArgumentHelp("Check as for a login from this client host name (sshd -C host=).", valueName: "name"))
    var host: String?

    @Option(help: ArgumentHelp("Check as for a login from this address (sshd -C addr=).", valueName: "address"))
    var addr: String?

    @OptionGroup var config: SshdConfigOption

    @Flag(help: "Print one JSON object: sshd_config, connection, settings, findings (with their causes), passed.")
    var json = false

    func run() throws {
        let connection = try SshConnection.from(user: user, host: host, address: addr)
        let (sshd, finder) = try config.resolve()
        try requireRootForSsh("check")
        let report = try SshCheck.run(sshd: sshd, finder: finder, connection: connection)
        if json {
            try Output.json(report)
            guard report.passed else { throw SetupFailure.reported(.refused) }
            return
        }
        for line in report.lines { Output.line(line) }
        guard report.passed else {
            throw SetupFailure(.refused, "sshd does not ask for the code on every login: see the problems above")
        }
    }
}
