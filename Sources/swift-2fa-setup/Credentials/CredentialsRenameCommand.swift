import ArgumentParser
import TwoFactorCore
import TwoFactorStore

/// `credentials rename`: gives a credential a new label.
struct CredentialsRenameCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rename",
        abstract: "Give one of the user's credentials a new label.",
        discussion: "\(ExitStatus.helpText)")

    @OptionGroup var target: UserOptions

    @Option(help: ArgumentHelp("A current code or a backup code (asked for unless root names --user).", valueName: "code"))
    var code: String?

    @Argument(help: ArgumentHelp("The credential's id or label.", valueName: "credential"))
    var credential: String

    @Argument(help: ArgumentHelp("The new label: letters, digits, '.', '_', '-'.", valueName: "label"))
    var label: String

    func validate() throws {
        if !Credential.isValidLabel(label) { throw ValidationError(SecretRecord.labelRule) }
    }

    @OptionGroup var selfService: SelfServiceOptions

    func run() throws {
        if selfService.routes(target) {
            try selfService.forward(SelfServiceRequest(operation: .credentialsRename(credential: credential, label: label),
                                                       proof: try selfService.proof(code: code)))
        }
        let target = try target.resolve()
        try target.requireEnrollment()
        try target.authorize(code: code)
        let user = target.user
        let (name, label) = (credential, label)
        let renamed = try storeCall { () throws(EnrollmentStoreError) in
            try target.enrollments.renameCredential(user: user, name: name, label: label)
        }
        Output.line("credential \(renamed.id) of \(user) is now labelled \(renamed.label)")
    }
}
