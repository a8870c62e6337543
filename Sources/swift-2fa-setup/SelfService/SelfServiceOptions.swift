import ArgumentParser
import Glibc
import TwoFactorCore
import TwoFactorStore

/// `--socket` and `--session`: how a non-root user's command reaches the self-service
/// socket. The subcommands a user may run there take them (`status`, `backup-codes`,
/// `enroll --add` and `--force`, `confirm`, `credentials list|remove|rename`).
struct SelfServiceOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Non-root users: the self-service socket to use (default: \(SelfServiceClient.defaultSocket) when the store needs root).",
        valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp(
        "Non-root users: the session token an accepted code gave (valid 5 minutes), instead of a code.",
        valueName: "token"))
    var session: String?

    /// True when this run goes through the socket: the invoker is not root, acts for
    /// themselves, not on a secret file of their own (home mode), and either names the socket
    /// or a session, or the store is one they cannot write (root's, or the fleet's).
    func routes(_ target: UserOptions) -> Bool {
        guard getuid() != 0, target.secretFile == nil else { return false }
        if let user = target.user, (try? PasswdEntry.lookup(uid: getuid()))?.name != user { return false }
        if socket != nil || session != nil { return true }
        if target.files.store != nil { return false }
        // A configuration file the user may not read is root's business: the socket's.
        guard let options = try? ConfigurationLoader.options(configPath: target.files.config ?? ConfigFile.defaultPath) else {
            return true
        }
        if options.secretTemplate != nil { return false }
        return options.fleet != nil || access(options.storeDirectory, W_OK | X_OK) != 0
    }

    /// The proof for a request: the session, else `code`, else a code asked for on a
    /// terminal ("Verification code: "), else the first line of standard input.
    func proof(code: String?) throws(SetupFailure) -> SelfServiceRequest.Proof {
        if let session { return .session(session) }
        if let code { return .code(code) }
        return .code(try TypedAnswer.read(prompt: "Verification code: "))
    }

    /// Sends `request` to the socket and ends the program as root's command would have.
    func forward(_ request: SelfServiceRequest) throws(SetupFailure) -> Never {
        try SelfServiceClient(path: socket ?? SelfServiceClient.defaultSocket).send(request).finish(json: request.json)
    }
}
