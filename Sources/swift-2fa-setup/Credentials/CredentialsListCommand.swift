import ArgumentParser
import TwoFactorCore
import TwoFactorStore

/// `credentials list`: each credential of the user, without secrets.
struct CredentialsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the user's credentials: id, label, kind, code parameters, when added and last used.",
        discussion: "Exit status 0 when the user is enrolled, 2 when not.\n\n\(ExitStatus.helpText)")

    @OptionGroup var target: UserOptions

    @Flag(help: "Print a JSON array of {id, label, kind, algorithm, digits, period, offset, next_counter, created, last_used}.")
    var json = false

    @Option(help: ArgumentHelp("Through the self-service socket (non-root users): a current code or a backup code.",
                               valueName: "code"))
    var code: String?

    @OptionGroup var selfService: SelfServiceOptions

    func run() throws {
        if selfService.routes(target) {
            try selfService.forward(SelfServiceRequest(operation: .credentialsList, proof: try selfService.proof(code: code),
                                                       json: json))
        }
        let target = try target.resolve()
        let user = target.user
        let status = try storeCall { () throws(EnrollmentStoreError) in try target.enrollments.status(user: user) }
        guard status.phase == .enrolled else { throw SetupFailure(.notEnrolled, "\(user) is not enrolled") }
        let credentials = status.credentials.map(CredentialOutput.init)
        if json {
            try Output.json(credentials)
        } else {
            for credential in credentials { Output.line(credential.line) }
        }
    }
}
