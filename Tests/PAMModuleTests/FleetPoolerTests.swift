import Foundation
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

extension ModuleThroughLibPAM {
/// The login process's own protocol client against the pooler: one connection per login,
/// a pooler directory others could write to, a fake pooler that lies, a PgBouncer restarted
/// during logins, and a failover behind PgBouncer. Through real libpam and the built module.
@Suite("Fleet logins through the pooler")
struct FleetPoolerTests {
    /// Runs one login with the driver under strace and counts the connections the login
    /// process opened to a pooler socket (PgBouncer, configured as in production, does not
    /// log connections).
    static func tracedLogin(_ harness: PAMHarness, _ user: String, service: String,
                            answers: [String]) throws -> (run: PAMRun, connections: Int) {
        let trace = harness.root.appendingPathComponent("connect-\(UUID().uuidString).trace").path
        defer { unlink(trace) }
        var environment = harness.driverEnvironment(items: [:])
        let preload = environment.removeValue(forKey: "LD_PRELOAD") ?? ""
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/strace")
        process.arguments = ["-f", "-qq", "-e", "trace=connect", "-o", trace, "-E", "LD_PRELOAD=\(preload)",
                             PAMHarness.driverPath, service, user] + answers
        process.environment = environment
        let login = RunningLogin(process: process)
        try process.run()
        let run = login.wait()
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        return (run, lines.filter { $0.contains("connect(") && $0.contains(".s.PGSQL.\(Pooler.port)") }.count)
    }

    @Test("one pooler connection per login, also with nullok, split_answer and enroll")
    func oneConnectionPerLogin() throws {
        let harness = try PAMHarness()
        try FleetServer.with { server in
            let secret = try FleetLoginTests.twoServers(harness, server)
            let config = harness.root.appendingPathComponent("a.conf").path
            try harness.service([harness.moduleLine("config=\(config) nullok")], name: "nullok")
            try harness.service([harness.moduleLine("config=\(config) enroll")], name: "enroll")
            try harness.service([harness.moduleLine("config=\(config) split_answer"),
                                 harness.moduleLine("config=\(config) use_first_pass")], name: "split")
            PAMHarness.waitForFreshStep(margin: 8)
            let wrong = AuthenticatorApp.code(secret, offset: 20)
            let logins: [(service: String, answer: String, outcome: String, connections: Int)] = [
                ("a", AuthenticatorApp.code(secret, offset: -1), "accepted-totp", 1),
                ("nullok", AuthenticatorApp.code(secret), "accepted-totp", 1),
                // Two module instances: the splitting one asks for the digits and hands its
                // idle connection on; the other verifies on it.
                ("split", "pw" + AuthenticatorApp.code(secret, offset: 1), "accepted-totp", 1),
                ("enroll", wrong, "rejected", 1),
                ("split", "pw" + wrong, "rejected", 1),
            ]
            for login in logins {
                let (run, connections) = try Self.tracedLogin(harness, "root", service: login.service, answers: [login.answer])
                #expect(run.outcome == login.outcome, "\(login.service): \(run.stderr)")
                #expect(connections == login.connections, "\(login.service): one connection per login")
            }
            // Not enrolled: nullok asks the database once and ignores the module.
            let (nobody, connections) = try Self.tracedLogin(harness, "nobody", service: "nullok", answers: [])
            // The module ignores itself (PAM_IGNORE); alone in the stack, libpam then refuses.
            #expect(nobody.result != PAM.success && nobody.outcome == "not-enrolled", "\(nobody.stderr)")
            #expect(nobody.attemptLine?.contains("nullok") == true)
            #expect(connections == 1)
        }
    }

    @Test("a pooler directory others may write to, or a symbolic link, is refused before connecting")
    func poolerDirectoryChecks() throws {
        let harness = try PAMHarness()
        try FleetServer.with { server in
            let secret = try FleetLoginTests.twoServers(harness, server)
            let directory = try server.pooler()
            let link = harness.root.appendingPathComponent("pooler-link").path
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: directory)
            let linked = try FleetLoginTests.writeConfig(harness, "link", conninfo: server.conninfo("server_a"), pooler: link)
            try harness.service([harness.moduleLine("config=\(linked)")], name: "link")
            PAMHarness.waitForFreshStep()
            let viaLink = try harness.authenticate("root", service: "link", answers: [AuthenticatorApp.code(secret)])
            #expect(viaLink.outcome == "database-unavailable" && viaLink.attemptLine?.contains("symbolic link") == true,
                    "\(viaLink.stderr)")

