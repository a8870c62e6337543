import ArgumentParser
import TwoFactorCore

/// `backup-codes`: how many backup codes are left, or a new set with `--regenerate`.
struct BackupCodesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup-codes",
        abstract: "Count the unused backup codes, or replace them all with --regenerate.",
        discussion: """
            --regenerate needs a valid code or backup code (root with --user needs none). The new \
            codes are printed once; all old ones stop working.

            EXAMPLES:
              swift-2fa-setup backup-codes
              swift-2fa-setup backup-codes --regenerate --code 123456
              sudo swift-2fa-setup backup-codes --regenerate --user alice --json

            \(ExitStatus.helpText)
            """)

    @OptionGroup var target: UserOptions

    @Flag(help: "Replace all backup codes with 10 new ones.")
    var regenerate = false

    @Option(help: ArgumentHelp("A current code or a backup code (with --regenerate).", valueName: "code"))
    var code: String?

    @Flag(help: "Print one JSON object {user, backup_codes} (or {user, backup_codes_left}).")
    var json = false

    func run() throws {
        let target = try target.resolve()
        if let fleet = target.fleet { return try runFleet(target, fleet) }
        let record = try target.requireEnrollment()
        guard regenerate else {
            let left = VerificationPolicy.unusedBackupCodes(record: record, state: try target.readState()).count
            if json {
                try Output.json(BackupCodesLeftOutput(user: target.user, backupCodesLeft: left))
            } else {
                Output.line("\(target.user) has \(left) unused backup codes; "
                            + "'swift-2fa-setup backup-codes --regenerate' makes new ones")
            }
            return
        }
        let backup = try Enrollment.newBackupCodes(secret: record.secret)
        try target.locked { _ throws(SetupFailure) in
            let current = try target.requireEnrollment()
            // The codes are tagged with the secret; it must not have been replaced since.
            guard current.secret == record.secret else {
                throw SetupFailure.io("the enrollment of \(target.user) changed meanwhile; try again")
            }
            try target.authorize(code: code, record: current)
            var updated = current
            updated.backupCodes = backup.hashes
            try target.writeSecret(updated)
            var state = try target.readState()
            if !state.usedBackupSalts.isEmpty {
                state.usedBackupSalts = []
                try target.writeState(state)
            }
        }
        if json {
            try Output.json(NewBackupCodesOutput(user: target.user, backupCodes: backup.codes))
        } else {
            EnrollmentDisplay.showBackupCodes(backup.codes)
        }
    }
}

/// The JSON object of `backup-codes --json` without `--regenerate`.
struct BackupCodesLeftOutput: Encodable {
    let user: String
    let backupCodesLeft: Int

    enum CodingKeys: String, CodingKey {
        case user
        case backupCodesLeft = "backup_codes_left"
    }
}
