import ArgumentParser
import TwoFactorStore

/// `reset`: removes a user's enrollment, pending enrollment and state (root). The lost-phone recovery.
struct ResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Remove a user's enrollment, pending enrollment and state (root): lost-phone recovery.",
        discussion: """
            Use it when a user lost the phone and the backup codes. Works on a damaged secret \
            file too. The user can then enroll again.

            EXAMPLES:
              sudo swift-2fa-setup reset --user alice
              sudo swift-2fa-setup enroll --user alice      (then alice scans the new code)

            \(ExitStatus.helpText)
            """)

    @OptionGroup var target: UserOptions

    func run() throws {
        let target = try target.resolve()
        try target.requireRoot(command: "reset")
        let user = target.user
        guard try storeCall({ () throws(EnrollmentStoreError) in try target.enrollments.reset(user: user) }) else {
            throw SetupFailure(.notEnrolled, "\(user) is not enrolled; nothing to reset")
        }
        target.notify(.reset)
        Output.line("removed the enrollment of \(user)")
    }
}
