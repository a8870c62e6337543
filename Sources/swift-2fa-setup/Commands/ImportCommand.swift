import ArgumentParser
import TwoFactorCore
import TwoFactorStore

/// `import`: migrates a google-authenticator file, so users need not scan again.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Migrate a ~/.google_authenticator file: its secret, and its scratch codes as backup codes.",
        discussion: """
            Only time-based (TOTP) files can be imported (TOTP_AUTH; HOTP_COUNTER is refused). \
            STEP_SIZE becomes the period; used time steps (DISALLOW_REUSE) stay used, up to the \
            current step; WINDOW_SIZE, RATE_LIMIT, TIME_SKEW, RESETTING_TIME_SKEW and OTP_DISABLED \
            are ignored and listed (the window and throttle settings of the configuration file and \
            the module apply instead). Any other option, a file that is not text or not in the \
            format is refused with status 64. The file is left in place; remove it once PAM uses \
            pam_swift2fa.

            When the configuration file names a database (fleet mode), the enrollment goes \
            there, with its used time steps and the scratch codes as backup codes (hashed by the \
            database), and nothing is written to the store; this needs the admin role.

            Root reads the file as root when every directory above it is owned by root and not \
            writable by group or others (google-authenticator's root-owned layout, e.g. \
            /var/lib/google-authenticator/alice), and as the user otherwise. The file must be \
            owned by the user or root and private.

            EXAMPLES:
              swift-2fa-setup import --google-authenticator ~/.google_authenticator
              sudo swift-2fa-setup import --google-authenticator /home/alice/.google_authenticator --user alice
              sudo swift-2fa-setup import --google-authenticator /var/lib/google-authenticator/alice --user alice

            \(ExitStatus.helpText)
            """)

    @OptionGroup var target: UserOptions

    @Option(name: .customLong("google-authenticator"), help: ArgumentHelp(
        "The google-authenticator file to import.", valueName: "file"))
    var file: String

    @Flag(help: "Replace an existing enrollment.")
    var force = false

    @Flag(help: "Print one JSON object {user, period, backup_codes, ignored}.")
    var json = false

    func run() throws {
        let target = try target.resolve()
        let user = target.user
        let homeSelf = target.homeMode && !target.invokerIsRoot
        if !target.inFleet && !homeSelf { try target.checkStoreWritable(homeHint: true) }
        try target.requireReplaceable(force: force)

        let imported = try ImportSource.read(file, for: target.account)
        if imported.timeSkewSteps != 0 {
            Output.warning("google-authenticator had learned that the phone's clock is off by "
                           + "\(imported.timeSkewSteps) time steps; swift-2fa does not carry that over, "
                           + "so correct the phone's clock if its codes are refused")
        }
        let record = SecretRecord(
            secret: imported.secret,
            parameters: OTPParameters(algorithm: .sha1, digits: 6, period: imported.period),
            created: Enrollment.now())
        let lastStep = imported.lastUsedStep(now: record.created)
        let event = target.activationEvent(replace: force)
        let activation = try storeCall { () throws(EnrollmentStoreError) in
            try target.enrollments.importEnrollment(user: user, record: record, scratchCodes: imported.scratchCodes,
                                                    lastStep: lastStep, replace: force)
        }
        target.notify(event)
        if !activation.stateReset { target.warnStateNotReset() }
        let kept = activation.backupCodes.count
        if kept < imported.scratchCodes.count {
            // Two codes with the same tag (or a repeated code) cannot both be kept: see BackupCodeHash.
            Output.warning("\(imported.scratchCodes.count - kept) of \(imported.scratchCodes.count) scratch codes dropped: "
                           + "each had the same index as another one")
        }
        if json {
            try Output.json(ImportOutput(user: user, period: imported.period, backupCodes: kept,
                                         ignored: imported.ignoredOptions))
            return
        }
        Output.line("imported \(file) for \(user): 6-digit codes every \(imported.period) s, "
                    + "\(kept) scratch codes as backup codes")
        if !imported.ignoredOptions.isEmpty {
            Output.line("ignored: \(imported.ignoredOptions.joined(separator: ", ")) "
                        + "(the window and throttle settings of the configuration file and the module apply)")
        }
        Output.line("\(file) was left in place; remove it once PAM uses pam_swift2fa")
    }
}

/// The JSON object of `import --json`.
struct ImportOutput: Encodable {
    let user: String
    let period: Int
    let backupCodes: Int
    let ignored: [String]

    enum CodingKeys: String, CodingKey {
        case user, period, ignored
        case backupCodes = "backup_codes"
    }
}
