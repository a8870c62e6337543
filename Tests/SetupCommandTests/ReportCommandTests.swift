import Foundation
import TestSupport
import Testing
import TwoFactorCore

/// `report`, `pam require` and `pam allow-unenrolled` over accounts made by the test: private
/// /etc/passwd, /etc/shadow and /etc/group bound over the real ones in a private mount
/// namespace for each run of the command (the host's files and /etc/pam.d are never touched),
/// with the file store and with the fleet.
@Suite(.serialized, .requiresRoot("private /etc/passwd, shadow and group are bound in a private mount namespace"),
       .requires("/usr/bin/unshare", package: "util-linux"), .requiresOathtool)
struct ReportCommandTests {
    /// One account of the private name service.
    struct Account {
        let name: String
        var shell = "/bin/bash"
        var hash = "$6$saltsalt$hashhashhash"
        var keys = false
        /// The shadow expiry day (1 = long ago); nil when it never expires.
        var expiresOnDay: Int?
    }

    /// The private accounts, their homes, a store and a PAM directory with `sshd`.
    final class World {
        let directory: TemporaryDirectory
        let store: TempStore
        var pamDir: String { directory.file("pam.d") }
        static let sshdFile = "#%PAM-1.0\n@include common-auth\n# second factor\nauth\trequired   pam_swift2fa.so nullok  exempt_group=admins exempt_network=192.0.2.0/24 # keep\naccount include common-account\n"

        init(_ accounts: [Account]) throws {
            directory = try TemporaryDirectory("s2fa-report", mode: 0o755)
            store = try TempStore()
            var passwd = "root:x:0:0:root:\(directory.file("root")):/bin/bash\n"
            var shadow = "root:*:20000:0:99999:7:::\n"
            for (index, account) in accounts.enumerated() {
                let home = directory.file("home-\(account.name)")
                try FileManager.default.createDirectory(atPath: home + "/.ssh", withIntermediateDirectories: true)
                if account.keys {
                    try "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG8 \(account.name)\n"
                        .write(toFile: home + "/.ssh/authorized_keys", atomically: true, encoding: .utf8)
                }
                passwd += "\(account.name):x:\(30001 + index):30000::\(home):\(account.shell)\n"
                shadow += "\(account.name):\(account.hash):20000:0:99999:7::\(account.expiresOnDay.map(String.init) ?? ""):\n"
            }
            try directory.write(passwd, to: "passwd", mode: 0o644)
            try directory.write(shadow, to: "shadow", mode: 0o640)
            try directory.write("root:x:0:\ns2fa-users:x:30000:\nadmins:x:30100:frank\n", to: "group", mode: 0o644)
            try FileManager.default.createDirectory(atPath: pamDir, withIntermediateDirectories: false)
            try World.sshdFile.write(toFile: pamDir + "/sshd", atomically: true, encoding: .utf8)
        }

        /// The command with `arguments`, the private accounts bound over /etc's.
        func run(_ arguments: [String]) throws -> ProgramResult {
            let binds = ["passwd", "shadow", "group"].map { "mount --bind \(directory.file($0)) /etc/\($0)" }
            return try Program.run("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c",
                                                        binds.joined(separator: " && ") + " && exec \"$@\"",
                                                        "sh", CLI.binary] + arguments)
        }

