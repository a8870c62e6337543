import FleetLibPQ
import Foundation
import Glibc
import Testing
import TwoFactorStore

/// A throwaway PostgreSQL started by Tests/fleet/pg.sh (as root): database twofa, the
/// schema loaded, admin role twofa_admin, server roles server_a and server_b.
/// `with` stops it (and every pooler started with `pooler`) and removes its directory
/// whatever the body does.
public struct FleetServer {
    /// The server's directory (data, sockets, poolers), given to pg.sh.
    public let directory: String

    /// Tests/fleet/pg.sh.
    public static let script: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fleet/pg.sh").path

    /// Starts a server, runs `body` with it, and stops it.
    public static func with<Result>(_ body: (FleetServer) throws -> Result) throws -> Result {
        // In /tmp, where the postgres user can reach it whatever TMPDIR says.
        let temporary = try TemporaryDirectory("swift-2fa-fleet", in: "/tmp")
        return try withExtendedLifetime(temporary) {
            let server = FleetServer(directory: temporary.path)
            defer { _ = try? server.pg(["stop", server.directory]) }
            let start = try server.pg(["start", server.directory])
            guard start.status == 0 else { throw FixtureError(text: "pg.sh start failed: \(start.output)") }
            return try body(server)
        }
    }

    /// The fleet store as `role` sees it, directly through libpq (the admin command's way).
    public func store(_ role: String, timeout: Int = 3) throws -> FleetStore<LibPQConnection> {
        FleetStore(conninfo: try conninfo(role), timeout: timeout)
    }

    /// The libpq connection string for `role` on the primary.
    public func conninfo(_ role: String) throws -> String {
        try pg(["conninfo", directory, role]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// (Re)starts the PgBouncer `name` (default: the role's name) through which logins reach
    /// the database as `role`, forwarding to `upstream` (primary, standby, tls or
    /// tls-wrongca); returns its socket directory (the module's `pooler =`).
    @discardableResult
    public func pooler(_ role: String = "server_a", upstream: String = "primary", name: String? = nil) throws -> String {
        let run = try pg(["pooler", directory, role, upstream, name ?? role])
        guard run.status == 0, let line = run.output.split(separator: "\n").last else {
            throw FixtureError(text: "pg.sh pooler failed: \(run.output)")
        }
        return String(line)
    }

    /// Stops the PgBouncer `name` (SIGTERM: immediate shutdown).
    public func stopPooler(_ name: String = "server_a") throws {
        _ = try pg(["pooler-stop", directory, name])
    }

    /// Stops the server but keeps its directory (a database outage).
    public func halt() throws { _ = try pg(["halt", directory]) }

    /// Runs pg.sh with `arguments`; its standard error goes with its output. pg.sh's pooler
    /// runs the swift-2fa-setup of this build.
    @discardableResult
    public func pg(_ arguments: [String]) throws(FixtureError) -> (status: Int32, output: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["S2FA_SETUP"] = BuiltProduct.path("swift-2fa-setup")
        let run = try Program.run("/bin/bash", [Self.script] + arguments, environment: environment, errorsToOutput: true)
        return (run.status, run.stdout)
    }
}

extension FleetServer {
    /// Whether pg.sh can start a server here: it runs as root and starts PostgreSQL's own
    /// binaries (/usr/lib/postgresql/N/bin) as the `postgres` user.
    public static var canStart: Bool {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return geteuid() == 0 && getpwnam("postgres") != nil
            && versions.contains { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/initdb") }
    }
}

extension Trait where Self == ConditionTrait {
    /// A throwaway PostgreSQL (FleetServer): root and the server installed.
    public static var requiresPostgreSQL: Self {
        .enabled(if: FleetServer.canStart,
                 "needs root and PostgreSQL (Debian packages postgresql, postgresql-contrib) for a throwaway server")
    }
}
