import ArgumentParser
import TwoFactorCore

/// `verify`: checks a code with the module's rules and state, for panels with their own login.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a code or backup code exactly as a login would (replay, throttling, backup codes).",
        discussion: """
            The check runs under the user's lock and updates the same state as the module: an \
            accepted code cannot be used again, a backup code works once, wrong codes count \
            towards throttling and the lock. Exit status 0 only when the code is accepted.

            EXAMPLES:
              sudo swift-2fa-setup verify --user alice --code 123456
              sudo swift-2fa-setup verify --user alice --code abcde-fghjk --json

            \(ExitStatus.helpText)
            """)

    @OptionGroup var target: UserOptions

    @Option(help: ArgumentHelp("The code from the app, or a backup code.", valueName: "code"))
    var code: String

    @Flag(help: "Print one JSON object {user, accepted, result, backup_codes_left[, throttled_until]}.")
    var json = false

    func run() throws {
        let target = try target.resolve()
        let user = target.user
        let verification = try target.verify(code)
        if verification.outcome == .notEnrolled { throw target.refusal(for: verification) }
        if json {
            // A database's server role may not read how many backup codes are left.
            let left = try? target.enrollments.status(user: user).backupCodesLeft
            try Output.json(VerifyOutput(
                user: user, accepted: verification.outcome.isAccepted, result: verification.outcome.rawValue,
                backupCodesLeft: left ?? nil,
                throttledUntil: verification.outcome == .throttled ? Output.isoDate(verification.throttledUntil) : nil))
        }
        guard verification.outcome.isAccepted else { throw target.refusal(for: verification) }
        if !json {
            Output.line(verification.outcome == .acceptedBackup ? "accepted: backup code (now used up)" : "accepted")
        }
    }
}

/// The JSON object of `verify --json`.
struct VerifyOutput: Encodable {
    let user: String
    let accepted: Bool
    let result: String
    /// Nil (left out) in fleet mode when the connecting role may not read the status.
    let backupCodesLeft: Int?
    let throttledUntil: String?

    enum CodingKeys: String, CodingKey {
        case user, accepted, result
        case backupCodesLeft = "backup_codes_left"
        case throttledUntil = "throttled_until"
    }
}