            #expect(chmod(directory, 0o770) == 0)
            let writable = try harness.authenticate("root", service: "a", answers: [AuthenticatorApp.code(secret)])
            #expect(writable.outcome == "database-unavailable" && writable.attemptLine?.contains("writable by others") == true,
                    "\(writable.stderr)")
            #expect(chmod(directory, 0o700) == 0)
            let fine = try harness.authenticate("root", service: "a", answers: [AuthenticatorApp.code(secret)])
            #expect(fine.result == PAM.success && fine.outcome == "accepted-totp", "the same login once the mode is right: \(fine.stderr)")
        }
    }

    @Test("a fake pooler that sends truncated, oversized, out-of-order or lying messages: database-unavailable every time")
    func lyingPooler() throws {
        let harness = try PAMHarness()
        let directory = harness.root.appendingPathComponent("fake-pooler").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        let config = try FleetLoginTests.writeConfig(harness, "fake", conninfo: "host=/nonexistent dbname=x",
                                                     pooler: directory, timeout: 1)
        try harness.service([harness.moduleLine("config=\(config)")])
        let lies = ["password", "md5", "sasl", "ready-before-auth", "startup-garbage", "short-length", "truncated",
                    "huge-length", "oversized", "row-before-ready-then-close", "row-before-ready-then-silence",
                    "row-before-parse", "wrong-width", "negative-length", "not-utf8", "open-transaction", "two-answers",
                    "error-then-row", "notification", "copy", "silence"]
        // The first and the last connection are honest: the fake's protocol is right, so
        // each refusal is the lie's doing.
        let scenarios = ["honest"] + lies + ["honest"]
        let fake = try FakePooler(["--unix", Pooler.socketPath(in: directory)] + scenarios,
                                  log: harness.root.appendingPathComponent("fake.log").path)
        defer { fake.stop() }

        for (index, scenario) in scenarios.enumerated() {
            let start = Date()
            let run = try harness.authenticate("root", answers: ["123456"])
            let honest = index == 0 || index == scenarios.count - 1
            if honest {
                #expect(run.result == PAM.success && run.outcome == "accepted-totp", "honest fake: \(run.stderr)")
            } else {
                #expect(run.result == PAM.authInfoUnavailable && run.outcome == "database-unavailable",
                        "\(scenario): \(run.attemptLine ?? run.stderr)")
            }
            #expect(Date().timeIntervalSince(start) < 2.5, "\(scenario): within the 1 s timeout")
        }
        fake.stop()
        let seen = fake.seen
        // (The silent scenarios' lines may be missing: the fake was stopped in their pause.)
        let lines = seen.split(separator: "\n")
        for request in ["password", "md5", "sasl"] {
            #expect(lines.contains { $0 == "\(request): startup" }, "a credential request is never answered: \(seen)")
        }
        #expect(seen.contains("honest: startup P B D E S X"), "the honest session ends with Terminate: \(seen)")
    }

    @Test("PG* variables, LANGUAGE and LC_ALL pointing at a fake server change nothing: same results, same log words")
    func hostileEnvironment() throws {
        let harness = try PAMHarness()
        try FleetServer.with { server in
            let secret = try FleetLoginTests.twoServers(harness, server)
            let evil = harness.root.appendingPathComponent("evil").path
            try FileManager.default.createDirectory(atPath: evil, withIntermediateDirectories: false)
            let port = try String(contentsOfFile: server.directory + "/port", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let fake = try FakePooler(["--tcp", "127.0.0.2:\(port)", "--unix", "\(evil)/.s.PGSQL.\(port)",
                                       "--unix", "\(evil)/.s.PGSQL.6432", "--unix", "\(evil)/.s.PGSQL.5432", "honest"],
                                      log: harness.root.appendingPathComponent("fake.log").path)
            defer { fake.stop() }
            try "[evil]\nhost=127.0.0.2\nport=\(port)\ndbname=twofa\n".write(toFile: "\(evil)/pg_service.conf", atomically: true, encoding: .utf8)
            let hostile = ["PGHOSTADDR": "127.0.0.2", "PGHOST": evil, "PGPORT": port, "PGSERVICEFILE": "\(evil)/pg_service.conf",
                           "PGSERVICE": "evil", "PGSSLMODE": "disable", "PGSSLROOTCERT": "\(evil)/root.crt",
                           "PGPASSFILE": "\(evil)/pgpass", "PGOPTIONS": "-c search_path=evil", "PGLOCALEDIR": "\(evil)/locale",
                           "LANGUAGE": "xx", "LC_ALL": "\(evil)/locale", "PGDATABASE": "twofa", "PGUSER": "server_a"]
            PAMHarness.waitForFreshStep(margin: 10)
            var words: [String: [String]] = [:]
            for (name, environment) in [("clean", [String: String]()), ("hostile", hostile)] {
                let offset: Int64 = name == "clean" ? 0 : 1
                let wrong = try harness.authenticate("root", service: "a", answers: [AuthenticatorApp.code(secret, offset: 20)],
                                                     items: environment)
                let right = try harness.authenticate("root", service: "a", answers: [AuthenticatorApp.code(secret, offset: offset)],
                                                     items: environment)
                words[name] = [wrong.outcome ?? "none", right.outcome ?? "none", "\(wrong.result)", "\(right.result)"]
            }
            #expect(words["clean"] == ["rejected", "accepted-totp", "\(PAM.authError)", "\(PAM.success)"], "\(words)")
            #expect(words["hostile"] == words["clean"], "\(words)")
            let seen = fake.seen
            #expect(seen.isEmpty, "the fake server was never contacted: \(seen)")
        }
    }

    @Test("PgBouncer restarted during a stream of logins: refused while down, nothing accepted the database did not, recovery after")
    func poolerRestart() throws {
        let harness = try PAMHarness()
        try FleetServer.with { server in
            let secret = try FleetLoginTests.twoServers(harness, server, timeout: 1)
            let admin = try server.store("twofa_admin")
            try admin.setSetting("throttle_after", to: 100)
            try admin.setSetting("lock_after", to: 100)
            PAMHarness.waitForFreshStep(margin: 15)
            let wrong = AuthenticatorApp.code(secret, offset: 20)
            // A stream of wrong answers in parallel while PgBouncer is killed and started again.
            var runs: [PAMRun] = []
            for round in 0..<3 {
                let running = try (0..<6).map { _ in try harness.launch("root", service: "a", answers: [wrong]) }
                if round == 1 {
                    try server.stopPooler()
                    let down = try harness.authenticate("root", service: "a", answers: [AuthenticatorApp.code(secret)])
                    #expect(down.result == PAM.authInfoUnavailable && down.outcome == "database-unavailable", "\(down.stderr)")
                    runs.append(down)
                    try server.pooler()
                }
                runs += running.map { $0.wait() }.filter { !$0.wrapperFailed }
            }
            #expect(runs.allSatisfy { $0.outcome == "rejected" || $0.outcome == "database-unavailable" },
                    "\(runs.compactMap(\.outcome))")
            #expect(!runs.contains { $0.result == PAM.success })
            let rejected = runs.filter { $0.outcome == "rejected" }.count
            let audited = try server.pg(["psql", server.directory, "twofa_admin", "-At", "-c",
                                         "SELECT count(*) FROM swift2fa.audit WHERE result = 'rejected'"]).output
            // A call the database answered but whose answer PgBouncer's death cut off is
            // database-unavailable at the module, so the audit may hold more, never fewer.
            #expect((Int(audited.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1) >= rejected,
                    "every refusal the module logged as rejected is the database's: \(audited) vs \(rejected)")
            let accepted = try server.pg(["psql", server.directory, "twofa_admin", "-At", "-c",
                                          "SELECT count(*) FROM swift2fa.audit WHERE result LIKE 'accepted%'"]).output
            #expect(accepted.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "nothing accepted during the stream")
            let after = try harness.authenticate("root", service: "a", answers: [AuthenticatorApp.code(secret)])
            #expect(after.result == PAM.success && after.outcome == "accepted-totp", "recovered: \(after.stderr)")
        }
    }

    @Test("failover to a synchronous standby behind PgBouncer: a code used before stays replayed")
    func failoverBehindPooler() throws {
        let harness = try PAMHarness()
        try FleetServer.with { server in
            let secret = try FleetLoginTests.twoServers(harness, server, timeout: 1)
            let standby = try server.pg(["standby", server.directory])
            #expect(standby.status == 0, "\(standby.output)")
            // A pooler that points at the (read-only) standby refuses: database-unavailable.
            let readOnly = try FleetLoginTests.writeConfig(harness, "standby", conninfo: server.conninfo("server_a"),
                                                           pooler: server.pooler("server_a", upstream: "standby", name: "standby"))
            try harness.service([harness.moduleLine("config=\(readOnly)")], name: "standby")
            PAMHarness.waitForFreshStep(margin: 10)
            let code = AuthenticatorApp.code(secret)
            let onStandby = try harness.authenticate("root", service: "standby", answers: [code])
            #expect(onStandby.result == PAM.authInfoUnavailable && onStandby.outcome == "database-unavailable",
                    "\(onStandby.stderr)")

            let first = try harness.authenticate("root", service: "a", answers: [code])
            #expect(first.result == PAM.success && first.outcome == "accepted-totp", "\(first.stderr)")
            _ = try server.pg(["kill", server.directory])
            let down = try harness.authenticate("root", service: "a", answers: [code])
            #expect(down.result == PAM.authInfoUnavailable && down.outcome == "database-unavailable", "\(down.stderr)")
            _ = try server.pg(["promote", server.directory])
            // Repoint server A's pooler at the promoted node (same socket directory).
            try server.pooler("server_a", upstream: "standby")
            let replayed = try harness.authenticate("root", service: "a", answers: [code])
            #expect(replayed.result == PAM.authError && replayed.outcome == "replayed", "\(replayed.stderr)")
            let next = try harness.authenticate("root", service: "a", answers: [AuthenticatorApp.code(secret, offset: 1)])
            #expect(next.result == PAM.success && next.outcome == "accepted-totp", "\(next.stderr)")
        }
    }
}
}
