import Foundation
import Testing
import TwoFactorCore
import TwoFactorStore

/// The subcommands against a real PostgreSQL (Tests/fleet/pg.sh) when `--config` names a
/// database: the same output and exit statuses as with files, and nothing in the store.
@Suite(.serialized, .requiresPostgreSQL, .requiresOathtool)
struct FleetCommandTests {
    /// Configuration files for the admin role and for server_a (mode 0600), and a store
    /// directory that must stay empty.
    struct Setup {
        let admin: [String]
        let serverA: [String]
        let store: TempStore
    }

    static func setup(_ server: FleetServer) throws -> Setup {
        let store = try TempStore()
        func config(_ role: String) throws -> [String] {
            let conninfo = try server.pg(["conninfo", server.directory, role]).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let path = "\(server.directory).\(role).conf"
            try "database = \(conninfo)\n".write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            return ["--config", path, "--store", store.path, "--user", "root"]
        }
        return Setup(admin: try config("twofa_admin"), serverA: try config("server_a"), store: store)
    }

    @Test("enroll --pending --json and confirm (server role), then status, verify, unlock, backup-codes, disable, reset")
    func pendingFlowAndManagement() throws {
        try FleetServer.with { server in
            let fleet = try Self.setup(server)
            defer { for path in [fleet.admin[1], fleet.serverA[1]] { unlink(path) } }
            let started = try CLI.run(["enroll", "--pending", "--json"] + fleet.serverA)
            try #require(started.status == 0, "\(started.stderr)")
            let secret = try #require(try started.json()["secret"] as? String)
            #expect(try started.json()["expires"] is String)
            let code = try CLI.oathtool(secret)
            let wrong = String(format: "%06d", ((Int(code) ?? 0) + 500_000) % 1_000_000)
            let wrongConfirm = try CLI.run(["confirm", "--code", wrong] + fleet.serverA)
            #expect(wrongConfirm.status == 1 && wrongConfirm.stderr.contains("still pending"), "\(wrongConfirm.stderr)")
            let confirmed = try CLI.run(["confirm", "--json", "--code", code] + fleet.serverA)
            try #require(confirmed.status == 0, "\(confirmed.stderr)")
            let codes = try #require(try confirmed.json()["backup_codes"] as? [String])
            #expect(codes.count == 10)

            let status = try CLI.run(["status", "--json"] + fleet.admin)
            #expect(status.status == 0, "\(status.stderr)")
            #expect(try status.json()["status"] as? String == "enrolled")
            #expect(try status.json()["backup_codes_left"] as? Int == 10)
            #expect(try CLI.run(["status"] + fleet.serverA).status == 74, "a server role may not read a status")

            let replayed = try CLI.run(["verify", "--code", code] + fleet.serverA)
            #expect(replayed.status == 1 && replayed.stderr.contains("already used"), "\(replayed.stderr)")
            let backup = try CLI.run(["verify", "--json", "--code", codes[0]] + fleet.admin)
            #expect(backup.status == 0, "\(backup.stderr)")
            #expect(try backup.json()["result"] as? String == "accepted-backup")
            #expect(try backup.json()["backup_codes_left"] as? Int == 9)
            #expect(try CLI.run(["verify", "--code", codes[0]] + fleet.serverA).status == 1)

            let unlocked = try CLI.run(["unlock"] + fleet.admin)
            #expect(unlocked.status == 0 && unlocked.stdout == "unlocked root (had 1 failed attempts)\n", "\(unlocked.stdout)")
            let left = try CLI.run(["backup-codes"] + fleet.admin)
            #expect(left.status == 0 && left.stdout.contains("root has 9 unused backup codes"))
            let regenerated = try CLI.run(["backup-codes", "--regenerate", "--json"] + fleet.admin)
            #expect(regenerated.status == 0)
            let newCodes = try #require(try regenerated.json()["backup_codes"] as? [String])
            #expect(try CLI.run(["verify", "--code", codes[1]] + fleet.serverA).status == 1, "old codes stop working")
            #expect(try CLI.run(["verify", "--code", newCodes[0]] + fleet.serverA).status == 0)
            #expect(try CLI.run(["unlock", "--config", fleet.serverA[1], "--user", "root"]).status == 74)

            let disabled = try CLI.run(["disable"] + fleet.admin)
            #expect(disabled.status == 0 && disabled.stdout.contains("now off for root"), "\(disabled.stderr)")
            #expect(try CLI.run(["status"] + fleet.admin).status == 2)
            #expect(try CLI.run(["verify", "--code", newCodes[1]] + fleet.serverA).status == 2)
            let reset = try CLI.run(["reset"] + fleet.admin)
            #expect(reset.status == 2 && reset.hasOneErrorLine)
            #expect(fleet.store.snapshot().isEmpty, "the store is never written in fleet mode")
        }
    }

    @Test("interactive enroll (admin role): the code is checked, --force is needed to replace, reset removes it")
    func interactiveEnroll() throws {
        try FleetServer.with { server in
            let fleet = try Self.setup(server)
            defer { for path in [fleet.admin[1], fleet.serverA[1]] { unlink(path) } }
            let (transcript, secret) = try CLI.enrollThroughTerminal(["enroll"] + fleet.admin)
            #expect(transcript.status == 0, "\(transcript.stdout)")
            #expect(!secret.isEmpty)
            let status = try CLI.run(["status"] + fleet.admin)
            #expect(status.status == 0 && status.stdout.contains("status:            enrolled"))
            let again = try CLI.run(["enroll", "--code", "123456"] + fleet.admin)
            #expect(again.status == 64 && again.stderr.contains("--force"))
            let pending = try CLI.run(["enroll", "--pending"] + fleet.serverA)
            #expect(pending.status == 64, "a server role cannot start over an active enrollment")
            #expect(try CLI.run(["reset"] + fleet.admin).status == 0)
            #expect(try CLI.run(["status"] + fleet.admin).status == 2)
            #expect(fleet.store.snapshot().isEmpty)
        }
    }

    @Test("a configuration file that names a database and is readable by others is refused (74), before any connection")
    func readableConfigRefused() throws {
        let store = try TempStore()
        let path = store.path + ".conf"
        defer { unlink(path) }
        try "database = host=/nonexistent dbname=twofa user=x\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let result = try CLI.run(["status", "--config", path, "--store", store.path, "--user", "root"])
        #expect(result.status == 74 && result.hasOneErrorLine, "\(result.stderr)")
        #expect(result.stderr.contains("readable by others") && !result.stderr.contains("database-unavailable"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let unreachable = try CLI.run(["status", "--config", path, "--store", store.path, "--user", "root"])
        #expect(unreachable.status == 74 && unreachable.stderr.contains("database-unavailable"), "\(unreachable.stderr)")
        #expect(store.snapshot().isEmpty)
    }

    @Test("the database stopped: the command fails with exit status 74 and database-unavailable")
    func outage() throws {
        try FleetServer.with { server in
            let fleet = try Self.setup(server)
            defer { for path in [fleet.admin[1], fleet.serverA[1]] { unlink(path) } }
            try server.halt()
            let result = try CLI.run(["verify", "--code", "123456"] + fleet.serverA)
            #expect(result.status == 74 && result.stderr.contains("database-unavailable"), "\(result.stderr)")
        }
    }
}
