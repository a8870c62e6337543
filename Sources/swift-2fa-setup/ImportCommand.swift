import ArgumentParser
import Glibc
import TwoFactorCore
import TwoFactorStore

/// `import`: migrates a google-authenticator file, so users need not scan again.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Migrate a ~/.google_authenticator file: its secret, and its scratch codes as backup codes.",
        discussion: """
            Only time-based (TOTP) files can be imported. STEP_SIZE becomes the period; used time \
            steps (DISALLOW_REUSE) stay used; RATE_LIMIT, WINDOW_SIZE and TIME_SKEW are ignored \
            (the module's throttle_*= and window= options apply instead). The file is left in \
            place; remove it once PAM uses pam_swift2fa. Root reads the file as its owner.

            EXAMPLES:
              swift-2fa-setup import --google-authenticator ~/.google_authenticator
              sudo swift-2fa-setup import --google-authenticator /home/alice/.google_authenticator --user alice

            \(ExitStatus.helpText)
            """)

    @OptionGroup var target: TargetOptions

    @Option(name: .customLong("google-authenticator"), help: ArgumentHelp(
        "The google-authenticator file to import.", valueName: "file"))
    var file: String

    @Flag(help: "Replace an existing enrollment.")
    var force = false

    @Flag(help: "Print one JSON object {user, period, backup_codes, ignored}.")
    var json = false

    func run() throws {
        let target = try target.resolve()
        let homeSelf = target.homeMode && !target.invokerIsRoot
        if !homeSelf { try target.checkStoreWritable(homeHint: true) }
        try target.requireReplaceable(force: force)

        let imported = try read(for: target)
        guard let tagged = BackupCodes.hashes(for: imported.scratchCodes, secret: imported.secret) else {
            throw SetupFailure.io("cannot hash the scratch codes")
        }
        let hashes = tagged.hashes
        if tagged.dropped > 0 {
            // Two codes with the same tag (or a repeated code) cannot both be kept: see BackupCodeHash.
            Output.warning("\(tagged.dropped) of \(imported.scratchCodes.count) scratch codes dropped: "
                           + "each had the same index as another one")
        }
        let record = SecretRecord(
            secret: imported.secret,
            parameters: OTPParameters(algorithm: .sha1, digits: 6, period: imported.period),
            created: Enrollment.now(), backupCodes: hashes)
        try target.locked(storeOptional: homeSelf) { usable throws(SetupFailure) in
            try Enrollment.install(record, lastStep: imported.usedSteps.max() ?? 0, target: target,
                                   force: force, storeUsable: usable)
        }
        if json {
            try Output.json(ImportOutput(user: target.user, period: imported.period,
                                         backupCodes: hashes.count, ignored: imported.ignoredOptions))
            return
        }
        Output.line("imported \(file) for \(target.user): 6-digit codes every \(imported.period) s, "
                    + "\(hashes.count) scratch codes as backup codes")
        if !imported.ignoredOptions.isEmpty {
            Output.line("ignored: \(imported.ignoredOptions.joined(separator: ", ")) "
                        + "(the module's window= and throttle_*= options apply)")
        }
        Output.line("\(file) was left in place; remove it once PAM uses pam_swift2fa")
    }

    /// Reads and parses the file. Root reads it with the target user's identity, refusing
    /// a symbolic link, a file owned by someone else, or one others can read.
    private func read(for target: Target) throws(SetupFailure) -> GoogleAuthenticatorFile {
        let owners: [uid_t] = target.account.uid == 0 ? [0] : [target.account.uid, 0]
        let path = file
        let result = try UserIdentity.run(as: target.account) { () -> Result<String?, StoreError> in
            do throws(StoreError) {
                return .success(try SafeFile.read(path, what: "google-authenticator file", requirements: .init(allowedOwners: owners)))
            } catch {
                return .failure(error)
            }
        }
        let text: String
        switch result {
        case .failure(let error): throw .io(error.description)
        case .success(nil): throw .io("google-authenticator file \(path) does not exist")
        case .success(let contents?): text = contents
        }
        switch GoogleAuthenticatorFile.parse(text) {
        case .success(let parsed): return parsed
        case .failure(let error): throw .usage("cannot import \(path): \(error.message)")
        }
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
