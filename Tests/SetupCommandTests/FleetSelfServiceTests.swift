import Foundation
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

/// The self-service socket in fleet mode, through the real socket as `nobody`: `serve-user`
/// acts with a server role (server_a of Tests/fleet/pg.sh) through the database's self_*
/// functions, in a session the user's code opened there, and never writes the store.
@Suite(.requiresRoot("serve-user runs as root, the client as nobody through setpriv"), .requiresPostgreSQL,
       .requiresOathtool, .serialized)
struct FleetSelfServiceTests {
    /// The fleet, the socket served with server_a's rights, and the admin's arguments for nobody.
    struct Setup {
        let server: FleetServer
        let socket: SelfServiceServer
        let adminConfig: String
        var admin: [String] { ["--config", adminConfig, "--store", socket.temp.path, "--user", "nobody"] }

        init(_ server: FleetServer, grant: [String] = ["--self-service"]) throws {
            self.server = server
            func conninfo(_ role: String) throws -> String {
                try server.pg(["conninfo", server.directory, role]).output.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            adminConfig = "\(server.directory).admin.conf"
            try "database = \(try conninfo("twofa_admin"))\n".write(toFile: adminConfig, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: adminConfig)
            let granted = try CLI.run(["db", "grant-server", "server_a"] + grant + ["--config", adminConfig])
            try #require(granted.status == 0, "\(granted.stderr)")
            socket = try SelfServiceServer(configuration: "database = \(try conninfo("server_a"))\n")
        }

        /// Enrolls nobody as the admin; the secret and the backup codes.
        func enroll() throws -> (secret: String, backupCodes: [String]) {
            let started = try CLI.run(["enroll", "--pending", "--json"] + admin)
            try #require(started.status == 0, "\(started.stderr)")
            let secret = try #require(try started.json()["secret"] as? String)
            let confirmed = try CLI.run(["confirm", "--json", "--code", try CLI.oathtool(secret)] + admin)
            try #require(confirmed.status == 0, "\(confirmed.stderr)")
            return (secret, try #require(try confirmed.json()["backup_codes"] as? [String]))
        }

        /// The admin's `status --json` of nobody.
        func status() throws -> [String: Any] { try CLI.run(["status", "--json"] + admin).json() }

        /// One value of `sql` run by server_a, or its error.
        func serverSQL(_ sql: String) throws -> String {
            try server.pg(["psql", server.directory, "server_a", "-At", "-c", sql]).output
        }

        func remove() { unlink(adminConfig) }
    }

    @Test func everyOperationGoesThroughTheDatabaseInTheUsersSession() throws {
        try FleetServer.with { server in
            let fleet = try Setup(server)
            defer { fleet.remove() }
            let (secret, backupCodes) = try fleet.enroll()
            awayFromStepBoundary()

            // status with the next step's code: the admin's own output; the code is used as at a login.
            let nextStep = (AuthenticatorApp.now() + 30) / 30
            let next = try CLI.oathtool(secret, at: nextStep * 30)
            let viaSocket = try fleet.socket.client(["status"], input: next + "\n")
            try #require(viaSocket.status == 0, "\(viaSocket.stderr)")
            let direct = try CLI.run(["status"] + fleet.admin)
            #expect(viaSocket.stdout == direct.stdout)
            #expect(try fleet.socket.client(["status", "--code", next]).status == 1, "the code is used up")
            #expect(try fleet.status()["failures"] as? Int == 1, "the replayed code counts as a login's would")

            // A backup code opens a session (used up in the database).
            let count = try fleet.socket.client(["backup-codes", "--json", "--code", backupCodes[0]])
            #expect(count.status == 0, "\(count.stderr)")
            #expect(try count.json()["backup_codes_left"] as? Int == 9)
            let session = try #require(try count.json()["session"] as? String)
            #expect(try fleet.status()["failures"] as? Int == 0)

            // The session is the user's only: the database refuses it for another user.
            let other = try fleet.serverSQL("SELECT count(*) FROM swift2fa.self_credentials('daemon', '\(session)')")
            #expect(other.contains("S2F03") || other.contains("no open self-service session"), "\(other)")
            let own = try fleet.serverSQL("SELECT count(*) FROM swift2fa.self_credentials('nobody', '\(session)')")
            #expect(own.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "\(own)")

            // A device added and confirmed with its own code.
            let added = try fleet.socket.client(["enroll", "--add", "--pending", "--json", "--label", "phone2", "--session", session])
            #expect(added.status == 0, "\(added.stderr)")
            let newSecret = try #require(try added.json()["secret"] as? String)
            #expect(try fleet.socket.client(["confirm", "--code", "000000"]).status == 1)
            // The code on standard input, as the Cockpit page gives it (never on a command line).
            let confirmed = try fleet.socket.client(["confirm", "--json"], input: try CLI.oathtool(newSecret) + "\n")
            #expect(confirmed.status == 0, "\(confirmed.stderr)")
            #expect(try confirmed.json()["credential"] as? String == "phone2")

            // credentials list, rename, remove; never the last one.
            let list = try fleet.socket.client(["credentials", "list", "--json", "--session", session])
            #expect(list.status == 0, "\(list.stderr)")
            #expect(list.stdout == (try CLI.run(["credentials", "list", "--json"] + fleet.admin)).stdout)
            #expect(list.stdout.contains("\"phone2\""))
            let renamed = try fleet.socket.client(["credentials", "rename", "phone2", "phone-b", "--session", session])
            #expect(renamed.status == 0 && renamed.stdout == "credential 2 of nobody is now labelled phone-b\n", "\(renamed.stderr)")
            let removed = try fleet.socket.client(["credentials", "remove", "phone-b", "--session", session])
            #expect(removed.status == 0 && removed.stdout == "removed credential 2 (phone-b) of nobody\n", "\(removed.stderr)")
            let last = try fleet.socket.client(["credentials", "remove", "default", "--session", session])
            #expect(last.status == 64 && last.hasOneErrorLine, "\(last.stderr)")

            // New backup codes; the old ones stop working.
            let regenerated = try fleet.socket.client(["backup-codes", "--regenerate", "--json", "--session", session])
            #expect(regenerated.status == 0, "\(regenerated.stderr)")
            #expect((try regenerated.json()["backup_codes"] as? [String])?.count == 10)
            #expect(try fleet.socket.client(["status", "--code", backupCodes[1]]).status == 1)

            // A new phone: pending until its code; the old one works until then.
            let replacing = try fleet.socket.client(["enroll", "--force", "--pending", "--json", "--session", session])
            #expect(replacing.status == 0, "\(replacing.stderr)")
            let phoneSecret = try #require(try replacing.json()["secret"] as? String)
            // The old phone's next unused code: a step after the one `status` used.
            while AuthenticatorApp.now() / 30 < nextStep { usleep(200_000) }
            awayFromStepBoundary()
            let oldCode = try CLI.oathtool(secret, at: AuthenticatorApp.now() + 30)
            #expect(try fleet.socket.client(["status", "--code", oldCode]).status == 0, "the old phone still works")
            let replaced = try fleet.socket.client(["confirm", "--json", "--code", try CLI.oathtool(phoneSecret)])
            #expect(replaced.status == 0, "\(replaced.stderr)")
            #expect((try replaced.json()["backup_codes"] as? [String])?.count == 10)
            let newPhone = try CLI.oathtool(phoneSecret, at: AuthenticatorApp.now() + 30)
            #expect(try CLI.run(["verify", "--code", newPhone] + fleet.admin).status == 0, "the new phone's code logs in")
            let oldPhone = try CLI.oathtool(secret, at: AuthenticatorApp.now() + 90)
            #expect(try CLI.run(["verify", "--code", oldPhone] + fleet.admin).status == 1, "the old phone's does not")
            #expect(fleet.socket.temp.snapshot().isEmpty, "the store is never written in fleet mode")
        }
    }

    @Test func aServerWithoutTheRightOrASessionChangesNothing() throws {
        try FleetServer.with { server in
            let fleet = try Setup(server, grant: ["--enroll"])
            defer { fleet.remove() }
            let (secret, _) = try fleet.enroll()
            awayFromStepBoundary()
            let refused = try fleet.socket.client(["status", "--code", try CLI.oathtool(secret, at: AuthenticatorApp.now() + 30)])
            #expect(refused.status == 74 && refused.hasOneErrorLine, "without --self-service: \(refused.stderr)")
            #expect(try fleet.status()["failures"] as? Int == 0, "nothing was checked")

            let granted = try CLI.run(["db", "grant-server", "server_a", "--self-service", "--config", fleet.adminConfig])
            try #require(granted.status == 0, "\(granted.stderr)")
            // A token the database never opened: every change refused, nothing written.
            let forged = String(repeating: "ab", count: 32)
            for sql in ["SELECT swift2fa.self_regenerate_backup_codes('nobody', ARRAY['abcde-fghjk'], '\(forged)')",
                        "SELECT * FROM swift2fa.self_remove_credential('nobody', 'default', '\(forged)')",
                        "SELECT * FROM swift2fa.self_status('nobody', '\(forged)')",
                        "SELECT swift2fa.self_begin_pending('nobody', '\\x3132333435363738393031323334353637383930'::bytea, 'x', 'TOTP', 'SHA1', 6, 30, NULL, true, '\(forged)')"] {
                let answer = try fleet.serverSQL(sql)
                #expect(answer.contains("S2F03") || answer.contains("no open self-service session")
                        || answer.contains("needs an open self-service session") || answer.contains("only the admin role"), "\(sql): \(answer)")
            }
            // Setting the transaction's token by hand gives nothing either.
            let byHand = try fleet.serverSQL("SET swift2fa.self_token = '\(forged)'; SELECT * FROM swift2fa.self_credentials('nobody', '\(forged)')")
            #expect(byHand.contains("no open self-service session"), "\(byHand)")
            // A pending credential the user did not start through self-service cannot be confirmed there.
            #expect(try fleet.serverSQL("SELECT swift2fa.self_confirm_pending('nobody', '123456', ARRAY['abcde-fghjk'], '\(forged)', 300)")
                    .hasPrefix("not-pending"))
            let status = try fleet.status()
            #expect(status["backup_codes_left"] as? Int == 10)
            #expect((try CLI.run(["credentials", "list", "--json"] + fleet.admin)).stdout.contains("\"default\""))
        }
    }
}
