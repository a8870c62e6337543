import CPeerCredentials
import Glibc
import TwoFactorCore
import TwoFactorStore

/// What `serve-user` does for one connection to the self-service socket: who the caller is
/// (the peer's uid, never anything the request says), their request, its proof (a code
/// checked as a login checks it, or a session token), then the operation, done by root's own
/// command for the caller (`swift-2fa-setup OP --user CALLER`, a clean environment, a time
/// limit), whose standard output, standard error and exit status are the answer.
struct SelfServiceEndpoint {
    /// The server's `--config` and `--store`, passed on to the command.
    let configPath: String?
    let storeDirectory: String?
    let sessions: SelfServiceSessions
    /// Seconds a client has to send its request.
    static let requestSeconds: UInt32 = 10
    /// Seconds the command may take (a fleet database may be slow).
    static let commandSeconds: Int32 = 60
    /// The command's whole environment.
    static let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"]

    /// Serves the connection on `fd`: reads one request, sends one answer. A caller that goes
    /// away before its request is complete gets nothing done.
    func serve(_ fd: Int32) throws(SetupFailure) {
        var uid = uid_t()
        guard s2fa_peer_uid(fd, &uid) == 0 else {
            throw .usage("serve-user without --socket serves a Unix socket connection on standard input "
                         + "(systemd: Accept=yes, StandardInput=socket): \(Subprocess.errnoText())")
        }
        UnixSocket.setDeadline(fd, seconds: Int(Self.requestSeconds))
        // The whole request within the deadline, however slowly it trickles in.
        alarm(Self.requestSeconds)
        let message = UnixSocket.readMessage(fd, limit: SelfServiceRequest.maximumSize)
        alarm(0)
        UnixSocket.send(fd, answer(uid: uid, message: message).encoded)
    }

    private func answer(uid: uid_t, message: (bytes: [UInt8], complete: Bool, overflowed: Bool)) -> SelfServiceResponse {
        let account: PasswdEntry
        do throws(PasswdLookupError) { account = try PasswdEntry.lookup(uid: uid) } catch {
            AuthLog.warning("self-service: uid=\(uid): refused: no passwd entry")
            return SelfServiceResponse(.io("no passwd entry for your uid \(uid)"))
        }
        let who = "self-service: user=\(account.name) uid=\(uid)"
        let request: SelfServiceRequest
        do throws(SelfServiceRequest.Problem) {
            if message.overflowed { throw SelfServiceRequest.Problem("the request is larger than \(SelfServiceRequest.maximumSize) bytes") }
            if !message.complete { throw SelfServiceRequest.Problem("the request did not arrive complete in time") }
            request = try SelfServiceRequest.parse(message.bytes)
        } catch {
            AuthLog.warning("\(who): bad request refused")
            return SelfServiceResponse(.usage("bad request: \(error.message)"))
        }
        let what = "\(who) op=\(request.operationName)"
        do throws(SetupFailure) {
            let (response, change) = try perform(request, account: account)
            if response.exit == 0 {
                if change { AuthLog.notice("\(what): done") }
            } else {
                AuthLog.warning("\(what): exit status \(response.exit)")
            }
            return response
        } catch {
            AuthLog.warning("\(what): refused: \(error.message)")
            return SelfServiceResponse(error)
        }
    }

