import ArgumentParser

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
        if let fleet = target.fleet { return try runFleet(target, fleet) }
        try target.removeEverything(command: "reset")
        Output.line("removed the enrollment of \(target.user)")
    }
}

extension ManagedUser {
    /// Removes the secret, pending and state files under the lock; exit status 2 when
    /// none of them exists.
    func removeEverything(command: String) throws(SetupFailure) {
        let hasSecret = try secretFileExists()
        guard hasSecret || (storeExists && (pendingExists || stateExists)) else {
            throw SetupFailure(.notEnrolled, "\(user) is not enrolled; nothing to \(command)")
        }
        try locked { _ throws(SetupFailure) in try removeFiles() }
    }

    /// Removes the secret, pending and state files. Call inside `locked`.
    func removeFiles() throws(SetupFailure) {
        try removeSecret()
        try removePending()
        try removeState()
    }
}
