import Glibc

/// `serve-user --socket PATH`: listens in the foreground and starts, for each connection,
/// `swift-2fa-setup serve-user` with the connection as its standard input, as systemd does
/// with Accept=yes. A child per connection keeps one slow client from holding up the others
/// and each request's state apart; at most `maximumChildren` run at once (more connections
/// wait in the backlog). It runs until a signal ends it (children finish their request); a
/// socket file left behind is replaced at the next start.
struct SelfServiceListener {
    let path: String
    /// The child's arguments after the program (the server's options, without --socket).
    let childArguments: [String]
    static let maximumChildren = 16

    func run() throws(SetupFailure) {
        // A parent may leave signals blocked or ignored (a test runner's Process does):
        // SIGTERM, SIGINT and SIGHUP must end the listener.
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        for signal in [SIGINT, SIGTERM, SIGHUP] { Glibc.signal(signal, SIG_DFL) }
        let executable = try Subprocess.ownExecutable()
        let listening: Int32
        do throws(UnixSocket.Failure) { listening = try UnixSocket.listen(at: path) } catch {
            throw .io("cannot listen on \(path): \(error.text)")
        }
        defer { close(listening) }
        var running = 0
        while true {
            while running > 0 && waitpid(-1, nil, running >= Self.maximumChildren ? 0 : WNOHANG) > 0 { running -= 1 }
            let connection = accept(listening, nil, nil)
            if connection < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                throw .io("cannot accept a connection on \(path): \(Subprocess.errnoText())")
            }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            posix_spawn_file_actions_adddup2(&actions, connection, STDIN_FILENO)
            posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0)
            if (try? Subprocess.spawn([executable] + childArguments, actions: &actions,
                                      environment: SelfServiceEndpoint.environment)) != nil {
                running += 1
            } else {
                Output.warning("cannot start a child for a connection on \(path)")
            }
            posix_spawn_file_actions_destroy(&actions)
            close(connection)
        }
    }
}
