import Foundation
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

/// PoolerConnection against Tests/fleet/fake_pooler.py on a Unix socket in a private
/// directory (no PAM, no database): an honest answer is read, and every lie is
/// `database-unavailable`.
@Suite("The login process's pooler connection")
struct PoolerConnectionTests {
    /// The one row the honest fake answers every call with (verify's seven columns).
    static let honestRow: [[String?]] = [["accepted-totp", "0", "0", "10", "f", "default", nil]]

    /// Runs `body` with a fake pooler serving `scenarios` in `directory`, stopped after.
    static func withFake<Result>(_ scenarios: [String], _ body: (FleetSettings, String) throws -> Result) throws -> Result {
        let directory = try TemporaryDirectory("s2fa-store")
        let pooler = directory.file("pooler")
        try FileManager.default.createDirectory(atPath: pooler, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        let fake = try FakePooler(["--unix", Pooler.socketPath(in: pooler)] + scenarios, log: directory.file("fake.log"))
        // The directory (the socket, the log) lives until the fake is stopped.
        defer { withExtendedLifetime(directory) { fake.stop() } }
        return try body(FleetSettings(conninfo: "unused", timeoutSeconds: 1, poolerDirectory: pooler), fake.log)
    }

    @Test("an honest pooler: two calls on one connection, rows as sent, Terminate at the end")
    func honest() throws {
        try Self.withFake(["honest"]) { settings, log in
            let connection = try PoolerConnection(settings)
            let first = try connection.run("SELECT $1", ["a", nil])
            let second = try connection.run("SELECT 2", [])
            #expect(first == Self.honestRow && second == first)
            connection.close()
            Thread.sleep(forTimeInterval: 0.2)
            let seen = try String(contentsOfFile: log, encoding: .utf8)
            #expect(seen == "honest: startup P B D E S P B D E S X\n")
        }
    }

    @Test("an idle connection handed over is resumed by a second holder: one start-up for both calls")
    func handOver() throws {
        try Self.withFake(["honest"]) { settings, log in
            let first = try PoolerConnection(settings)
            #expect(try first.run("SELECT 1", []) == Self.honestRow)
            let descriptor = try #require(first.handOver())
            #expect(throws: EnrollmentStoreError.self) { try first.run("SELECT 1", []) }
            let second = try PoolerConnection(resuming: descriptor, settings: settings)
            #expect(try second.run("SELECT 2", []) == Self.honestRow)
            second.close()
            Thread.sleep(forTimeInterval: 0.2)
            #expect(try String(contentsOfFile: log, encoding: .utf8) == "honest: startup P B D E S P B D E S X\n")
        }
    }

    @Test("a descriptor that is not a connection to this pooler is refused and closed",
          arguments: ["socket pair", "another pooler", "a file"])
    func resumingSomethingElse(_ what: String) throws {
        try Self.withFake(["honest"]) { settings, _ in
            let descriptor: Int32
            var elsewhere = settings
            switch what {
            case "socket pair":
                var pair: [Int32] = [-1, -1]
                #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
                close(pair[1])
                descriptor = pair[0]
            case "another pooler":
                elsewhere = FleetSettings(conninfo: "unused", timeoutSeconds: 1, poolerDirectory: "/run/elsewhere")
                descriptor = try #require(try PoolerConnection(settings).handOver())
            default:
                descriptor = open("/etc/hostname", O_RDONLY)
            }
            #expect(descriptor >= 0)
            #expect(throws: EnrollmentStoreError.self) { try PoolerConnection(resuming: descriptor, settings: elsewhere) }
            #expect(fcntl(descriptor, F_GETFD) == -1, "closed after the refusal")
        }
    }

    @Test("every lie is database-unavailable, fast, and the connection is unusable after it",
          arguments: ["password", "md5", "sasl", "ready-before-auth", "startup-garbage", "short-length", "truncated",
                      "huge-length", "oversized", "row-before-ready-then-close", "row-before-ready-then-silence",
                      "row-before-parse", "wrong-width", "negative-length", "not-utf8", "open-transaction", "two-answers",
                      "error-then-row", "notification", "copy", "silence"])
    func lies(_ scenario: String) throws {
        try Self.withFake([scenario]) { settings, _ in
            let start = Date()
            var kind: EnrollmentStoreError.Kind?
            do throws(EnrollmentStoreError) {
                let connection = try PoolerConnection(settings)
                do throws(EnrollmentStoreError) {
                    _ = try connection.run("SELECT 1", ["x"])
                } catch {
                    kind = error.kind
                    #expect(throws: EnrollmentStoreError.self) { try connection.run("SELECT 1", []) }
                }
            } catch {
                kind = error.kind
            }
            #expect(kind == .databaseUnavailable, "\(scenario)")
            #expect(Date().timeIntervalSince(start) < 1.8, "\(scenario): within the 1 s deadline")
        }
    }

    @Test("no socket, a symbolic link, a directory others may write to: refused before connecting")
    func directory() throws {
        let directory = try TemporaryDirectory("s2fa-store")
        let missing = FleetSettings(conninfo: "x", timeoutSeconds: 1, poolerDirectory: directory.file("none"))
        #expect(throws: EnrollmentStoreError(.databaseUnavailable, "pooler directory \(directory.file("none")): No such file or directory")) {
            try PoolerConnection(missing)
        }
        try FileManager.default.createDirectory(atPath: directory.file("open"), withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        #expect(chmod(directory.file("open"), 0o777) == 0)
        let open = FleetSettings(conninfo: "x", timeoutSeconds: 1, poolerDirectory: directory.file("open"))
        #expect(throws: EnrollmentStoreError(.databaseUnavailable,
                                   "pooler directory \(directory.file("open")) is writable by others (mode 0777)")) {
            try PoolerConnection(open)
        }
        #expect(symlink(directory.path, directory.file("link")) == 0)
        let link = FleetSettings(conninfo: "x", timeoutSeconds: 1, poolerDirectory: directory.file("link"))
        #expect(throws: EnrollmentStoreError.self) { try PoolerConnection(link) }
        #expect(chmod(directory.file("open"), 0o700) == 0)
        #expect(throws: EnrollmentStoreError(.databaseUnavailable,
                                   "pooler socket \(Pooler.socketPath(in: directory.file("open"))): No such file or directory (is the pooler running?)")) {
            try PoolerConnection(open)
        }
    }
}
