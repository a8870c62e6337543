import ArgumentParser
import Glibc
import TwoFactorCore
import TwoFactorStore

/// `import`: moves enrollments made with other tools in, so users need not scan again: a
/// google-authenticator file, pam_oath's users.oath, or a PSKC file of hardware tokens.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Migrate a ~/.google_authenticator file, pam_oath's users.oath, or a PSKC file of hardware tokens.",
        discussion: """
            --google-authenticator FILE: the secret, and the scratch codes as backup codes. \
            Time-based files (TOTP_AUTH) become a TOTP credential: STEP_SIZE becomes the \
            period, and used time steps (DISALLOW_REUSE) stay used, up to the current step. \
            Counter-based files (HOTP_COUNTER) become a HOTP credential whose next counter is \
            the file's. WINDOW_SIZE, RATE_LIMIT, TIME_SKEW, RESETTING_TIME_SKEW and \
            OTP_DISABLED are ignored and listed (the window and throttle settings of the \
            configuration file and the module apply instead). Any other option, a file that is \
            not text or not in the format is refused with status 64. The file is left in \
            place; remove it once PAM uses pam_swift2fa. Root reads the file as root when \
            every directory above it is owned by root and not writable by group or others \
            (google-authenticator's root-owned layout, e.g. /var/lib/google-authenticator/alice), \
            and as the user otherwise. The file must be owned by the user or root and private.

            --pam-oath FILE (root): pam_oath's users file. Each line (HOTP, HOTP/E, HOTP/T30, \
            HOTP/T60, with 6, 7 or 8 digits) becomes a credential of its user labelled \
            oath-line-N; every user of the file is imported, or only --user. HOTP counters \
            carry over, and so does the time step of the last code a time-based line \
            accepted. PINs are not supported (swift-2fa asks for the code alone): each line \
            with one is reported.

            --pskc FILE --user U (root): a PSKC file (RFC 6030) as token vendors ship seeds. \
            Each key package (HOTP or TOTP) becomes a credential labelled with the device's \
            serial number, else the key id. An encrypted file needs its pre-shared key (hex) \
            with --pskc-key-stdin or its password (PBKDF2) with --pskc-password-stdin, read \
            from standard input.

            Both files must be owned by root and not writable by group or others. Every key \
            and every user is checked before anything is written: any error (a malformed \
            line or element, a wrong key, an unknown user, a user already enrolled without \
            --force or --add) writes nothing for anyone, and names the line or element. An \
            enrolled user is refused unless --force (replace the enrollment) or --add (add the \
            credentials to it, at most 8 in all; its backup codes stay). pam_oath and PSKC \
            keys come without backup codes: make some with 'backup-codes --regenerate'.

            When the configuration file names a database (fleet mode), the credentials go \
            there, with their used time steps and counters (and a google-authenticator file's \
            scratch codes as backup codes, hashed by the database), and nothing is written to \
            the store; this needs the admin role.

            EXAMPLES:
              swift-2fa-setup import --google-authenticator ~/.google_authenticator
              sudo swift-2fa-setup import --google-authenticator /var/lib/google-authenticator/alice --user alice
              sudo swift-2fa-setup import --pam-oath /etc/users.oath
              sudo swift-2fa-setup import --pam-oath /etc/users.oath --user alice --add
              sudo swift-2fa-setup import --pskc tokens.pskcxml --user alice --pskc-key-stdin < key.hex

            \(ExitStatus.helpText)
            """)

    @OptionGroup var target: UserOptions

    @Option(name: .customLong("google-authenticator"), help: ArgumentHelp(
        "The google-authenticator file to import.", valueName: "file"))
    var googleAuthenticator: String?

    @Option(name: .customLong("pam-oath"), help: ArgumentHelp(
        "pam_oath's users file to import (root): every user's lines, or only --user's.", valueName: "file"))
    var pamOath: String?

    @Option(help: ArgumentHelp("The PSKC file (RFC 6030) to import for --user (root).", valueName: "file"))
    var pskc: String?

    @Flag(name: .customLong("pskc-key-stdin"), help: "Read the PSKC file's pre-shared key (hex) from standard input.")
    var pskcKeyStdin = false

    @Flag(name: .customLong("pskc-password-stdin"), help: "Read the PSKC file's password from standard input.")
    var pskcPasswordStdin = false

    @Flag(help: "Replace an existing enrollment.")
    var force = false

    @Flag(help: "Add the imported credentials to an existing enrollment (at most 8 in all).")
    var add = false

    @Flag(help: "Print one JSON object: {user, kind, period, counter, backup_codes, ignored} for a google-authenticator file, {users: [{user, credentials}], findings} otherwise.")
    var json = false

    func validate() throws {
        let sources = [googleAuthenticator, pamOath, pskc].compactMap { $0 }
        guard sources.count == 1 else {
            throw ValidationError("give one of --google-authenticator, --pam-oath and --pskc")
        }
        if pskc != nil && target.user == nil { throw ValidationError("--pskc needs --user NAME") }
        if (pskcKeyStdin || pskcPasswordStdin) && pskc == nil {
            throw ValidationError("--pskc-key-stdin and --pskc-password-stdin go with --pskc")
        }
        if pskcKeyStdin && pskcPasswordStdin { throw ValidationError("give --pskc-key-stdin or --pskc-password-stdin, not both") }
        if force && add { throw ValidationError("give --force or --add, not both") }
    }

    private var mode: ImportMode { force ? .replace : add ? .add : .new }

    func run() throws {
        if let googleAuthenticator { return try importGoogleAuthenticator(googleAuthenticator) }
        guard getuid() == 0 && geteuid() == 0 else {
            throw SetupFailure.io("'import --pam-oath' and 'import --pskc' need root; run them with sudo")
        }
        let plans: [ImportPlan]
        let findings: [String]
        if let pamOath {
            (plans, findings) = try PamOathImport.plans(path: pamOath, onlyUser: target.user, options: target, mode: mode)
        } else {
            let user = try target.resolve()
            let secret: PSKCImport.Secret = pskcKeyStdin ? .keyOnStdin : pskcPasswordStdin ? .passwordOnStdin : .none
            let made = try PSKCImport.plan(path: pskc ?? "", secret: secret, target: user, mode: mode)
            (plans, findings) = ([made.plan], made.findings)
        }
        for plan in plans where !plan.target.inFleet { try plan.target.checkStoreWritable() }
        let now = Enrollment.now()
        let prepared = try plans.map { plan throws(SetupFailure) in try plan.prepare(now: now) }
        var written: [String] = []
        for item in prepared {
            do throws(SetupFailure) { _ = try item.write() } catch {
                let done = written.isEmpty ? "nothing was written" : "already imported: \(written.joined(separator: ", "))"
                throw SetupFailure(error.kind, "\(error.message) (\(done))")
            }
            written.append(item.plan.target.user)
        }
        for finding in findings { Output.warning(finding) }
        if json {
            try Output.json(ImportedUsersOutput(users: prepared.map(ImportedUsersOutput.User.init), findings: findings))
            return
        }
        for item in prepared {
            let action = item.plan.mode == .add ? "added to the enrollment of" : "imported for"
            Output.line("\(action) \(item.plan.target.user):")
            for (credential, key) in zip(item.credentials, item.plan.keys) { Output.line("  \(credential.line)  (\(key.origin))") }
        }
        if mode != .add {
            Output.line("no backup codes: make some with 'swift-2fa-setup backup-codes --regenerate --user NAME'")
        }
    }

    /// `--google-authenticator FILE`.
    private func importGoogleAuthenticator(_ file: String) throws {
        let target = try target.resolve()
        let user = target.user
        let homeSelf = target.homeMode && !target.invokerIsRoot
        if !target.inFleet && !homeSelf { try target.checkStoreWritable(homeHint: true) }
        let imported = try ImportSource.read(file, for: target.account)
        if imported.timeSkewSteps != 0 {
            Output.warning("google-authenticator had learned that the phone's clock is off by "
                           + "\(imported.timeSkewSteps) time steps; swift-2fa does not carry that over, "
                           + "so correct the phone's clock if its codes are refused")
        }
        if add && !imported.scratchCodes.isEmpty {
            Output.warning("--add: the \(imported.scratchCodes.count) scratch codes are not imported; the enrollment keeps its backup codes")
        }
        let now = Enrollment.now()
        let credential = imported.credential(label: Credential.defaultLabel, now: now)
        let plan = ImportPlan(target: target, keys: [ImportPlan.Key(origin: file, key: credential)],
                              scratchCodes: add ? [] : imported.scratchCodes, mode: mode)
        let kept = try plan.prepare(now: now).write().count
        if kept < plan.scratchCodes.count {
            // Two codes with the same tag (or a repeated code) cannot both be kept: see BackupCodeHash.
            Output.warning("\(plan.scratchCodes.count - kept) of \(plan.scratchCodes.count) scratch codes dropped: "
                           + "each had the same index as another one")
        }
        if json {
            try Output.json(ImportOutput(user: user, kind: imported.hotpCounter == nil ? "TOTP" : "HOTP",
                                         period: imported.hotpCounter == nil ? imported.period : nil,
                                         counter: imported.hotpCounter, backupCodes: kept, ignored: imported.ignoredOptions))
            return
        }
        let codes = imported.hotpCounter.map { "counter-based codes from counter \($0)" } ?? "codes every \(imported.period) s"
        Output.line("imported \(file) for \(user): 6-digit \(codes), \(kept) scratch codes as backup codes")
        if !imported.ignoredOptions.isEmpty {
            Output.line("ignored: \(imported.ignoredOptions.joined(separator: ", ")) "
                        + "(the window and throttle settings of the configuration file and the module apply)")
        }
        Output.line("\(file) was left in place; remove it once PAM uses pam_swift2fa")
    }
}

/// The JSON object of `import --google-authenticator --json`.
struct ImportOutput: Encodable {
    let user: String
    /// TOTP or HOTP.
    let kind: String
    /// Seconds per code, for TOTP.
    let period: Int?
    /// The next counter, for HOTP.
    let counter: UInt64?
    let backupCodes: Int
    let ignored: [String]

    enum CodingKeys: String, CodingKey {
        case user, kind, period, counter, ignored
        case backupCodes = "backup_codes"
    }
}
