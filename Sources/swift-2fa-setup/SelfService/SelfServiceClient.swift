import Glibc
import TwoFactorCore

/// A non-root user's side of the self-service socket: one request, one answer.
struct SelfServiceClient {
    /// Where systemd's swift-2fa-self.socket listens.
    static let defaultSocket = "/run/swift-2fa/self.sock"
    /// The largest answer read.
    static let maximumAnswer = 1 << 20
    /// Seconds to wait for the answer (the server's command has 60).
    static let answerSeconds = 90

    let path: String

    /// Sends `request` and returns the answer. A socket that is missing or refuses is the
    /// one line that says the service is not running (exit status 74).
    func send(_ request: SelfServiceRequest) throws(SetupFailure) -> SelfServiceResponse {
        let fd: Int32
        do throws(UnixSocket.Failure) { fd = try UnixSocket.connect(to: path) } catch {
            if [ENOENT, ECONNREFUSED, ENOTSOCK].contains(error.code) {
                throw .io("the self-service socket \(path) is not running; ask an admin to "
                          + "`systemctl enable --now swift-2fa-self.socket`")
            }
            throw .io("cannot reach the self-service socket \(path): \(error.text)")
        }
        defer { close(fd) }
        UnixSocket.setDeadline(fd, seconds: Self.answerSeconds)
        guard UnixSocket.send(fd, Array(request.text.utf8) + [0x0A]) else {
            throw .io("the self-service socket \(path) closed the connection: \(Subprocess.errnoText())")
        }
        shutdown(fd, Int32(SHUT_WR))
        let reply = UnixSocket.readMessage(fd, limit: Self.maximumAnswer)
        guard reply.complete, !reply.overflowed, let response = SelfServiceResponse.decode(reply.bytes) else {
            throw .io("the self-service socket \(path) gave no valid answer")
        }
        return response
    }
}

extension SelfServiceResponse {
    /// Writes the answer's output and ends with its exit status.
    func finish(json: Bool) -> Never {
        write(json: json)
        Glibc.exit(self.exit)
    }

    /// Writes the answer's output. A new session token goes into a JSON object on stdout as
    /// `"session"` (with `json`), else in a line on stderr.
    func write(json: Bool) {
        var out = stdout
        var err = stderr
        if let session {
            if json, out.hasPrefix("{") {
                out = "{\"session\":\"\(session)\"" + (out.hasPrefix("{}") ? "" : ",") + out.dropFirst()
            } else {
                err += Output.errorLine("session \(session) (valid 5 minutes: give it with --session instead of a code)")
            }
        }
        Output.write(out)
        Output.writeError(err)
    }
}
