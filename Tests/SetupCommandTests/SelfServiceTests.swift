import Foundation
import Glibc
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

/// `serve-user --socket` in a temporary directory, serving a temporary store and
/// configuration file, stopped by `stop()` (and when the last reference goes).
final class SelfServiceServer {
    let temp: TempStore
    /// The socket's directory: mode 0755, so that other users reach the socket (mode 0666).
    let socketDirectory: TemporaryDirectory
    let config: String
    var socket: String { socketDirectory.file("self.sock") }
    var sessions: String { temp.path + "-sessions" }
    private let process = Process()

    /// `configuration`: the text of the configuration file (mode 0600), such as a fleet's
    /// `database =` line.
    init(sessionLifetime: Int = 300, configuration: String = "") throws {
        temp = try TempStore()
        socketDirectory = try TemporaryDirectory("s2fa-self", mode: 0o755)
        config = temp.path + "-conf"
        #expect(FileManager.default.createFile(atPath: config, contents: Data(configuration.utf8),
                                               attributes: [.posixPermissions: 0o600]))
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["serve-user", "--socket", socketDirectory.file("self.sock"), "--store", temp.path,
                             "--config", config, "--sessions", temp.path + "-sessions",
                             "--session-lifetime", String(sessionLifetime)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { usleep(50_000) }
        try #require(FileManager.default.fileExists(atPath: socket), "serve-user did not create its socket")
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit {
        stop()
        for path in [config, sessions] { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Root's arguments for `user` on the server's store and configuration.
    func rootArgs(_ user: String = "nobody") -> [String] { temp.args(user) + ["--config", config] }

    /// Enrolls `user` as root; the secret and backup codes.
    func enroll(_ user: String = "nobody") throws -> (secret: String, backupCodes: [String]) {
        try temp.enroll(user, extra: ["--config", config])
    }

    /// The command run as `uid` (nobody by default) with `--socket`.
    func client(_ arguments: [String], input: String = "", uid: uid_t = 65534) throws -> ProgramResult {
        try Program.run("/usr/bin/setpriv", ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", CLI.binary]
                        + arguments + ["--socket", socket], input: input)
    }

    /// Root's `status --json` of `user`, read directly from the store.
    func status(_ user: String = "nobody") throws -> [String: Any] {
        try CLI.run(["status", "--json"] + rootArgs(user)).json()
    }

    /// Sends `bytes` as one request from this (root) process, then half-closes unless
    /// `keepOpen`, or hangs up at once with `hangUp`; the answer parsed, nil when there is none.
    func raw(_ bytes: [UInt8], keepOpen: Bool = false, hangUp: Bool = false) throws -> [String: Any]? {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in self.socket.utf8.enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(connected == 0, "connect: errno \(errno)")
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { break }
            offset += sent
        }
        if hangUp { return nil }
        if !keepOpen { shutdown(fd, Int32(SHUT_WR)) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            answer.append(contentsOf: buffer[0..<count])
        }
        guard !answer.isEmpty else { return nil }
        return try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any]
    }
}

/// The self-service socket through the real socket, the command run as an ordinary user
/// (nobody; daemon as a second one) against a root-only store.
@Suite(.requiresRoot("serve-user runs as root, the client as nobody and daemon through setpriv"), .requiresOathtool,
       .serialized)
struct SelfServiceTests {
    @Test func statusWithACodeGivesTheSameOutputAsRootAndASession() throws {
        let server = try SelfServiceServer()
        let (secret, _) = try server.enroll()
        awayFromStepBoundary()
        // The next step's code (enrolling used this one), from standard input as a page gives it.
        let viaSocket = try server.client(["status"], input: try CLI.oathtool(secret, at: AuthenticatorApp.now() + 30) + "\n")
        try #require(viaSocket.status == 0, "\(viaSocket.stderr)")
        let direct = try CLI.run(["status"] + server.rootArgs())
        #expect(viaSocket.stdout == direct.stdout)
        // The new session token: a line on stderr in text mode.
        let token = try #require(viaSocket.stderr.firstMatch(of: /session ([0-9a-f]{64})/)?.1)
        let json = try server.client(["status", "--json", "--session", String(token)])
        #expect(json.status == 0, "\(json.stderr)")
        #expect(try json.json()["user"] as? String == "nobody")
        #expect(try json.json()["session"] == nil, "a session is given only for an accepted code")
        // The session file holds no token in clear, and is root's.
        let stored = try String(contentsOfFile: server.sessions + "/65534", encoding: .utf8)
        #expect(!stored.contains(token))
        #expect(try FileManager.default.attributesOfItem(atPath: server.sessions)[.posixPermissions] as? Int == 0o700)
    }

