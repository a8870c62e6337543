import ArgumentParser
import TwoFactorCore
import TwoFactorStore

/// `status`: whether a user is enrolled or pending, with parameters, backup codes and throttling.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show whether a user is enrolled or pending, and the backup codes and throttling state.",
        discussion: """
            Exit status 0 when the user is enrolled, 2 when not (a pending enrollment alone \
            does not count); the status is printed either way. Backup codes in the old format \
            of an earlier version are reported (JSON: backup_codes_need_regeneration) with the \
            advice to run 'swift-2fa-setup backup-codes --regenerate'.

            EXAMPLES:
              swift-2fa-setup status
              sudo swift-2fa-setup status --user alice --json

            \(ExitStatus.helpText)
            """)

    @OptionGroup var target: UserOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    @Option(help: ArgumentHelp("Through the self-service socket (non-root users): a current code or a backup code.",
                               valueName: "code"))
    var code: String?

    @OptionGroup var selfService: SelfServiceOptions

    func run() throws {
        if selfService.routes(target) {
            try selfService.forward(SelfServiceRequest(operation: .status, proof: try selfService.proof(code: code), json: json))
        }
        let target = try target.resolve()
        let user = target.user
        let status = try storeCall { () throws(EnrollmentStoreError) in try target.enrollments.status(user: user) }
        let report = StatusOutput(
            user: user, status: status.phase.rawValue, secretFile: target.enrollments.location(of: user),
            algorithm: status.parameters?.algorithm.rawValue, digits: status.parameters?.digits,
            period: status.parameters?.period, created: status.created.map(Output.isoDate),
            backupCodesLeft: status.backupCodesLeft, backupCodesNeedRegeneration: status.backupCodesNeedRegeneration,
            pendingUntil: status.pendingUntil.map(Output.isoDate), failures: status.failures,
            throttledUntil: status.throttledUntil.map(Output.isoDate), locked: status.locked,
            credentials: status.credentials.map(CredentialOutput.init),
            lastDrift: status.lastDrift.map { DriftOutput(credential: $0.credential, finding: $0.reason, time: Output.isoDate($0.time)) })
        if json {
            try Output.json(report)
        } else {
            report.print()
        }
        if status.phase != .enrolled { throw SetupFailure.reported(.notEnrolled) }
    }
}

/// The status of one user, printed as text or as the JSON object of `status --json`.
struct StatusOutput: Encodable {
    let user: String
    /// `enrolled`, `pending` or `not enrolled`.
    let status: String
    let secretFile: String
    let algorithm: String?
    let digits: Int?
    let period: Int?
    let created: String?
    let backupCodesLeft: Int?
    /// True when the backup codes are in the old format without tags (see
    /// `SecretRecord.backupCodesNeedRegeneration`); nil when not enrolled.
    let backupCodesNeedRegeneration: Bool?
    let pendingUntil: String?
    let failures: Int
    let throttledUntil: String?
    let locked: Bool
    /// The active enrollment's credentials; empty when not enrolled.
    let credentials: [CredentialOutput]
    /// The last rejected code that matched a credential's clock outside the window.
    let lastDrift: DriftOutput?

    enum CodingKeys: String, CodingKey {
        case user, status, algorithm, digits, period, created, failures, locked, credentials
        case lastDrift = "last_drift"
        case secretFile = "secret_file"
        case backupCodesLeft = "backup_codes_left"
        case backupCodesNeedRegeneration = "backup_codes_need_regeneration"
        case pendingUntil = "pending_until"
        case throttledUntil = "throttled_until"
    }

    /// Every key is present in the JSON; absent values are `null`.
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(user, forKey: .user)
        try container.encode(status, forKey: .status)
        try container.encode(secretFile, forKey: .secretFile)
        try container.encode(algorithm, forKey: .algorithm)
        try container.encode(digits, forKey: .digits)
        try container.encode(period, forKey: .period)
        try container.encode(created, forKey: .created)
        try container.encode(backupCodesLeft, forKey: .backupCodesLeft)
        try container.encode(backupCodesNeedRegeneration, forKey: .backupCodesNeedRegeneration)
        try container.encode(pendingUntil, forKey: .pendingUntil)
        try container.encode(failures, forKey: .failures)
        try container.encode(throttledUntil, forKey: .throttledUntil)
        try container.encode(locked, forKey: .locked)
        try container.encode(credentials, forKey: .credentials)
        try container.encode(lastDrift, forKey: .lastDrift)
    }

    /// The text form, one `name: value` per line.
    func print() {
        Output.line("user:              \(user)")
        Output.line("status:            \(status)")
        if let algorithm, let digits, let period {
            Output.line("secret file:       \(secretFile)")
            Output.line("codes:             \(algorithm), \(digits) digits, every \(period) s")
        }
        if let created { Output.line("created:           \(created)") }
        if !credentials.isEmpty {
            Output.line("credentials:")
            for credential in credentials { Output.line("    " + credential.line) }
        }
        if let lastDrift {
            Output.line("last drift:        \(lastDrift.credential): \(lastDrift.finding), at \(lastDrift.time) "
                        + "(swift-2fa-setup resync --credential \(lastDrift.credential))")
        }
        if let backupCodesLeft { Output.line("backup codes left: \(backupCodesLeft)") }
        if backupCodesNeedRegeneration == true {
            Output.line("backup codes:      old format, slower to check at every login; "
                        + "replace them with 'swift-2fa-setup backup-codes --regenerate'")
        }
        if let pendingUntil { Output.line("pending until:     \(pendingUntil)") }
        if failures > 0 { Output.line("failed attempts:   \(failures)") }
        if let throttledUntil { Output.line("throttled until:   \(throttledUntil)") }
        if locked { Output.line("locked:            yes (root can run 'swift-2fa-setup unlock --user \(user)')") }
    }
}

/// The last clock drift a login found (`status --json`'s `last_drift`).
struct DriftOutput: Encodable {
    let credential: String
    /// `code matches step -3: clock off about 90 s`.
    let finding: String
    let time: String
}
