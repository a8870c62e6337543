import ArgumentParser
import TwoFactorCore
import TwoFactorStore

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

    @OptionGroup var selfService: SelfServiceOptions

    func run() throws {
        if selfService.routes(target) {
            try selfService.forward(SelfServiceRequest(operation: .backupCodes(regenerate: regenerate),
                                                       proof: try selfService.proof(code: code), json: json))
        }
        let target = try target.resolve()
        let user = target.user
        guard regenerate else {
            let status = try storeCall { () throws(EnrollmentStoreError) in try target.enrollments.status(user: user) }
            guard status.phase == .enrolled, let left = status.backupCodesLeft else {
                throw SetupFailure(.notEnrolled, "\(user) is not enrolled")
            }
            if json {
                try Output.json(BackupCodesLeftOutput(user: user, backupCodesLeft: left))
            } else {
                Output.line("\(user) has \(left) unused backup codes; "
                            + "'swift-2fa-setup backup-codes --regenerate' makes new ones")
            }
            return
        }
        try target.requireEnrollment()
        try target.authorize(code: code)
        guard let codes = try storeCall({ () throws(EnrollmentStoreError) in
            try target.enrollments.regenerateBackupCodes(user: user)
        }) else {
            throw SetupFailure(.notEnrolled, "\(user) is not enrolled")
        }
        if json {
            try Output.json(NewBackupCodesOutput(user: user, backupCodes: codes))
        } else {
            EnrollmentDisplay.showBackupCodes(codes)
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