    @Test func aWrongCodeIsCountedAndThrottledMeansRefusedUnchecked() throws {
        let server = try SelfServiceServer()
        let (secret, _) = try server.enroll()
        for attempt in 1...3 {
            let wrong = try server.client(["status", "--code", "000000"])
            #expect(wrong.status == 1)
            #expect(wrong.stderr.hasPrefix("swift-2fa-setup: ") && wrong.stdout.isEmpty)
            #expect(try server.status()["failures"] as? Int == attempt)
        }
        #expect(try server.status()["throttled_until"] as? String != nil)
        let right = try server.client(["status", "--json", "--code", try CLI.oathtool(secret, at: AuthenticatorApp.now() + 30)])
        #expect(right.status == 1)
        #expect(right.stderr.contains("too many wrong codes for nobody; try again after"), "\(right.stderr)")
        #expect(try server.status()["failures"] as? Int == 3, "a throttled attempt is not counted")
    }

    @Test func everyOperationWithABackupCodeAndASession() throws {
        let server = try SelfServiceServer()
        let (secret, backupCodes) = try server.enroll()
        // backup-codes: the count, with a backup code (which is used up), and a session.
        let count = try server.client(["backup-codes", "--json", "--code", backupCodes[0]])
        #expect(count.status == 0, "\(count.stderr)")
        #expect(try count.json()["backup_codes_left"] as? Int == 9)
        let session = try #require(try count.json()["session"] as? String)
        let reuse = try server.client(["backup-codes", "--code", backupCodes[0]])
        #expect(reuse.status == 1, "a used backup code is refused")

        // enroll --add --pending, then confirm with the new credential's code.
        let added = try server.client(["enroll", "--add", "--pending", "--json", "--label", "phone2", "--session", session])
        #expect(added.status == 0, "\(added.stderr)")
        let newSecret = try #require(try added.json()["secret"] as? String)
        #expect((try added.json()["qr_svg"] as? String)?.contains("<svg") == true)
        let wrongConfirm = try server.client(["confirm", "--code", "000000"])
        #expect(wrongConfirm.status == 1)
        let confirmed = try server.client(["confirm", "--json", "--code", try CLI.oathtool(newSecret)])
        #expect(confirmed.status == 0, "\(confirmed.stderr)")
        #expect(try confirmed.json()["credential"] as? String == "phone2")

        // credentials list, as root's output.
        let list = try server.client(["credentials", "list", "--json", "--session", session])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout == (try CLI.run(["credentials", "list", "--json"] + server.rootArgs())).stdout)
        #expect(list.stdout.contains("\"phone2\""))

        // credentials rename and remove; never the last one, and no --force.
        let renamed = try server.client(["credentials", "rename", "phone2", "phone-b", "--session", session])
        #expect(renamed.status == 0 && renamed.stdout == "credential 2 of nobody is now labelled phone-b\n", "\(renamed.stderr)")
        let removed = try server.client(["credentials", "remove", "phone-b", "--session", session])
        #expect(removed.status == 0 && removed.stdout == "removed credential 2 (phone-b) of nobody\n", "\(removed.stderr)")
        let last = try server.client(["credentials", "remove", "default", "--session", session])
        #expect(last.status == 64 && last.hasOneErrorLine, "\(last.stderr)")
        let forced = try server.client(["credentials", "remove", "default", "--force", "--session", session])
        #expect(forced.status == 64 && forced.stderr.contains("--force needs root"))
        #expect(try server.status()["status"] as? String == "enrolled")

        // backup-codes --regenerate: ten new codes; the old ones stop working.
        let regenerated = try server.client(["backup-codes", "--regenerate", "--json", "--session", session])
        #expect(regenerated.status == 0, "\(regenerated.stderr)")
        #expect((try regenerated.json()["backup_codes"] as? [String])?.count == 10)
        #expect(try server.client(["status", "--code", backupCodes[1]]).status == 1)

