import ArgumentParser
import TwoFactorStore

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
        let user = target.user
        try target.requireEnrollment()
        try target.authorize(code: code)
        guard try storeCall({ () throws(EnrollmentStoreError) in try target.enrollments.reset(user: user) }) else {
            throw SetupFailure(.notEnrolled, "\(user) is not enrolled")
        }
        target.notify(.reset)
        Output.line("two-factor authentication is now off for \(user)")
    }
}
