import TwoFactorCore
import TwoFactorStore

/// How `serve-user` hands its command (`OP --user CALLER --self-service`) the fleet session
/// of a request: one line on standard input, the token and the session's seconds, never on
/// the command line, where every local user could read it (/proc/PID/cmdline).
enum SelfServiceSessionInput {
    /// The line for `session`.
    static func line(_ session: FleetSelfService) -> String {
        "\(session.token) \(session.sessionSeconds)\n"
    }

    /// The session from standard input; a usage error for anything but one valid line.
    static func read() throws(SetupFailure) -> FleetSelfService {
        let fields = (readLine() ?? "").split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 2, SelfServiceRequest.isSessionShape(String(fields[0])),
              let seconds = Int(fields[1]), (1...900).contains(seconds) else {
            throw .usage("--self-service reads a session token and its seconds (1 to 900) from standard input")
        }
        return FleetSelfService(token: String(fields[0]), sessionSeconds: seconds)
    }
}
