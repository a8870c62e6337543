import Foundation
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

/// The subcommands against a real PostgreSQL (Tests/fleet/pg.sh) when `--config` names a
/// database: the same output and exit statuses as with files, and nothing in the store.
@Suite(.serialized, .requiresPostgreSQL, .requiresOathtool)
struct FleetCommandTests {
    /// Configuration files for the admin role, server_a (with the enrollment right) and
    /// server_b (without it), mode 0600, and a store directory that must stay empty.
    struct Setup {
        let admin: [String]
        let serverA: [String]
        let serverB: [String]
        let store: TempStore

        /// Removes the configuration files.
        func remove() { for arguments in [admin, serverA, serverB] { unlink(arguments[1]) } }
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
        return Setup(admin: try config("twofa_admin"), serverA: try config("server_a"), serverB: try config("server_b"),
                     store: store)
    }

    @Test("import --google-authenticator in fleet mode: the enrollment, its used steps and scratch codes go to the database, nothing to the store")
    func importIntoTheFleet() throws {
        try FleetServer.with { server in
            let fleet = try Self.setup(server)
            defer { fleet.remove() }
            let file = fleet.store.path + "-ga"
            defer { unlink(file) }
            let made = try Program.run("/usr/bin/google-authenticator",
                                       ["-t", "-d", "-f", "-q", "-C", "-r", "3", "-R", "30", "-w", "3", "-s", file])
            try #require(made.status == 0, "google-authenticator failed: \(made.stderr)")
            let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
            let secret = lines[0]
            let scratch = lines.filter { $0.count == 8 && Int($0) != nil }
            #expect(scratch.count == 5)

            let byServer = try CLI.run(["import", "--google-authenticator", file] + fleet.serverA)
            #expect(byServer.status == 74, "a server role may not import: \(byServer.stderr)")
            let imported = try CLI.run(["import", "--google-authenticator", file] + fleet.admin)
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(fleet.store.snapshot().isEmpty, "the store is never written in fleet mode")
            let status = try CLI.run(["status", "--json"] + fleet.admin)
            #expect(try status.json()["status"] as? String == "enrolled", "\(status.stdout)")
            #expect(try status.json()["backup_codes_left"] as? Int == 5)

            let code = try CLI.oathtool(secret)
            #expect(try CLI.run(["verify", "--code", code] + fleet.serverA).status == 0, "a login's code verifies")
            #expect(try CLI.run(["verify", "--code", scratch[2]] + fleet.serverA).status == 0)
            #expect(try CLI.run(["verify", "--code", scratch[2]] + fleet.serverA).status == 1, "a scratch code works once")
            let again = try CLI.run(["import", "--google-authenticator", file] + fleet.admin)
            #expect(again.status == 64 && again.stderr.contains("--force"), "\(again.status) \(again.stderr)")
            #expect(try CLI.run(["import", "--force", "--google-authenticator", file] + fleet.admin).status == 0)
        }
    }

    @Test("enroll --pending --json and confirm (server role), then status, verify, unlock, backup-codes, disable, reset")
    func pendingFlowAndManagement() throws {
        try FleetServer.with { server in
            let fleet = try Self.setup(server)
            defer { fleet.remove() }
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
            defer { fleet.remove() }
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

    @Test("a configuration file that names a database and is not root's with mode 0600 or stricter is refused (74), before any connection",
          arguments: [(mode_t(0o644), uid_t(0)), (0o640, 0), (0o604, 0), (0o600, 65534)])
    func unsafeConfigRefused(mode: mode_t, owner: uid_t) throws {
        let store = try TempStore()
        let path = store.path + ".conf"
        defer { unlink(path) }
        try "database = host=/nonexistent dbname=twofa user=x\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(chmod(path, mode) == 0 && chown(path, owner, 0) == 0)
        for arguments in [["status", "--user", "root", "--store", store.path], ["db", "status"]] {
            let result = try CLI.run(arguments + ["--config", path])
            #expect(result.status == 74 && result.hasOneErrorLine, "\(arguments): \(result.stderr)")
            // Root reads no configuration file of another owner; one that names a database must also be 0600 or stricter.
            #expect(result.stderr.contains(owner == 0 ? "names a database, so it must be owned by root with mode 0600 or stricter"
                                                      : "is owned by uid \(owner)"), "\(result.stderr)")
            #expect(!result.stderr.contains("database-unavailable"))
        }
        #expect(chown(path, 0, 0) == 0 && chmod(path, 0o600) == 0)
        let unreachable = try CLI.run(["status", "--config", path, "--store", store.path, "--user", "root"])
        #expect(unreachable.status == 74 && unreachable.stderr.contains("database-unavailable"), "\(unreachable.stderr)")
        #expect(store.snapshot().isEmpty)
    }

