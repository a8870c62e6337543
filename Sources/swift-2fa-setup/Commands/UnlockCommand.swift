import ArgumentParser
import TwoFactorStore

/// `unlock`: clears throttling and the lock after too many wrong codes (root).
struct UnlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Clear a user's failed attempts, throttling and lock (root).",
        discussion: """
            The last accepted time step and the used backup codes are kept, so no code \
            becomes usable again.

            EXAMPLES:
              sudo swift-2fa-setup unlock --user alice

            \(ExitStatus.helpText)
            """)

    @OptionGroup var target: UserOptions

    func run() throws {
        let target = try target.resolve()
        try target.requireRoot(command: "unlock")
        let user = target.user
        guard let before = try storeCall({ () throws(EnrollmentStoreError) in try target.enrollments.unlock(user: user) }) else {
            throw SetupFailure(.notEnrolled, "\(user) is not enrolled")
        }
        Output.line("unlocked \(user) (had \(before.failures) failed attempts" + (before.locked ? ", was locked)" : ")"))
    }
}