        /// `report --json --service sshd` with `store`: the accounts by name.
        func report(_ store: [String], extra: [String] = []) throws -> [String: [String: Any]] {
            let result = try run(["report", "--json", "--service", "sshd", "--pam-dir", pamDir] + store + extra)
            try #require(result.status == 0, "report failed: \(result.stderr)")
            let accounts = try #require(try result.json()["accounts"] as? [[String: Any]])
            var byName: [String: [String: Any]] = [:]
            for account in accounts { byName[try #require(account["user"] as? String)] = account }
            #expect(byName.count == accounts.count, "each account once")
            return byName
        }

        /// Enrolls `user` (enroll --pending, then confirm with oathtool's code); returns the secret.
        func enroll(_ user: String, _ store: [String]) throws -> String {
            let started = try run(["enroll", "--pending", "--json", "--user", user] + store)
            try #require(started.status == 0, "enroll --pending failed: \(started.stderr)")
            let secret = try #require(try started.json()["secret"] as? String)
            let confirmed = try run(["confirm", "--code", try CLI.oathtool(secret), "--user", user] + store)
            try #require(confirmed.status == 0, "confirm failed: \(confirmed.stderr)")
            return secret
        }

        /// `pam SUBCOMMAND sshd --no-check --pam-dir …` with `store`.
        func pam(_ subcommand: String, _ store: [String], extra: [String] = []) throws -> ProgramResult {
            try run(["pam", subcommand, "sshd", "--no-check", "--pam-dir", pamDir] + store + extra)
        }

        var sshd: String? { directory.read("pam.d/sshd") }
    }

    /// alice: a password; bob: keys only (password locked); frank: a password, in admins
    /// (exempt_group); and four who cannot log in: a nologin shell, /bin/false, a locked
    /// password without keys, an expired account.
    static let accounts = [
        Account(name: "alice"),
        Account(name: "bob", hash: "!", keys: true),
        Account(name: "carol", shell: "/usr/sbin/nologin", keys: true),
        Account(name: "dan", shell: "/bin/false"),
        Account(name: "dave", hash: "!$6$saltsalt$hashhashhash"),
        Account(name: "erin", expiresOnDay: 1),
        Account(name: "frank"),
    ]

    @Test("report with the file store: who can log in, enrollment, credentials, throttling, backup codes, last login with a code, exemption")
    func reportWithFiles() throws {
        let world = try World(Self.accounts)
        let store = ["--store", world.store.path]
        var report = try world.report(store)
        #expect(report.keys.sorted() == ["alice", "bob", "frank"])
        #expect(report["bob"]?["login_with"] as? [String] == ["keys"])
        #expect(report["alice"]?["login_with"] as? [String] == ["password"])
        #expect(report["alice"]?["status"] as? String == "not enrolled")
        #expect(report["alice"]?["credentials"] is NSNull)
        #expect(report["frank"]?["exempt"] as? String == "member of exempt_group admins")
        #expect(report["alice"]?["exempt"] is NSNull)
        #expect(report["alice"]?["needs_enrollment"] as? Bool == true)
        #expect(report["frank"]?["needs_enrollment"] as? Bool == false)

        let secret = try world.enroll("alice", store)
        report = try world.report(store)
        #expect(report["alice"]?["status"] as? String == "enrolled")
        #expect(report["alice"]?["credentials"] as? Int == 1)
        #expect(report["alice"]?["backup_codes_left"] as? Int == 10)
        #expect(report["alice"]?["last_accepted"] is NSNull, "no login yet")
        let before = Date().addingTimeInterval(-2)
        let code = try CLI.oathtool(secret, at: AuthenticatorApp.now() + 30)
        let verified = try world.run(["verify", "--code", code, "--user", "alice"] + store)
        try #require(verified.status == 0, "\(verified.stderr)")
        for _ in 0..<3 { _ = try world.run(["verify", "--code", "000000", "--user", "alice"] + store) }
        report = try world.report(store)
        let last = try #require(report["alice"]?["last_accepted"] as? String)
        let when = try #require(ISO8601DateFormatter().date(from: last))
        #expect(when >= before && when <= Date().addingTimeInterval(2), "\(last)")
        #expect(report["alice"]?["throttled_until"] is String, "three wrong codes throttle")
        #expect(report["alice"]?["locked"] as? Bool == false)
        let state = try world.run(["state", "--user", "alice"] + store)
        #expect(state.status == 0 && state.stdout.hasPrefix("version 2\n") && state.stdout.contains("last_accepted "),
                "\(state.stdout)\(state.stderr)")

        let text = try world.run(["report", "--service", "sshd", "--pam-dir", world.pamDir] + store)
        #expect(text.status == 0)
        #expect(text.stdout.contains("exempt_network=192.0.2.0/24") && text.stdout.contains("cannot be told per account"),
                "\(text.stdout)")
        #expect(text.stdout.contains("3 accounts can log in: 1 enrolled, 1 exempt, 1 asked for a code but not enrolled"),
                "\(text.stdout)")
        let admins = try world.report(store, extra: ["--group", "admins"])
        #expect(admins.keys.sorted() == ["frank"])
        let unknown = try world.run(["report", "--group", "no-such-group"] + store)
        #expect(unknown.status == 64 && unknown.hasOneErrorLine, "\(unknown.stderr)")
        // Without --service there is no exemption.
        let plain = try world.run(["report", "--json"] + store)
        let rows = try #require(try plain.json()["accounts"] as? [[String: Any]])
        #expect(rows.allSatisfy { $0["exempt"] is NSNull } && rows.count == 3)
    }

    @Test("pam require (file store): refused while an account is unenrolled, accepted once it enrolls; allow-unenrolled puts nullok back; --force")
    func requireWithFiles() throws {
        let world = try World(Self.accounts)
        try Self.requireFlow(world, store: ["--store", world.store.path])
        #expect(world.store.snapshot().keys.contains("alice.secret"))

        // A service that does not ask for the code: refused before anyone is looked at.
        try "auth required pam_unix.so nullok\n".write(toFile: world.pamDir + "/login", atomically: true, encoding: .utf8)
        let notAsking = try world.run(["pam", "require", "login", "--no-check", "--pam-dir", world.pamDir,
                                       "--store", world.store.path])
        #expect(notAsking.status == 74 && notAsking.stderr.contains("pam enable login") && notAsking.stdout.isEmpty,
                "\(notAsking.stdout) \(notAsking.stderr)")
        #expect(world.directory.read("pam.d/login") == "auth required pam_unix.so nullok\n")
    }

    @Test("pam require tries the new stack with pamtester: an unenrolled account is now refused; a stack that would let one in is put back",
          .requires("/usr/bin/pamtester", package: "pamtester"))
    func requireTriesTheStack() throws {
        let world = try World([Account(name: "alice")])
        let store = ["--store", world.store.path]
        _ = try world.enroll("alice", store)
        let module = try InstalledModule()
        let asking = "auth requisite pam_unix.so\nauth required \(module.path) nullok store=\(world.store.path)\n"
        try world.directory.write(asking, to: "pam.d/s2fa-require", mode: 0o644)
        let enrolled = world.store.snapshot()
        let tried = try world.run(["pam", "require", "s2fa-require", "--pam-dir", world.pamDir] + store)
        #expect(tried.status == 0, "\(tried.stdout) \(tried.stderr)")
        #expect(tried.stdout.contains("trying the 's2fa-require' stack with pamtester"), "\(tried.stdout)")
        #expect(tried.stdout.contains("ok: a user who has not enrolled is refused (no nullok)"), "\(tried.stdout)")
        #expect(tried.stdout.contains("ok: an enrolled user with password and valid code logs in"), "\(tried.stdout)")
        #expect(!tried.stdout.contains("FAILED") && !tried.stdout.contains("--no-check"), "\(tried.stdout)")
        #expect(world.directory.read("pam.d/s2fa-require") == asking.replacingOccurrences(of: " nullok", with: ""))
        #expect(world.store.snapshot() == enrolled, "the try enrolled its throw-away user in a private store")

        // pam_permit ahead of the module lets anyone in once nullok is gone: the try sees an
        // unenrolled account accepted, and the file is put back as it was.
        let open = "auth sufficient pam_permit.so\nauth required \(module.path) nullok store=\(world.store.path)\n"
        try world.directory.write(open, to: "pam.d/s2fa-open", mode: 0o644)
        let failed = try world.run(["pam", "require", "s2fa-open", "--pam-dir", world.pamDir] + store)
        #expect(failed.status == 74, "\(failed.stdout) \(failed.stderr)")
        #expect(failed.stdout.contains("FAILED: a user who has not enrolled was accepted without nullok"), "\(failed.stdout)")
        #expect(failed.stdout.contains("restored") && failed.stderr.contains("the files are as they were"),
                "\(failed.stdout) \(failed.stderr)")
        #expect(world.directory.read("pam.d/s2fa-open") == open)
    }

    @Test("report and pam require with the fleet: the same body over the database, last login from the audit log",
          .requiresPostgreSQL)
    func fleet() throws {
        try FleetServer.with { server in
            let world = try World(Self.accounts)
            let admin = try Self.config(server, "twofa_admin", world)
            let serverA = try Self.config(server, "server_a", world)
            let secret = try world.enroll("alice", admin)
            var report = try world.report(admin)
            #expect(report["alice"]?["status"] as? String == "enrolled")
            #expect(report["alice"]?["credentials"] as? Int == 1)
            #expect(report["alice"]?["last_accepted"] is NSNull)
            let code = try CLI.oathtool(secret, at: AuthenticatorApp.now() + 30)
            let verified = try world.run(["verify", "--code", code, "--user", "alice"] + serverA)
            try #require(verified.status == 0, "\(verified.stderr)")
            report = try world.report(admin)
            #expect(report["alice"]?["last_accepted"] is String, "\(report["alice"] ?? [:])")
            #expect(report["bob"]?["status"] as? String == "not enrolled")
            let asServer = try world.run(["report", "--service", "sshd", "--pam-dir", world.pamDir] + serverA)
            #expect(asServer.status == 74 && asServer.hasOneErrorLine, "a server role may not read statuses: \(asServer.stderr)")
            let refused = try world.pam("require", admin)
            #expect(refused.status == 1 && refused.stdout.contains("not enrolled: bob"), "\(refused.stdout) \(refused.stderr)")
            _ = try world.enroll("bob", admin)
            let accepted = try world.pam("require", admin)
            #expect(accepted.status == 0, "\(accepted.stderr)")
            #expect(world.sshd?.contains("nullok") == false)
            #expect(world.store.snapshot().isEmpty, "the store is never written in fleet mode")
        }
    }

    /// `database = CONNINFO` for `role`, mode 0600, in the world's directory.
    static func config(_ server: FleetServer, _ role: String, _ world: World) throws -> [String] {
        let name = "\(role).conf"
        try world.directory.write("database = \(try server.conninfo(role))\n", to: name, mode: 0o600)
        return ["--config", world.directory.file(name), "--store", world.store.path]
    }

    /// alice and bob are asked and not enrolled, frank is exempt: refused, listing alice and
    /// bob only, and nothing changes; alice enrolls: still refused for bob; --force: nullok
    /// goes; allow-unenrolled restores the file byte for byte; bob enrolls: accepted.
    static func requireFlow(_ world: World, store: [String]) throws {
        let refused = try world.pam("require", store)
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stdout.contains("not enrolled: alice") && refused.stdout.contains("not enrolled: bob"), "\(refused.stdout)")
        #expect(!refused.stdout.contains("frank"), "an exempt account is out of scope")
        #expect(refused.hasOneErrorLine && refused.stderr.contains("nothing changed"), "\(refused.stderr)")
        #expect(world.sshd == World.sshdFile)

        _ = try world.enroll("alice", store)
        let stillRefused = try world.pam("require", store)
        #expect(stillRefused.status == 1 && !stillRefused.stdout.contains("alice") && stillRefused.stdout.contains("bob"),
                "\(stillRefused.stdout)")
        #expect(world.sshd == World.sshdFile)

        let forced = try world.pam("require", store, extra: ["--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        let without = World.sshdFile.replacingOccurrences(of: " nullok", with: "")
        #expect(world.sshd == without)
        #expect(world.directory.read("pam.d/sshd.swift-2fa.bak") == World.sshdFile)
        let again = try world.pam("require", store, extra: ["--force"])
        #expect(again.status == 0 && again.stdout.contains("already without nullok"), "\(again.stdout)")

        let allowed = try world.pam("allow-unenrolled", [])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(world.sshd == World.sshdFile.replacingOccurrences(of: " nullok  exempt_group=admins exempt_network=192.0.2.0/24 #",
                                                                  with: "  exempt_group=admins exempt_network=192.0.2.0/24 nullok #"))

        _ = try world.enroll("bob", store)
        let accepted = try world.pam("require", store)
        #expect(accepted.status == 0 && accepted.stdout.contains("removed nullok"), "\(accepted.stdout) \(accepted.stderr)")
        #expect(world.sshd?.contains("nullok") == false)
        #expect(world.sshd?.contains("exempt_group=admins exempt_network=192.0.2.0/24 # keep") == true)
    }
}
