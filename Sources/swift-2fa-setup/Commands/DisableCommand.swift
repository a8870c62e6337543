import ArgumentParser

/// `disable`: the user turns two-factor authentication off, proven by a valid code.
struct DisableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Remove your enrollment; needs a valid code or backup code (root with --user needs none).",
        discussion: """
            The code is checked as at a login (and used up). Without --code it is asked for.

            EXAMPLES:
              swift-2fa-setup disable --code 123456
              sudo swift-2fa-setup disable --user alice

            \(ExitStatus.helpText)
            """)

    @OptionGroup var target: UserOptions

    @Option(help: ArgumentHelp("A current code or a backup code.", valueName: "code"))
    var code: String?

    func run() throws {
        let target = try target.resolve()
        if let fleet = target.fleet { return try runFleet(target, fleet) }
        _ = try target.requireEnrollment()
        try target.locked { _ throws(SetupFailure) in
            try target.authorize(code: code, record: try target.requireEnrollment())
            try target.removeFiles()
        }
        Output.line("two-factor authentication is now off for \(target.user)")
    }
}