    /// The proof checked, then the command run for the caller; also whether it was a change.
    /// In fleet mode the database checks the proof again: an accepted code opens a session
    /// there too, with the same token, and the command acts only through it
    /// (`FleetSelfService`, handed over on its standard input).
    private func perform(_ request: SelfServiceRequest, account: PasswdEntry) throws(SetupFailure) -> (SelfServiceResponse, Bool) {
        guard sessions.prepareDirectory() else {
            throw .io("the self-service directory \(sessions.directory) is not root's and private")
        }
        let token: String
        if case .session(let given) = request.proof {
            token = given
        } else {
            guard let fresh = SelfServiceSessions.newToken() else { throw .io("no random bytes for a session token") }
            token = fresh
        }
        let fleetSession = FleetSelfService(token: token, sessionSeconds: Int(min(sessions.lifetime, 900)))
        var target = try ManagedUser.resolve(requestedUser: account.name, configPath: configPath,
                                             storeDirectory: storeDirectory, secretTemplate: nil)
        if target.inFleet {
            target = try ManagedUser.resolve(requestedUser: account.name, configPath: configPath,
                                             storeDirectory: storeDirectory, secretTemplate: nil, selfService: fleetSession)
        }
        let attempts = ConfirmAttempts(directory: sessions.directory)
        var newSession: String?
        switch request.proof {
        case .session(let token):
            guard sessions.isValid(token, for: account.uid, now: Enrollment.now()) else {
                throw SetupFailure(.refused, "the session is not valid (unknown, expired or not yours); give a code")
            }
        case .code(let code):
            let verification = try target.verify(code)
            for event in verification.hookEvents { target.notify(event) }
            if verification.outcome.isAccepted {
                newSession = sessions.record(token, for: account.uid, now: Enrollment.now()) ? token : nil
            } else if !(request.operation == .status && verification.outcome == .notEnrolled) {
                // `status` of a user who is not enrolled still says so, as the command does.
                throw target.refusal(for: verification)
            }
        case nil:
            if let until = attempts.blockedUntil(uid: account.uid, now: Enrollment.now()) {
                throw SetupFailure(.refused, "too many wrong codes for the pending credential of \(account.name); "
                                   + "try again after \(Output.isoDate(until))")
            }
        }
        let command = [try Subprocess.ownExecutable()] + arguments(for: request, user: account.name, inFleet: target.inFleet)
        var input = target.inFleet ? SelfServiceSessionInput.line(fleetSession) : ""
        if case .confirm(let code) = request.operation { input += code + "\n" }
        let captured = try Subprocess.capture(command, input: input, environment: Self.environment,
                                              timeout: Self.commandSeconds)
        if case .confirm = request.operation, captured.status == ExitStatus.success.rawValue || captured.status == ExitStatus.refused.rawValue {
            attempts.record(uid: account.uid, accepted: captured.status == ExitStatus.success.rawValue, now: Enrollment.now())
        }
        let response = SelfServiceResponse(exit: captured.status, stdout: String(decoding: captured.stdout, as: UTF8.self),
                                           stderr: String(decoding: captured.stderr, as: UTF8.self), session: newSession)
        return (response, request.changes)
    }

    /// Root's command line for `request` on behalf of `user`. Values from the request follow
    /// `=` or `--`, so none is ever read as an option; a code is never on it (`confirm` reads
    /// its code from standard input, after the session line that `--self-service` makes it
    /// read first in fleet mode).
    private func arguments(for request: SelfServiceRequest, user: String, inFleet: Bool) -> [String] {
        var target = ["--user", user] + (inFleet ? ["--self-service"] : [])
        if let configPath { target += ["--config", configPath] }
        if let storeDirectory { target += ["--store", storeDirectory] }
        let json = request.json ? ["--json"] : []
        switch request.operation {
        case .status: return ["status"] + target + json
        case .backupCodes(let regenerate): return ["backup-codes"] + target + (regenerate ? ["--regenerate"] : []) + json
        case .enrollAdd(let credential): return ["enroll", "--add", "--pending"] + Self.options(credential) + target + json
        case .replace(let credential): return ["enroll", "--force", "--pending"] + Self.options(credential) + target + json
        case .confirm: return ["confirm", "--force"] + target + json   // the code on standard input
        case .credentialsList: return ["credentials", "list"] + target + json
        case .credentialsRemove(let name): return ["credentials", "remove"] + target + ["--", name]
        case .credentialsRename(let name, let label): return ["credentials", "rename"] + target + ["--", name, label]
        }
    }

    private static func options(_ credential: SelfServiceRequest.NewCredential) -> [String] {
        (credential.label.map { ["--label=\($0)"] } ?? []) + (credential.hotp ? ["--hotp"] : [])
            + ["--algorithm=\(credential.algorithm.rawValue)", "--digits=\(credential.digits)", "--period=\(credential.period)"]
    }
}
