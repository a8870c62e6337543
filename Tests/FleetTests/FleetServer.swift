import FleetLibPQ
import Foundation
import Testing
import TwoFactorStore

/// A throwaway PostgreSQL started by Tests/fleet/pg.sh (as root): database twofa, the
/// schema loaded, admin role twofa_admin, server roles server_a and server_b.
/// `with` stops it (and every pooler started with `pooler`) and removes its directory
/// whatever the body does.
struct FleetServer {
    let directory: String

    static let script: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fleet/pg.sh").path

    static func with<Result>(_ body: (FleetServer) throws -> Result) throws -> Result {
        var template = Array("/tmp/swift-2fa-fleet.XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw FleetServerError(text: "mkdtemp failed") }
        let directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let server = FleetServer(directory: directory)
        defer { _ = try? server.pg(["stop", directory]) }
        let start = try server.pg(["start", directory])
        guard start.status == 0 else { throw FleetServerError(text: "pg.sh start failed: \(start.output)") }
        return try body(server)
    }

    /// The fleet store as `role` sees it, directly through libpq (the admin command's way).
    func store(_ role: String, timeout: Int = 3) throws -> FleetStore<LibPQConnection> {
        FleetStore(conninfo: try conninfo(role), timeout: timeout)
    }

    /// The libpq connection string for `role` on the primary.
    func conninfo(_ role: String) throws -> String {
        try pg(["conninfo", directory, role]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// (Re)starts the PgBouncer `name` (default: the role's name) through which logins reach
    /// the database as `role`, forwarding to `upstream` (primary, standby, tls or
    /// tls-wrongca); returns its socket directory (the module's `pooler =`).
    @discardableResult
    func pooler(_ role: String = "server_a", upstream: String = "primary", name: String? = nil) throws -> String {
        let run = try pg(["pooler", directory, role, upstream, name ?? role])
        guard run.status == 0, let line = run.output.split(separator: "\n").last else {
            throw FleetServerError(text: "pg.sh pooler failed: \(run.output)")
        }
        return String(line)
    }

    /// Stops the PgBouncer `name` (SIGTERM: immediate shutdown).
    func stopPooler(_ name: String = "server_a") throws {
        _ = try pg(["pooler-stop", directory, name])
    }

    /// Stops the server but keeps its directory (a database outage).
    func halt() throws { _ = try pg(["halt", directory]) }

    /// Runs pg.sh with default signal handling (a test runner may ignore SIGCHLD or SIGPIPE,
    /// which runuser and pg_ctl must not inherit) and its output in a file.
    @discardableResult
    func pg(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let output = "\(directory).pg-output"
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = ["/bin/bash", Self.script] + arguments
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        // pg.sh's pooler runs the swift-2fa-setup of this build.
        var environment = ProcessInfo.processInfo.environment
        environment["S2FA_SETUP"] = BuiltProduct.path("swift-2fa-setup")
        var cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cEnvironment.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, "/bin/bash", &actions, &attributes, &cArguments, &cEnvironment)
        guard spawned == 0 else { throw FleetServerError(text: "cannot run pg.sh: error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), text)
    }
}

struct FleetServerError: Error, CustomStringConvertible {
    let text: String
    var description: String { text }
}

extension FleetServer {
    /// Whether pg.sh can start a server here: it runs as root and starts PostgreSQL's own
    /// binaries (/usr/lib/postgresql/N/bin) as the `postgres` user.
    static var canStart: Bool {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return geteuid() == 0 && getpwnam("postgres") != nil
            && versions.contains { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/initdb") }
    }
}

extension Trait where Self == ConditionTrait {
    /// A throwaway PostgreSQL (FleetServer): root and the server installed.
    static var requiresPostgreSQL: Self {
        .enabled(if: FleetServer.canStart,
                 "needs root and PostgreSQL (Debian packages postgresql, postgresql-contrib) for a throwaway server")
    }
}

/// The products of the build these tests belong to: found next to the test runner, so that
/// the tests use the build of whatever scratch path they were run from.
enum BuiltProduct {
    /// The path of the built executable `name`, or a path that says it was not found.
    static func path(_ name: String) -> String {
        var candidates: [URL] = []
        let argument0 = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(argument0.deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for directory in candidates {
            var url = directory
            // Walk up out of an .xctest bundle if the runner is inside one.
            for _ in 0..<4 {
                let binary = url.appendingPathComponent(name).path
                if FileManager.default.isExecutableFile(atPath: binary) { return binary }
                url = url.deletingLastPathComponent()
            }
        }
        return "\(name)-not-found-next-to-\(argument0.path)"
    }
}
