import ArgumentParser
import Glibc
import TwoFactorCore

/// `serve-user`: the self-service socket's server, through which users manage their own
/// second factor without root.
struct ServeUserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve-user",
        abstract: "Serve the self-service socket: users manage their own codes without root (root only).",
        discussion: """
            Without --socket, serves the one connection on standard input and exits: systemd's \
            swift-2fa-self.socket (Accept=yes) starts it for each connection to \
            \(SelfServiceClient.defaultSocket). With --socket PATH it listens there in the \
            foreground (containers, tests) and serves each connection in a child process of its own.

            The caller is the connecting process's uid (SO_PEERCRED); a request never names a \
            user. A request is one JSON object of at most \(SelfServiceRequest.maximumSize) bytes, \
            e.g. {"op":"status","code":"123456","json":true}; the ops are status, backup-codes, \
            enroll-add, confirm, credentials-list, credentials-remove, credentials-rename and \
            replace. Each needs a code or backup code, checked as at a login (throttle, lock, \
            replay), or the session token an accepted code gave (valid 5 minutes); confirm needs \
            the new credential's code. The answer is {exit, stdout, stderr, session}: what root's \
            command prints for the same operation. Non-root users' swift-2fa-setup is the client.

            \(ExitStatus.helpText)
            """)

    @OptionGroup var files: StoreOptions

    @Option(help: ArgumentHelp("Listen on this socket path in the foreground instead of serving standard input.",
                               valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("The root-only directory of session tokens.", valueName: "dir"))
    var sessions: String = SelfServiceSessions.defaultDirectory

    @Option(name: .customLong("session-lifetime"), help: .hidden)
    var sessionLifetime: Int64 = SelfServiceSessions.defaultLifetime

    func validate() throws {
        guard sessions.hasPrefix("/") else { throw ValidationError("--sessions needs an absolute path") }
        guard sessionLifetime > 0 else { throw ValidationError("--session-lifetime must be positive") }
    }

    func run() throws {
        guard getuid() == 0 && geteuid() == 0 else { throw SetupFailure.io("'serve-user' needs root") }
        if let socket {
            var arguments = ["serve-user", "--sessions", sessions, "--session-lifetime", String(sessionLifetime)]
            if let config = files.config { arguments += ["--config", config] }
            if let store = files.store { arguments += ["--store", store] }
            try SelfServiceListener(path: socket, childArguments: arguments).run()
        } else {
            let endpoint = SelfServiceEndpoint(configPath: files.config, storeDirectory: files.store,
                                               sessions: SelfServiceSessions(directory: sessions, lifetime: sessionLifetime))
            try endpoint.serve(STDIN_FILENO)
        }
    }
}
