import ArgumentParser
import TwoFactorCore
import TwoFactorStore

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

    @Option(help: ArgumentHelp("The code the app shows for the pending secret (default: asked for on a terminal, else the first line of standard input).", valueName: "code"))
    var code: String?

    @Flag(help: "Replace an existing enrollment.")
    var force = false

    @Flag(help: "Print one JSON object {user, backup_codes}; for an added credential {user, credential, id}.")
    var json = false

    @OptionGroup var selfService: SelfServiceOptions

    func run() throws {
        let routed = selfService.routes(target)
        // In fleet mode serve-user's session line comes first on standard input.
        let target = routed ? nil : try self.target.resolve()
        let code = try self.code ?? TypedAnswer.read(prompt: "Code of the pending credential: ")
        guard let target else {
            try selfService.forward(SelfServiceRequest(operation: .confirm(code: code), proof: nil, json: json))
        }
        let user = target.user
        let event = target.activationEvent(replace: force)
        let result = try enrollmentCall { () throws(EnrollmentStoreError) in
            try target.enrollments.confirmPending(user: user, code: code, replace: force)
        }
        let codes: [String]
        switch result {
        case .accepted(let backupCodes):
            codes = backupCodes
            target.notify(event)
        case .added(let credential):
            target.notify(.credentialAdded)
            if json {
                try Output.json(AddedCredentialOutput(user: user, credential: credential.label, id: credential.id))
            } else {
                Output.line("Credential \(credential.id) (\(credential.label)) added for \(user).")
            }
            return
        case .rejected(let until):
            throw SetupFailure(.refused, "wrong code; the enrollment of \(user) is still pending"
                               + (until.map { " until \(Output.isoDate($0))" } ?? ""))
        case .notPending:
            throw SetupFailure(.notEnrolled, "nothing is pending for \(user); start with 'swift-2fa-setup enroll --pending'")
        case .expired(let at):
            throw SetupFailure(.notEnrolled, "the pending enrollment of \(user) expired"
                               + (at.map { " at \(Output.isoDate($0))" } ?? "")
                               + "; start again with 'swift-2fa-setup enroll --pending'")
        }
        if json {
            try Output.json(NewBackupCodesOutput(user: user, backupCodes: codes))
        } else {
            Output.line("Two-factor authentication is now active for \(user).")
            Output.line()
            EnrollmentDisplay.showBackupCodes(codes)
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

/// The JSON object of `confirm --json` for a credential added with `enroll --add --pending`.
struct AddedCredentialOutput: Encodable {
    let user: String
    let credential: String
    let id: Int
}
