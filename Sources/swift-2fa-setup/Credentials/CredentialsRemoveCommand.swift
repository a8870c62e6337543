import ArgumentParser
import TwoFactorCore
import TwoFactorStore

/// `credentials remove`: takes one credential out of the user's enrollment.
struct CredentialsRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove one of the user's credentials (a lost phone, a returned token).",
        discussion: """
            The last credential is kept unless --force is given: without a credential there is \
            no enrollment, so --force then removes the enrollment as 'disable' does.

            \(ExitStatus.helpText)
            """)

    @OptionGroup var target: UserOptions

    @Option(help: ArgumentHelp("A current code or a backup code (asked for unless root names --user).", valueName: "code"))
    var code: String?

    @Argument(help: ArgumentHelp("The credential's id or label.", valueName: "credential"))
    var credential: String

    @Flag(help: "Also remove the last credential, and with it the enrollment and the backup codes.")
    var force = false

    @OptionGroup var selfService: SelfServiceOptions

    func run() throws {
        if selfService.routes(target) {
            // No --force over the socket: removing the last credential is the admin's 'reset'.
            if force { throw SetupFailure.usage("--force needs root: ask an admin to remove the last credential") }
            try selfService.forward(SelfServiceRequest(operation: .credentialsRemove(credential: credential),
                                                       proof: try selfService.proof(code: code)))
        }
        let target = try target.resolve()
        try target.requireEnrollment()
        try target.authorize(code: code)
        let user = target.user
        let name = credential
        let status = try storeCall { () throws(EnrollmentStoreError) in try target.enrollments.status(user: user) }
        guard status.phase == .enrolled else { throw SetupFailure(.notEnrolled, "\(user) is not enrolled") }
        if force, status.credentials.count == 1,
           status.credentials.contains(where: { String($0.id) == name || $0.label == name }) {
            _ = try storeCall { () throws(EnrollmentStoreError) in try target.enrollments.reset(user: user) }
            target.notify(.reset)
            Output.line("removed the last credential of \(user), and with it the enrollment")
            return
        }
        let removed = try storeCall { () throws(EnrollmentStoreError) in
            try target.enrollments.removeCredential(user: user, name: name)
        }
        target.notify(.credentialRemoved)
        Output.line("removed credential \(removed.id) (\(removed.label)) of \(user)")
    }
}