    @Test("a server role without --enroll cannot start a pending enrollment; one with it cannot replace an admin's")
    func enrollmentRight() throws {
        try FleetServer.with { server in
            let fleet = try Self.setup(server)
            defer { fleet.remove() }
            let refused = try CLI.run(["enroll", "--pending", "--json"] + fleet.serverB)
            #expect(refused.status == 74 && refused.hasOneErrorLine, "\(refused.stderr)")
            #expect(refused.stderr.contains("db grant-server ROLE --enroll"), "\(refused.stderr)")
            #expect(try CLI.run(["confirm", "--code", "123456"] + fleet.serverB).status == 74)

            let started = try CLI.run(["enroll", "--pending", "--json"] + fleet.admin)
            try #require(started.status == 0, "\(started.stderr)")
            let secret = try #require(try started.json()["secret"] as? String)
            let replaced = try CLI.run(["enroll", "--pending", "--json"] + fleet.serverA)
            #expect(replaced.status == 74 && replaced.hasOneErrorLine, "\(replaced.stderr)")
            #expect(replaced.stderr.contains("an enrollment the admin started is pending for root"), "\(replaced.stderr)")
            #expect(try CLI.run(["status"] + fleet.admin).stdout.contains("status:            pending"))

            // The admin's pending enrollment is intact: its code confirms it, through a server role.
            let confirmed = try CLI.run(["confirm", "--code", try CLI.oathtool(secret)] + fleet.serverA)
            #expect(confirmed.status == 0, "\(confirmed.stderr)")
            let audit = try server.pg(["psql", server.directory, "twofa_admin", "-At", "-c",
                                       "SELECT server || ' ' || service || ' ' || result FROM swift2fa.audit ORDER BY id"]).output
            #expect(audit.contains("twofa_admin begin-pending pending") && audit.contains("server_a confirm enrolled"), "\(audit)")
            #expect(fleet.store.snapshot().isEmpty)
        }
    }

