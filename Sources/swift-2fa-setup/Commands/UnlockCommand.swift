import ArgumentParser
import TwoFactorCore

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
        if let fleet = target.fleet { return try runFleet(target, fleet) }
        let enrolled = try target.readSecret() != nil
        guard target.storeExists, enrolled || target.stateExists else {
            throw SetupFailure(.notEnrolled, "\(target.user) is not enrolled")
        }
        let before = try target.locked { _ throws(SetupFailure) -> UserState in
            let state = try target.readState()
            var cleared = state
            cleared.failures = 0
            cleared.throttledUntil = 0
            cleared.locked = false
            cleared.backupFailures = 0
            if cleared != state { try target.writeState(cleared) }
            return state
        }
        Output.line("unlocked \(target.user) (had \(before.failures) failed attempts"
                    + (before.locked ? ", was locked)" : ")"))
    }
}
