import ArgumentParser
import Glibc
import TwoFactorCore
import TwoFactorStore

/// `enroll`: a new secret, shown as QR code, text and URI, activated by a verified code.
struct EnrollCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Enroll a user: show a new secret, then activate it once a code from the app is right.",
        discussion: """
            Nothing is written until a code from the app verifies (3 tries); an existing \
            enrollment is replaced only with --force. The backup codes are shown once.

            With --pending, the new secret is recorded as a pending enrollment that logins \
            ignore, valid for 10 minutes, and 'confirm' activates it (for panels and scripts).

            EXAMPLES:
              swift-2fa-setup enroll
              sudo swift-2fa-setup enroll --user alice --issuer example.org --qr ansi
              sudo swift-2fa-setup enroll --user alice --pending --json
              swift-2fa-setup enroll --secret-file ~/.swift-2fa

            \(ExitStatus.helpText)
            """)

    @OptionGroup var target: UserOptions

    @Option(help: ArgumentHelp("The issuer shown in the app, without ':'. Default: the host name.", valueName: "name"))
    var issuer: String?

    @Option(help: ArgumentHelp("The account name shown in the app, without ':'. Default: the user name.", valueName: "text"))
    var label: String?

    @Option(help: ArgumentHelp("SHA1, SHA256 or SHA512. Some apps support only SHA1.", valueName: "name"))
    var algorithm: String = "SHA1"

    @Option(help: "Digits per code: 6 or 8. Some apps support only 6.")
    var digits: Int = 6

    @Option(help: ArgumentHelp("Seconds per code, 15 to 300. Some apps support only 30.", valueName: "seconds"))
    var period: Int = 30

    @Option(help: "How to draw the QR code in the terminal: utf8, ansi (explicit black on white) or none.")
    var qr: QRStyle = .utf8

    @Option(name: .customLong("qr-svg"), help: ArgumentHelp(
        "Also write the QR code as an SVG image to this file (mode 0600: it contains the secret).", valueName: "path"))
    var qrSVG: String?

    @Option(help: ArgumentHelp("The code from the app, instead of asking for it.", valueName: "code"))
    var code: String?

    @Flag(help: "Replace an existing enrollment (after the new code verifies).")
    var force = false

    @Flag(help: "Record a pending enrollment for 'confirm' instead of asking for a code.")
    var pending = false

    @Flag(help: "With --pending: print one JSON object {user, secret, uri, qr_svg, expires}.")
    var json = false

    func validate() throws {
        guard HashAlgorithm(name: algorithm) != nil else {
            throw ValidationError("--algorithm must be SHA1, SHA256 or SHA512")
        }
        guard digits == 6 || digits == 8 else { throw ValidationError("--digits must be 6 or 8") }
        guard OTPParameters.allowedPeriods.contains(period) else {
            throw ValidationError("--period must be from \(OTPParameters.allowedPeriods.lowerBound) to \(OTPParameters.allowedPeriods.upperBound) seconds")
        }
        if json && !pending { throw ValidationError("--json needs --pending") }
        if pending && code != nil { throw ValidationError("--code cannot be used with --pending; pass it to 'confirm'") }
        for (name, value) in [("--issuer", issuer), ("--label", label)] {
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
        let target = try target.resolve()
        let homeSelf = target.homeMode && !target.invokerIsRoot
        if !target.inFleet && (pending || !homeSelf) {
            try target.checkStoreWritable(homeHint: !pending)
        }
        try target.requireReplaceable(force: force)

        let now = Enrollment.now()
        let (record, display) = try newSecret(target: target, now: now)
        if pending {
            try recordPending(record, display: display, target: target)
        } else {
            try enrollInteractively(record, display: display, target: target)
        }
    }

    /// A new secret with the requested parameters, and how it is shown (written to
    /// `--qr-svg` too).
    private func newSecret(target: ManagedUser, now: Int64) throws(SetupFailure) -> (SecretRecord, EnrollmentDisplay) {
        let parameters = OTPParameters(algorithm: HashAlgorithm(name: algorithm) ?? .sha1, digits: digits, period: period)
        let record = try Enrollment.newRecord(parameters: parameters, now: now)
        let display = try EnrollmentDisplay(uri: OTPAuthURI(
            issuer: issuer ?? HostName.current(), account: label ?? target.user,
            secret: record.secret, parameters: parameters))
        if let qrSVG {
            do throws(StoreError) { try AtomicFile.write(display.svg, to: qrSVG) } catch { throw SetupFailure(error) }
        }
        return (record, display)
    }

    /// Records the pending enrollment and prints what the panel or user needs to confirm it.
    private func recordPending(_ record: SecretRecord, display: EnrollmentDisplay, target: ManagedUser) throws(SetupFailure) {
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
    private func announcePending(_ record: SecretRecord, display: EnrollmentDisplay, expires: String,
                         target: ManagedUser) throws(SetupFailure) {
        if json {
            try Output.json(PendingOutput(user: target.user, secret: Base32.encode(record.secret),
                                          uri: display.uri.text, qrSVG: display.svg, expires: expires))
            return
        }
        display.show(style: qr, codeCheckFollows: false)
        Output.line("Pending until \(expires). Activate it with a code from the app:")
        Output.line("    swift-2fa-setup confirm --user \(target.user)\(self.target.repeatedForHint) --code CODE")
    }

    /// Shows the secret and returns the time step of the code the user then gives (3 tries,
    /// or --code once). On failure the QR code file (`--qr-svg`) is removed again.
    private func showAndConfirm(_ record: SecretRecord, display: EnrollmentDisplay) throws(SetupFailure) -> UInt64 {
        display.show(style: qr, codeCheckFollows: true)
        do {
            return try acceptedStep(record)
        } catch {
            if let qrSVG { unlink(qrSVG) }
            throw error
        }
    }

    /// Shows the secret, asks for a code (3 tries, or --code once) and activates.
    private func enrollInteractively(_ record: SecretRecord, display: EnrollmentDisplay, target: ManagedUser) throws(SetupFailure) {
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
                throw SetupFailure(.refused, "the code is not right for the new secret; nothing was written")
            }
            return step
        }
        let tries = NewEnrollment.tries
        for attempt in 1...tries {
            Output.write("Enter the \(record.parameters.digits)-digit code from your app: ")
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

/// The JSON object of `enroll --pending --json`.
struct PendingOutput: Encodable {
    let user: String
    let secret: String
    let uri: String
    let qrSVG: String
    let expires: String

    enum CodingKeys: String, CodingKey {
        case user, secret, uri, expires
        case qrSVG = "qr_svg"
    }
}
