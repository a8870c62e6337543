import ArgumentParser
import TwoFactorCore

/// `confirm`: activates a pending enrollment once a code for it is right.
struct ConfirmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "confirm",
        abstract: "Activate a pending enrollment (from 'enroll --pending') with a code from the app.",
        discussion: """
            A wrong code keeps the enrollment pending; it expires 10 minutes after 'enroll --pending'. \
            The backup codes are printed once.

            EXAMPLES:
              sudo swift-2fa-setup confirm --user alice --code 123456 --json
              → {"backup_codes":["abcde-fghjk",...],"user":"alice"}

            \(ExitStatus.helpText)
            """)

    @OptionGroup var target: UserOptions

    @Option(help: ArgumentHelp("The code the app shows for the pending secret.", valueName: "code"))
    var code: String

    @Flag(help: "Replace an existing enrollment.")
    var force = false

    @Flag(help: "Print one JSON object {user, backup_codes}.")
    var json = false

    func run() throws {
        let target = try target.resolve()
        if let fleet = target.fleet { return try runFleet(target, fleet) }
        guard target.storeExists, target.pendingExists else {
            throw SetupFailure(.notEnrolled, "nothing is pending for \(target.user); start with 'swift-2fa-setup enroll --pending'")
        }
        guard let pending = try target.readPending() else {
            throw SetupFailure(.notEnrolled, "nothing is pending for \(target.user)")
        }
        guard let until = pending.pendingUntil else {
            throw SetupFailure.io("the pending enrollment of \(target.user) has no pending_until line")
        }
        let now = Enrollment.now()
        guard now <= until else {
            throw SetupFailure(.notEnrolled, "the pending enrollment of \(target.user) expired at "
                               + "\(Output.isoDate(until)); start again with 'swift-2fa-setup enroll --pending'")
        }
        guard let step = NewEnrollment.acceptedStep(of: code, record: pending, now: now) else {
            throw SetupFailure(.refused, "wrong code; the enrollment of \(target.user) is still pending "
                               + "until \(Output.isoDate(until))")
        }
        let backup = try Enrollment.newBackupCodes(secret: pending.secret)
        var active = pending
        active.backupCodes = backup.hashes
        active.created = now
        try target.locked { _ throws(SetupFailure) in
            // Checked without the lock above; make sure no other enroll replaced it since.
            guard try target.readPending() == pending else {
                throw SetupFailure.io("the pending enrollment of \(target.user) changed meanwhile; try again")
            }
            try Enrollment.install(active, lastStep: step, target: target, force: force, storeUsable: true)
        }
        if json {
            try Output.json(NewBackupCodesOutput(user: target.user, backupCodes: backup.codes))
        } else {
            Output.line("Two-factor authentication is now active for \(target.user).")
            Output.line()
            EnrollmentDisplay.showBackupCodes(backup.codes)
        }
    }
}

/// The JSON object of `confirm --json` and `backup-codes --regenerate --json`.
struct NewBackupCodesOutput: Encodable {
    let user: String
    let backupCodes: [String]

    enum CodingKeys: String, CodingKey {
        case user
        case backupCodes = "backup_codes"
    }
}