    @Test("credentials in fleet mode: enroll --add of a HOTP token, list, rename, remove (never the last), status lists them")
    func credentialsInTheFleet() throws {
        try FleetServer.with { server in
            let fleet = try Self.setup(server)
            defer { fleet.remove() }
            let started = try CLI.run(["enroll", "--pending", "--json", "--label", "phone"] + fleet.admin)
            #expect(started.status == 0, "\(started.stderr)")
            let secret = try #require(try started.json()["secret"] as? String)
            #expect(try CLI.run(["confirm", "--code", try CLI.oathtool(secret)] + fleet.admin).status == 0)
            let hotpHex = CredentialsCommandTests.hotpHex
            let code0 = try OathTool.hotp(hex: hotpHex, counter: 0)
            let added = try CLI.run(["enroll", "--add", "--label", "token", "--hotp", "--seed-stdin", "--code", code0] + fleet.admin,
                                    input: hotpHex)
            #expect(added.status == 0, "\(added.stderr)")
            let byServer = try CLI.run(["credentials", "list"] + fleet.serverA)
            #expect(byServer.status == 74, "a server role may not list credentials: \(byServer.stderr)")

            let listed = try CLI.run(["credentials", "list", "--json"] + fleet.admin)
            #expect(listed.status == 0, "\(listed.stderr)")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
            #expect(rows.map { $0["label"] as? String } == ["phone", "token"] && rows.map { $0["kind"] as? String } == ["TOTP", "HOTP"],
                    "\(listed.stdout)")
            let login = try CLI.run(["verify", "--code", try OathTool.hotp(hex: hotpHex, counter: 1)] + fleet.serverA)
            #expect(login.status == 0, "the token's next code logs in: \(login.stderr)")

            #expect(try CLI.run(["credentials", "rename", "2", "yubikey"] + fleet.admin).status == 0)
            #expect(try CLI.run(["credentials", "rename", "2", "phone"] + fleet.admin).status == 64, "labels are unique")
            let removed = try CLI.run(["credentials", "remove", "phone"] + fleet.admin)
            #expect(removed.status == 0 && removed.stdout.contains("removed credential 1 (phone)"), "\(removed.stderr)")
            let last = try CLI.run(["credentials", "remove", "yubikey"] + fleet.admin)
            #expect(last.status == 64 && last.stderr.contains("disable"), "\(last.stderr)")
            let status = try CLI.run(["status", "--json"] + fleet.admin)
            let credentials = try #require(try status.json()["credentials"] as? [[String: Any]], "\(status.stdout)")
            #expect(credentials.map { $0["label"] as? String } == ["yubikey"], "\(status.stdout)")
            #expect(fleet.store.snapshot().isEmpty, "the store is never written in fleet mode")
        }
    }

    @Test("db grant-server refuses PUBLIC and the admin role's members; db status lists the rights")
    func grantServerRefusals() throws {
        try FleetServer.with { server in
            let fleet = try Self.setup(server)
            defer { fleet.remove() }
            _ = try server.pg(["psql", server.directory, "postgres", "-c",
                               "CREATE ROLE deputy LOGIN IN ROLE twofa_admin; CREATE ROLE web9 LOGIN"])
            for role in ["PUBLIC", "public", "twofa_admin", "deputy"] {
                let result = try CLI.run(["db", "grant-server", role, "--enroll", "--config", fleet.admin[1]])
                #expect(result.status == 64 && result.hasOneErrorLine, "\(role): \(result.stderr)")
                #expect(result.stderr.contains("cannot go to PUBLIC") || result.stderr.contains("admin role, a member of it"),
                        "\(result.stderr)")
            }
            let granted = try CLI.run(["db", "grant-server", "web9", "--enroll", "--config", fleet.admin[1]])
            #expect(granted.status == 0 && granted.stdout == "granted the server rights to web9; enrollment at login: yes; self-service: no (add --self-service to allow it)\n",
                    "\(granted.stdout)\(granted.stderr)")
            var status = try CLI.run(["db", "status", "--config", fleet.admin[1]])
            #expect(status.stdout.contains("server roles:      server_a (enroll), server_b, web9 (enroll)\n"), "\(status.stdout)")
            #expect(status.stdout.contains("who may connect:   the admin and the roles granted CONNECT"))
            #expect(try CLI.run(["db", "revoke-server", "web9", "--config", fleet.admin[1]]).status == 0)
            status = try CLI.run(["db", "status", "--config", fleet.admin[1]])
            #expect(status.stdout.contains("server roles:      server_a (enroll), server_b\n"), "\(status.stdout)")
            let asServer = try CLI.run(["db", "status", "--config", fleet.serverA[1]])
            #expect(asServer.stdout.contains("role:              server_a\n") && !asServer.stdout.contains("server roles:"),
                    "only the admin sees the rights: \(asServer.stdout)")
        }
    }

    @Test("the database stopped: the command fails with exit status 74 and database-unavailable")
    func outage() throws {
        try FleetServer.with { server in
            let fleet = try Self.setup(server)
            defer { fleet.remove() }
            try server.halt()
            let result = try CLI.run(["verify", "--code", "123456"] + fleet.serverA)
            #expect(result.status == 74 && result.stderr.contains("database-unavailable"), "\(result.stderr)")
        }
    }

    @Test("import --pam-oath and --pskc in fleet mode: HOTP and TOTP credentials with their counters and used steps go to the database, nothing to the store")
    func importPamOathAndPSKCIntoTheFleet() throws {
        try FleetServer.with { server in
            let fleet = try Self.setup(server)
            defer { fleet.remove() }
            awayFromStepBoundary()
            // root: a HOTP key at counter 3 and an 8-digit TOTP key whose current code pam_oath accepted.
            let hotp = "3132333435363738393031323334353637383930"
            let totp = "4c65616b79207365637265742031323334353637"
            let now = AuthenticatorApp.now()
            let used = try CLI.oathtool(try CLI.base32(hex: totp), at: now, digits: 8)
            let stamp = DateFormatter()
            stamp.locale = Locale(identifier: "en_US_POSIX")
            stamp.timeZone = TimeZone.current
            stamp.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'L'"
            let users = fleet.store.privateFile("users.oath", contents: Data("""
                HOTP\troot\t-\t\(hotp)\t3
                HOTP/T30/8\troot\t-\t\(totp)\t0\t\(used)\t\(stamp.string(from: Date(timeIntervalSince1970: TimeInterval(now))))

                """.utf8))
            defer { unlink(users) }
            #expect(try CLI.run(["import", "--pam-oath", users] + fleet.serverA).status == 74, "a server role may not import")
            let imported = try CLI.run(["import", "--json", "--pam-oath", users] + fleet.admin)
            try #require(imported.status == 0, "\(imported.stderr)")
            #expect(try CLI.verifyResult(try OathTool.hotp(hex: hotp, counter: 2), fleet.serverA) == "rejected")
            #expect(try CLI.verifyResult(try OathTool.hotp(hex: hotp, counter: 3), fleet.serverA) == "accepted-hotp")
            #expect(try CLI.verifyResult(used, fleet.serverA) == "replayed", "pam_oath's used step stays used")
            #expect(try CLI.verifyResult(try CLI.oathtool(try CLI.base32(hex: totp), at: now + 30, digits: 8), fleet.serverA)
                    == "accepted-totp")

            // PSKC (python-pskc's plain file: four keys) added to that enrollment.
            let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/pskc/plain.pskcxml")
            let pskc = fleet.store.privateFile("plain.pskcxml", contents: try Data(contentsOf: fixture))
            defer { unlink(pskc) }
            let added = try CLI.run(["import", "--add", "--pskc", pskc] + fleet.admin)
            #expect(added.status == 0, "\(added.stderr)")
            let status = try CLI.run(["status", "--json"] + fleet.admin)
            let credentials = try #require(try status.json()["credentials"] as? [[String: Any]])
            #expect(credentials.map { $0["label"] as? String }
                    == ["oath-line-1", "oath-line-2", "987654321", "TOTP-256", "totp-sha1", "hotp-sha512"])
            #expect(try CLI.verifyResult(try OathTool.hotp(hex: hotp, counter: 42, digits: 8), fleet.serverA) == "accepted-hotp")
            #expect(fleet.store.snapshot().isEmpty, "the store is never written in fleet mode")
        }
    }
}
