import ArgumentParser
import Glibc
import TwoFactorCore
import TwoFactorStore

/// `enroll`: a new credential (an app's secret, shown as QR code, text and URI, or an
/// admin-assigned seed), activated by a verified code: a first enrollment, a replacement
/// (`--force`), or a credential added to an enrollment (`--add`).
struct EnrollCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Enroll a user, or add a credential (a second phone, a hardware token) with --add.",
        discussion: """
            Nothing is written until a code of the new credential verifies (3 tries); an \
            existing enrollment is replaced only with --force. The backup codes are shown once.

            With --add, the new credential joins the user's enrollment (at most 8), and the \
            backup codes stay. Anyone but root naming --user first gives a code of an existing \
            credential (--existing-code, or asked).

            With --pending, the new credential is recorded as a pending enrollment that logins \
            ignore, valid for 10 minutes, and 'confirm' activates it (for panels and scripts).

            --seed-stdin reads a hardware token's seed (hex or base32) from standard input; \
            give the token's code with --code (or use --pending and 'confirm').

            EXAMPLES:
              swift-2fa-setup enroll
              sudo swift-2fa-setup enroll --user alice --issuer example.org --qr ansi
              sudo swift-2fa-setup enroll --user alice --pending --json
              swift-2fa-setup enroll --add --label second-phone
              echo 3132333435363738393031323334353637383930 | \\
                sudo swift-2fa-setup enroll --user alice --add --label yubikey-5 --hotp --seed-stdin --code 755224
              swift-2fa-setup enroll --secret-file ~/.swift-2fa

            \(ExitStatus.helpText)
            """)

    @OptionGroup var target: UserOptions

    @OptionGroup var credential: CredentialOptions

    @Option(help: ArgumentHelp("The issuer shown in the app, without ':'. Default: the host name.", valueName: "name"))
    var issuer: String?

    @Option(help: ArgumentHelp("The account name shown in the app, without ':'. Default: the user name.", valueName: "text"))
    var account: String?

    @Option(help: "How to draw the QR code in the terminal: utf8, ansi (explicit black on white) or none.")
    var qr: QRStyle = .utf8

    @Option(name: .customLong("qr-svg"), help: ArgumentHelp(
        "Also write the QR code as an SVG image to this file (mode 0600: it contains the secret).", valueName: "path"))
    var qrSVG: String?

    @Option(help: ArgumentHelp("A code of the new credential, instead of asking for it.", valueName: "code"))
    var code: String?

    @Flag(help: "Replace an existing enrollment (after the new code verifies).")
    var force = false

    @Flag(help: "Add the credential to the user's enrollment instead of replacing it (needs --label).")
    var add = false

    @Option(name: .customLong("existing-code"), help: ArgumentHelp(
        "With --add (or, through the self-service socket, --force): a code of one of your existing credentials, "
            + "instead of asking for it.", valueName: "code"))
    var existingCode: String?

    @Flag(help: "Record a pending enrollment for 'confirm' instead of asking for a code.")
    var pending = false

    @Flag(help: "With --pending: print one JSON object {user, credential, secret, uri, qr_svg, expires}.")
    var json = false

    @OptionGroup var selfService: SelfServiceOptions

    func validate() throws {
        if json && !pending { throw ValidationError("--json needs --pending") }
        if pending && code != nil { throw ValidationError("--code cannot be used with --pending; pass it to 'confirm'") }
        if add && force { throw ValidationError("--add keeps the enrollment; --force replaces it: give one of them") }
        if add && credential.label == nil { throw ValidationError("--add needs --label") }
        if existingCode != nil && !add && !force { throw ValidationError("--existing-code needs --add or --force") }
        if credential.seedStdin && !pending && code == nil {
            throw ValidationError("--seed-stdin takes standard input: give the token's code with --code, or use --pending")
        }
        for (name, value) in [("--issuer", issuer), ("--account", account)] {
            guard let value else { continue }
            guard !value.isEmpty, value.utf8.count <= 200, value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
                throw ValidationError("\(name) needs printable text of 1 to 200 bytes")
            }
            // The Key Uri Format separates issuer and account with ':' and forbids it in either.
            guard !value.contains(":") else {
                throw ValidationError("\(name) cannot contain ':' (the otpauth URI separates issuer and account with it)")
            }
        }
    }

    func run() throws {
        if (add || force) && selfService.routes(target) { try forwardToSocket() }
        let target = try target.resolve()
        let homeSelf = target.homeMode && !target.invokerIsRoot
        if !target.inFleet && (pending || !homeSelf) {
            try target.checkStoreWritable(homeHint: !pending)
        }
        if add {
            try target.requireEnrollment()
            try target.authorize(code: existingCode, credentialCodeOnly: true)
        } else {
            try target.requireReplaceable(force: force)
        }

        let now = Enrollment.now()
        let newCredential = try credential.credential(now: now)
        let record = try Enrollment.record(with: newCredential, adding: add, now: now)
        let display = try self.display(newCredential, target: target)
        if pending {
            try recordPending(record, display: display, target: target)
        } else if add {
            try addInteractively(record, display: display, target: target)
        } else {
            try enrollInteractively(record, display: display, target: target)
        }
    }

    /// A non-root user's `enroll --add` or `enroll --force` through the self-service socket:
    /// the new credential is recorded pending (`enroll-add`, `replace`); without --pending its
    /// code is asked for next and confirms it.
    private func forwardToSocket() throws(SetupFailure) -> Never {
        if credential.seedStdin || issuer != nil || account != nil || qrSVG != nil || code != nil {
            throw .usage("through the self-service socket, --seed-stdin, --issuer, --account, --qr-svg and --code "
                         + "are not available; confirm the new credential with 'swift-2fa-setup confirm --code CODE'")
        }
        let parameters = SelfServiceRequest.NewCredential(
            label: credential.label, hotp: credential.hotp, algorithm: HashAlgorithm(name: credential.algorithm) ?? .sha1,
            digits: credential.digits, period: credential.period)
        let request = SelfServiceRequest(operation: add ? .enrollAdd(parameters) : .replace(parameters),
                                         proof: try selfService.proof(code: existingCode), json: json)
        if pending { try selfService.forward(request) }
        let client = SelfServiceClient(path: selfService.socket ?? SelfServiceClient.defaultSocket)
        let started = try client.send(request)
        guard started.exit == ExitStatus.success.rawValue else { started.finish(json: false) }
        started.write(json: false)
        Output.write("Enter the \(credential.digits)-digit code from your app: ")
        guard let line = readLine(), !line.isEmpty else {
            throw SetupFailure(.refused, "no code entered; the new credential stays pending until it expires")
        }
        try client.send(SelfServiceRequest(operation: .confirm(code: line), proof: nil)).finish(json: false)
    }

    /// How the new credential is shown (written to `--qr-svg` too); nil for a seed the admin
    /// gave (`--seed-stdin`), which is not shown again.
    private func display(_ newCredential: Credential, target: ManagedUser) throws(SetupFailure) -> EnrollmentDisplay? {
        guard !credential.seedStdin else { return nil }
        let display = try EnrollmentDisplay(uri: OTPAuthURI(
            issuer: issuer ?? HostName.current(), account: account ?? target.user, credential: newCredential))
        if let qrSVG {
            do throws(StoreError) { try AtomicFile.write(display.svg, to: qrSVG) } catch { throw SetupFailure(error) }
        }
        return display
    }

    /// Records the pending enrollment and prints what the panel or user needs to confirm it.
    private func recordPending(_ record: SecretRecord, display: EnrollmentDisplay?, target: ManagedUser) throws(SetupFailure) {
        let user = target.user
        let force = force
        let until = try enrollmentCall { () throws(EnrollmentStoreError) in
            do throws(EnrollmentStoreError) {
                return try target.enrollments.beginPending(user: user, record: record)
            } catch where error.kind == .alreadyEnrolled && force {
                // The fleet database refuses a pending enrollment beside an active one (the
                // file store keeps both until 'confirm --force').
                throw EnrollmentStoreError(.invalidArgument, "\(user) is enrolled, and this store does not let a pending "
                                           + "enrollment replace an active one; use 'enroll --force' without --pending, "
                                           + "or 'reset' first")
            }
        }
        try announcePending(record, display: display, expires: Output.isoDate(until), target: target)
    }

    /// Prints a recorded pending enrollment: the JSON object, or the secret and how to confirm it.
    private func announcePending(_ record: SecretRecord, display: EnrollmentDisplay?, expires: String,
                         target: ManagedUser) throws(SetupFailure) {
        if json {
            try Output.json(PendingOutput(user: target.user, credential: record.credentials.first?.label ?? "",
                                          secret: display.map { Base32.encode($0.uri.secret) }, uri: display?.uri.text,
                                          qrSVG: display?.svg, expires: expires))
            return
        }
        display?.show(style: qr, codeCheckFollows: false)
        Output.line("Pending until \(expires). Activate it with a code of the new credential:")
        Output.line("    swift-2fa-setup confirm --user \(target.user)\(self.target.repeatedForHint) --code CODE")
    }

    /// Shows the secret and returns the time step (or counter) of the code the user then
    /// gives (3 tries, or --code once). On failure the QR code file (`--qr-svg`) is removed again.
    private func showAndConfirm(_ record: SecretRecord, display: EnrollmentDisplay?) throws(SetupFailure) -> UInt64 {
        display?.show(style: qr, codeCheckFollows: true)
        do {
            return try acceptedStep(record)
        } catch {
            if let qrSVG { unlink(qrSVG) }
            throw error
        }
    }

    /// Shows the secret, asks for a code (3 tries, or --code once) and adds the credential.
    private func addInteractively(_ record: SecretRecord, display: EnrollmentDisplay?, target: ManagedUser) throws(SetupFailure) {
        let step = try showAndConfirm(record, display: display)
        let user = target.user
        guard let newCredential = record.credentials.first else { throw .usage("no credential to add") }
        let added = try storeCall { () throws(EnrollmentStoreError) in
            try target.enrollments.addCredential(user: user, credential: newCredential, counter: step)
        }
        target.notify(.credentialAdded)
        Output.line()
        Output.line("Credential \(added.id) (\(added.label)) added for \(user).")
    }

    /// Shows the secret, asks for a code (3 tries, or --code once) and activates.
    private func enrollInteractively(_ record: SecretRecord, display: EnrollmentDisplay?, target: ManagedUser) throws(SetupFailure) {
        let step = try showAndConfirm(record, display: display)
        let user = target.user
        let event = target.activationEvent(replace: force)
        let activation = try storeCall { () throws(EnrollmentStoreError) in
            try target.enrollments.activate(user: user, record: record, lastStep: step, replace: force)
        }
        target.notify(event)
        if !activation.stateReset { target.warnStateNotReset() }
        Output.line()
        Output.line("Two-factor authentication is now active for \(user).")
        Output.line()
        EnrollmentDisplay.showBackupCodes(activation.backupCodes)
    }

    /// The time step of the first right code: from --code, or up to 3 answers on stdin.
    private func acceptedStep(_ record: SecretRecord) throws(SetupFailure) -> UInt64 {
        if let code {
            guard let step = NewEnrollment.acceptedStep(of: code, record: record, now: Enrollment.now()) else {
                throw SetupFailure(.refused, "the code is not right for the new credential; nothing was written")
            }
            return step
        }
        let tries = NewEnrollment.tries
        for attempt in 1...tries {
            Output.write("Enter the \(record.promptDigits ?? OTPParameters.standard.digits)-digit code from your app: ")
            guard let line = readLine() else {
                Output.line()
                throw SetupFailure(.refused, "no code entered; nothing was written")
            }
            // A terminal echoes the newline; keep piped transcripts readable too.
            if isatty(STDIN_FILENO) == 0 { Output.line() }
            if let step = NewEnrollment.acceptedStep(of: line, record: record, now: Enrollment.now()) { return step }
            if attempt < tries {
                Output.line(EnrollmentText.wrongCode(triesLeft: tries - attempt))
            }
        }
        throw SetupFailure(.refused, "\(tries) wrong codes; nothing was written")
    }
}

/// The JSON object of `enroll --pending --json` (no secret, URI or QR code for a seed the
/// admin gave with `--seed-stdin`).
struct PendingOutput: Encodable {
    let user: String
    /// The new credential's label.
    let credential: String
    let secret: String?
    let uri: String?
    let qrSVG: String?
    let expires: String

    enum CodingKeys: String, CodingKey {
        case user, credential, secret, uri, expires
        case qrSVG = "qr_svg"
    }
}