        // replace: a new secret pending; the old one works until the new one's code confirms.
        let replacing = try server.client(["enroll", "--force", "--pending", "--json", "--session", session])
        #expect(replacing.status == 0, "\(replacing.stderr)")
        let phoneSecret = try #require(try replacing.json()["secret"] as? String)
        awayFromStepBoundary()
        #expect(try server.client(["status", "--code", try CLI.oathtool(secret, at: AuthenticatorApp.now() + 30)]).status == 0, "the old phone still works")
        // The code on standard input, as the Cockpit page gives it (never on a command line).
        let replaced = try server.client(["confirm", "--json"], input: try CLI.oathtool(phoneSecret) + "\n")
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect((try replaced.json()["backup_codes"] as? [String])?.count == 10)
        let record = try #require(try server.temp.store.readSecret(user: "nobody"))
        #expect(Base32.encode(record.secret) == phoneSecret)
    }

    @Test func aRequestCannotReachAnotherAccount() throws {
        let server = try SelfServiceServer()
        _ = try server.enroll("root")
        let (_, backupCodes) = try server.enroll()
        let before = server.temp.snapshot()
        // The request cannot name a user.
        let named = try #require(try server.raw(Array(#"{"op":"status","code":"\#(backupCodes[0])","user":"root"}"#.utf8)))
        #expect(named["exit"] as? Int == 64)
        #expect((named["stderr"] as? String)?.contains(#"the key "user" is not allowed"#) == true)
        // --user of someone else is refused before anything is sent.
        let other = try server.client(["status", "--user", "root", "--code", backupCodes[0]])
        #expect(other.status == 74 && other.stderr.contains("only root may act for another user"))
        // daemon, not enrolled, with nobody's backup code: its own (absent) enrollment only.
        let daemon = try server.client(["credentials", "list", "--code", backupCodes[0]], uid: 1)
        #expect(daemon.status == 2 && daemon.stderr == "swift-2fa-setup: daemon is not enrolled\n", "\(daemon.stderr)")
        #expect(server.temp.snapshot().filter { !$0.key.hasPrefix("daemon") } == before)
        // Root's own command acts directly, even with a socket that does not answer.
        let rootRun = try CLI.run(["status", "--socket", "/nonexistent/self.sock"] + server.rootArgs())
        #expect(rootRun.status == 0, "\(rootRun.stderr)")
    }

    @Test func aSessionIsBoundToItsUidAndExpires() throws {
        let server = try SelfServiceServer(sessionLifetime: 3)
        let (_, backupCodes) = try server.enroll()
        _ = try server.enroll("daemon")
        let first = try server.client(["status", "--json", "--code", backupCodes[0]])
        let session = try #require(try first.json()["session"] as? String)
        #expect(try server.client(["status", "--session", session]).status == 0)
        let stolen = try server.client(["status", "--session", session], uid: 1)
        #expect(stolen.status == 1 && stolen.stderr.contains("the session is not valid"), "\(stolen.stderr)")
        sleep(4)
        let expired = try server.client(["status", "--session", session])
        #expect(expired.status == 1 && expired.stderr.contains("the session is not valid"), "\(expired.stderr)")
    }

    @Test func malformedOversizedAndCutOffRequestsChangeNothing() throws {
        let server = try SelfServiceServer()
        let (_, backupCodes) = try server.enroll()
        let before = server.temp.snapshot()
        for request in [#"{"op":"status""#, #"{"op":"backup-codes","regenerate":true}"#, "not json",
                        #"{"op":"credentials-remove","credential":"--force","code":"\#(backupCodes[0])"}"#,
                        #"{"op":"backup-codes","regenerate":true,"code":"\#(backupCodes[0])","json":"yes"}"#] {
            let answer = try #require(try server.raw(Array(request.utf8)), "no answer to \(request)")
            #expect(answer["exit"] as? Int == 64, "\(request)")
            #expect((answer["stderr"] as? String)?.hasPrefix("swift-2fa-setup: bad request: ") == true)
            #expect((answer["stdout"] as? String)?.isEmpty == true)
        }
        let oversized = #"{"op":"backup-codes","regenerate":true,"code":"\#(backupCodes[0])"}"#
            + String(repeating: " ", count: SelfServiceRequest.maximumSize)
        let refused = try #require(try server.raw(Array(oversized.utf8), keepOpen: true))
        #expect((refused["stderr"] as? String)?.contains("larger than 8192 bytes") == true)
        // A client that stops mid-request, or goes away, gets nothing done.
        let cut = Array(#"{"op":"backup-codes","regenerate":true,"code":"\#(backupCodes[0])"#.utf8)
        #expect(try server.raw(cut)?["exit"] as? Int == 64)
        _ = try server.raw(cut, keepOpen: true, hangUp: true)
        usleep(300_000)
        #expect(server.temp.snapshot() == before)
        // The server still serves.
        let after = try server.client(["status", "--code", backupCodes[0]])
        #expect(after.status == 0, "\(after.stderr)")
    }

    @Test func aMissingSocketIsOneClearLine() throws {
        let directory = try TemporaryDirectory("s2fa-nosock", mode: 0o755)
        let result = try Program.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", CLI.binary,
                                                          "status", "--code", "123456", "--socket", directory.file("self.sock")])
        #expect(result.status == 74)
        #expect(result.stderr == "swift-2fa-setup: the self-service socket \(directory.file("self.sock")) is not running; "
                + "ask an admin to `systemctl enable --now swift-2fa-self.socket`\n")
    }
}
