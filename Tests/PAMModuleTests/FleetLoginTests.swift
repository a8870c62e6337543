import Foundation
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

extension ModuleThroughLibPAM {
/// Fleet mode through real libpam, the built module, a real PgBouncer and a real PostgreSQL
/// (Tests/fleet/pg.sh): two servers are two PAM services, each with its own configuration
/// file, pooler and database role. The module reaches the database only through the pooler.
@Suite("Fleet logins through libpam", .requiresPostgreSQL)
struct FleetLoginTests {
    /// A harness with services `a` and `b` (roles server_a and server_b) on `server`, and
    /// `root` enrolled by the admin role. Returns the secret.
    static func twoServers(_ harness: PAMHarness, _ server: FleetServer, moduleOptions: String = "",
                           timeout: Int = 3) throws -> [UInt8] {
        for (service, role) in [("a", "server_a"), ("b", "server_b")] {
            let config = try writeConfig(harness, service, conninfo: server.conninfo(role),
                                         pooler: server.pooler(role), timeout: timeout)
            try harness.service(["auth required \(PAMHarness.wrapperModules)/pam_set_items.so",
                                 harness.moduleLine("config=\(config) \(moduleOptions)")], name: service)
        }
        let secret = try #require(SecureRandom.bytes(20))
        try server.store("twofa_admin").enroll(user: "root", secret: secret, parameters: .standard, lastStep: 0,
                                               backupCodes: [], replace: false)
        return secret
    }

    /// Writes `NAME.conf` (mode 0600) in the harness: the conninfo (which only switches fleet
    /// mode on: the module never reads it), the pooler's directory and the timeout, then `more`.
    static func writeConfig(_ harness: PAMHarness, _ name: String, conninfo: String, pooler: String,
                            timeout: Int = 3, more: String = "") throws -> String {
        let config = harness.root.appendingPathComponent("\(name).conf").path
        try "database = \(conninfo)\npooler = \(pooler)\ndatabase_timeout = \(timeout)\n\(more)"
            .write(toFile: config, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: config)
        return config
    }

    @Test("a code accepted on server A is replayed on server B; the file store is never touched")
    func replayAcrossServers() throws {
        let harness = try PAMHarness()
        try FleetServer.with { server in
            let secret = try Self.twoServers(harness, server)
            PAMHarness.waitForFreshStep()
            let code = AuthenticatorApp.code(secret)
            let first = try harness.authenticate("root", service: "a", answers: [code], items: ["PAM_RHOST": "192.0.2.9"])
            #expect(first.result == PAM.success, "\(first.stderr)")
            #expect(first.outcome == "accepted-totp")
            #expect(first.prompts.map(\.text) == ["Verification code: "])
            #expect(PAMHarness.logsOmit(code, in: first))
            let second = try harness.authenticate("root", service: "b", answers: [code])
            #expect(second.result == PAM.authError)
            #expect(second.outcome == "replayed")
            #expect(try FileManager.default.contentsOfDirectory(atPath: harness.storeDirectory.path).isEmpty)
            let audit = try server.pg(["psql", server.directory, "twofa_admin", "-At", "-c",
                                       "SELECT server || ' ' || service || ' ' || result FROM swift2fa.audit ORDER BY id"]).output
            #expect(audit.contains("server_a a accepted-totp") && audit.contains("server_b b replayed"), "\(audit)")
        }
    }

    @Test("wrong codes on A and B count toward one throttle; the admin's unlock and reset apply on both")
    func oneThrottleAndAdmin() throws {
        let harness = try PAMHarness()
        try FleetServer.with { server in
            let secret = try Self.twoServers(harness, server)
            let admin = try server.store("twofa_admin")
            try admin.setSetting("throttle_after", to: 3)
            PAMHarness.waitForFreshStep(margin: 10)
            let wrong = AuthenticatorApp.code(secret, offset: 20)
            for service in ["a", "b", "a"] {
                let run = try harness.authenticate("root", service: service, answers: [wrong])
                #expect(run.result == PAM.authError && run.outcome == "rejected", "\(run.stderr)")
            }
            let throttled = try harness.authenticate("root", service: "b", answers: [AuthenticatorApp.code(secret)])
            #expect(throttled.result == PAM.authError && throttled.outcome == "throttled", "\(throttled.stderr)")
            #expect(try admin.status(user: "root").failures == 3, "the failures of A and B together")

            #expect(try admin.unlock(user: "root") != nil)
            let accepted = try harness.authenticate("root", service: "b", answers: [AuthenticatorApp.code(secret)])
            #expect(accepted.result == PAM.success && accepted.outcome == "accepted-totp", "\(accepted.stderr)")

            #expect(try admin.reset(user: "root"))
            for service in ["a", "b"] {
                let run = try harness.authenticate("root", service: service, answers: [AuthenticatorApp.code(secret)])
                #expect(run.result == PAM.authError && run.outcome == "not-enrolled", "\(run.stderr)")
                #expect(run.prompts.count == 1, "asked anyway, so enrollment cannot be probed")
            }
        }
    }

    @Test("30 parallel logins spread over A and B with one code: exactly 1 success")
    func parallelLogins() throws {
        let harness = try PAMHarness()
        try FleetServer.with { server in
            let secret = try Self.twoServers(harness, server)
            try server.store("twofa_admin").setSetting("lock_after", to: 100)
            PAMHarness.waitForFreshStep(margin: 15)
            let code = AuthenticatorApp.code(secret)
            let services = (0..<30).map { $0 % 2 == 0 ? "a" : "b" }
            let running = try services.map { try harness.launch("root", service: $0, answers: [code]) }
            let runs = try zip(services, running).map { service, process in
                let run = process.wait()
                return run.wrapperFailed ? try harness.authenticate("root", service: service, answers: [code]) : run
            }
            #expect(runs.filter { $0.result == PAM.success }.count == 1)
            #expect(runs.filter { $0.outcome == "accepted-totp" }.count == 1)
            #expect(runs.allSatisfy { $0.result == PAM.success || $0.result == PAM.authError })
        }
    }

    @Test("the database or the pooler stopped: logins fail closed within database_timeout, even with nullok")
    func outageFailsClosed() throws {
        let harness = try PAMHarness()
        try FleetServer.with { server in
            let secret = try Self.twoServers(harness, server, moduleOptions: "nullok", timeout: 1)
            let config = harness.root.appendingPathComponent("a.conf").path
            try harness.service([harness.moduleLine("config=\(config)")], name: "strict")
            try server.halt()
            for outage in ["database", "pooler"] {
                if outage == "pooler" { try server.stopPooler() }
                for (user, service) in [("root", "a"), ("nobody", "a"), ("root", "strict")] {
                    let start = Date()
                    let run = try harness.authenticate(user, service: service, answers: [AuthenticatorApp.code(secret)])
                    #expect(Date().timeIntervalSince(start) < 2.5)
                    #expect(run.result == PAM.authInfoUnavailable, "\(outage) down: \(run.stderr)")
                    #expect(run.outcome == "database-unavailable", "\(outage) down")
                }
            }
        }
    }

    @Test("window/throttle options are ignored with one log line; a config file readable by others is refused")
    func configuration() throws {
        let harness = try PAMHarness()
        try FleetServer.with { server in
            let secret = try Self.twoServers(harness, server, moduleOptions: "window=3")
            PAMHarness.waitForFreshStep()
            let far = try harness.authenticate("root", service: "a", answers: [AuthenticatorApp.code(secret, offset: 3)])
            #expect(far.outcome == "rejected", "the database's window (1) applies")
            #expect(far.logs.contains { $0.text.contains("ignored in fleet mode") })

            let config = harness.root.appendingPathComponent("a.conf").path
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: config)
            let readable = try harness.authenticate("root", service: "a", answers: [AuthenticatorApp.code(secret)])
            #expect(readable.result == PAM.serviceError && readable.outcome == "config-error", "\(readable.stderr)")
            #expect(readable.attemptLine?.contains("must be owned by root with mode 0600 or stricter") == true)
        }
    }

    @Test("enroll at login in fleet mode: the new enrollment is in the database, its code used up on every server")
    func enrollAtLogin() throws {
        let harness = try PAMHarness()
        try FleetServer.with { server in
            _ = try Self.twoServers(harness, server)
            let admin = try server.store("twofa_admin")
            #expect(try admin.reset(user: "root"))
            let config = harness.root.appendingPathComponent("a.conf").path
            try harness.service([harness.moduleLine("config=\(config) enroll")], name: "s2fa")
            PAMHarness.waitForFreshStep(margin: 8)
            let (run, shownCode) = try harness.enrollAtLogin()
            #expect(run.result == PAM.success, "\(run.stdout)\n\(run.stderr)")
            #expect(run.outcome == "enrolled")
            let transcript = EnrollmentTranscript(run.stdout)
            let codes = transcript.backupCodes
            #expect(codes.count == 10)
            let status = try admin.status(user: "root")
            #expect(status.status == "enrolled" && status.backupCodesLeft == 10)
            #expect(try FileManager.default.contentsOfDirectory(atPath: harness.storeDirectory.path).isEmpty)

            let replayed = try harness.authenticate("root", service: "b", answers: [shownCode])
            #expect(replayed.outcome == "replayed", "the confirming code is used up fleet-wide")
            let backup = try harness.authenticate("root", service: "b", answers: [codes.first ?? ""])
            #expect(backup.result == PAM.success && backup.outcome == "accepted-backup", "\(backup.stderr)")

            // Enrolled now: the next login on the enrolling service asks for a code, no offer.
            let next = try harness.authenticate("root", answers: [AuthenticatorApp.code(try #require(transcript.uri).secret, offset: 1)])
            #expect(next.result == PAM.success && next.outcome == "accepted-totp", "\(next.stderr)")
        }
    }

    @Test("enroll at login: no offer from a server without the enrollment right, nor over a pending enrollment the admin started")
    func enrollAtLoginRefused() throws {
        let harness = try PAMHarness()
        try FleetServer.with { server in
            _ = try Self.twoServers(harness, server)
            let admin = try server.store("twofa_admin")
            #expect(try admin.reset(user: "root"))
            for service in ["a", "b"] {
                let config = harness.root.appendingPathComponent("\(service).conf").path
                try harness.service([harness.moduleLine("config=\(config) enroll nullok")], name: "enroll-\(service)")
            }
            // server_b was granted without --enroll: no offer, a log line naming the grant, and
            // nullok passes the unenrolled user on as without `enroll`.
            let noRight = try harness.authenticate("root", service: "enroll-b")
            #expect(noRight.outcome == "not-enrolled" && noRight.attemptLine?.contains("nullok") == true, "\(noRight.logs)")
            #expect(noRight.prompts.isEmpty && !noRight.stdout.contains("otpauth://"))
            #expect(noRight.logs.contains { $0.text.contains("db grant-server ROLE --enroll") }, "\(noRight.logs)")
            #expect(try admin.status(user: "root").status == "not enrolled")

            // server_a may enroll, but not over the admin's pending enrollment, which stays.
            let secret = try #require(SecureRandom.bytes(20))
            _ = try admin.beginPending(user: "root", secret: secret, parameters: .standard)
            let pending = try harness.authenticate("root", service: "enroll-a")
            #expect(pending.outcome == "not-enrolled" && pending.attemptLine?.contains("nullok") == true, "\(pending.logs)")
            #expect(pending.prompts.isEmpty && !pending.stdout.contains("otpauth://"))
            #expect(try server.store("server_a").confirmPending(user: "root", code: AuthenticatorApp.code(secret), backupCodes: [],
                                                                 replace: false) == .accepted)
        }
    }

    @Test("the pooler reaches the database over TLS with a client certificate (verify-full): a login works, and a wrong CA fails closed")
    func tlsClientCertificate() throws {
        let harness = try PAMHarness()
        try FleetServer.with { server in
            let secret = try Self.twoServers(harness, server)
            let port = try server.pg(["tls", server.directory]).output.trimmingCharacters(in: .whitespacesAndNewlines)
            let tls = server.directory + "/tls"
            for (name, upstream) in [("tls", "tls"), ("wrongca", "tls-wrongca")] {
                // The module's side is the same: the pooler's socket. The pooler holds the TLS.
                let conninfo = "host=127.0.0.1 port=\(port) dbname=twofa user=server_a sslmode=verify-full "
                    + "sslrootcert=\(tls)/ca.crt sslcert=\(tls)/client.crt sslkey=\(tls)/client.key"
                let config = try Self.writeConfig(harness, name, conninfo: conninfo,
                                                  pooler: server.pooler("server_a", upstream: upstream, name: name))
                try harness.service([harness.moduleLine("config=\(config)")], name: name)
            }
            PAMHarness.waitForFreshStep()
            // pg.sh's pg_hba.conf admits TCP connections only as `hostssl ... cert`.
            let run = try harness.authenticate("root", service: "tls", answers: [AuthenticatorApp.code(secret)])
            #expect(run.result == PAM.success && run.outcome == "accepted-totp", "\(run.stderr)")
            let refused = try harness.authenticate("root", service: "wrongca", answers: [AuthenticatorApp.code(secret, offset: 1)])
            #expect(refused.result == PAM.authInfoUnavailable && refused.outcome == "database-unavailable", "\(refused.stderr)")
        }
    }

    @Test("the event hook hears of a backup code used, few left, and the lock, as with the file store")
    func hookEvents() throws {
        let harness = try PAMHarness()
        try FleetServer.with { server in
            let program = try EventHookTests.hook(harness)
            let config = try Self.writeConfig(harness, "a", conninfo: server.conninfo("server_a"),
                                              pooler: server.pooler("server_a"), more: "notify = \(program)\n")
            try harness.service(["auth required \(PAMHarness.wrapperModules)/pam_set_items.so",
                                 harness.moduleLine("config=\(config)")], name: "a")
            let admin = try server.store("twofa_admin")
            let secret = try #require(SecureRandom.bytes(20))
            let codes = ["abcde-fghjk", "bcdef-ghjkm", "cdefg-hjkmn"]
            try admin.enroll(user: "root", secret: secret, parameters: .standard, lastStep: 0, backupCodes: codes, replace: false)
            try admin.setSetting("throttle_after", to: 5)
            try admin.setSetting("lock_after", to: 2)

            let used = try harness.authenticate("root", service: "a", answers: [codes[0]], items: ["PAM_RHOST": "192.0.2.7"])
            #expect(used.result == PAM.success && used.outcome == "accepted-backup", "\(used.stderr)")
            let events = EventHookTests.events(harness, count: 2)
            let objects = try events.map(EventHookTests.object)
            // Detached hooks run side by side: in either order.
            #expect(Set(objects.compactMap { $0["event"] as? String }) == ["backup-code-used", "backup-codes-low"], "\(events)")
            #expect(objects.allSatisfy { $0["backup_codes_left"] as? Int == 2 && $0["service"] as? String == "a"
                                         && $0["rhost"] as? String == "192.0.2.7" }, "\(events)")

            PAMHarness.waitForFreshStep(margin: 10)
            // Beyond the drift search (±20 steps), so that no drift-found event comes either.
            let wrong = AuthenticatorApp.code(secret, offset: Int64(DriftFinding.searchedSteps) + 5)
            #expect(try harness.authenticate("root", service: "a", answers: [wrong]).outcome == "rejected")
            usleep(300_000)
            #expect(EventHookTests.events(harness, count: 3).count == 2, "a wrong code below lock_after is no event")
            let locking = try harness.authenticate("root", service: "a", answers: [wrong])
            #expect(locking.outcome == "rejected" && locking.result == PAM.authError, "\(locking.stderr)")
            let all = EventHookTests.events(harness, count: 3)
            #expect(all.count == 3, "\(all)")
            let locked = try all.map(EventHookTests.object).filter { $0["event"] as? String == "locked" }
            #expect(locked.count == 1 && locked.first?["user"] as? String == "root", "\(all)")
            #expect(try admin.status(user: "root").locked)

            // Refused while locked: no second lock event.
            #expect(try harness.authenticate("root", service: "a", answers: [AuthenticatorApp.code(secret)]).outcome == "locked")
            usleep(300_000)
            #expect(EventHookTests.events(harness, count: 4).count == 3)
        }
    }

    @Test("a TOTP and a HOTP credential in the database: either logs in, the log names it, replay is per credential")
    func totpAndHOTPCredentials() throws {
        let harness = try PAMHarness()
        try FleetServer.with { server in
            _ = try Self.twoServers(harness, server)
            // The admin's enrollment of two credentials: a 7-digit SHA-256 app and an 8-digit token
            // at counter 0 (RFC 4226's secret), whose codes oathtool makes.
            let now = AuthenticatorApp.now()
            let phone = Credential(id: 1, label: "phone", kind: .totp(period: 30, offset: 0), algorithm: .sha256, digits: 7,
                                   secret: Array("fleet-phone-secret-0".utf8), created: now)
            let token = Credential(id: 2, label: "yubikey-5", kind: .hotp(counter: 0), algorithm: .sha1, digits: 8,
                                   secret: CredentialLoginTests.hotpSecret, created: now)
            let record = SecretRecord(credentials: [phone, token], created: now, backupKey: Array("fleet-backup-key-012".utf8))
            let admin = try server.store("twofa_admin")
            try admin.importEnrollment(user: "root", record: record, state: UserState(), backupCodes: [], mode: .replace)

            PAMHarness.waitForFreshStep()
            let phoneCode = try OathTool.totp(Base32.encode(phone.secret), digits: 7, algorithm: "SHA256")
            let first = try harness.authenticate("root", service: "a", answers: [phoneCode])
            #expect(first.result == PAM.success, "\(first.stderr)")
            #expect(first.attemptLine?.contains(#"result=accepted-totp credential="phone""#) == true, "\(first.attemptLine ?? "")")
            #expect(first.prompts.map(\.text) == ["Verification code: "])
            #expect(PAMHarness.logsOmit(phoneCode, in: first))

            // The token was pressed twice before: counter 2 is within the look-ahead, on the other server.
            let tokenCode = try OathTool.hotp(hex: CredentialLoginTests.hotpHex, counter: 2, digits: 8)
            let second = try harness.authenticate("root", service: "b", answers: [tokenCode])
            #expect(second.result == PAM.success, "\(second.stderr)")
            #expect(second.attemptLine?.contains(#"result=accepted-hotp credential="yubikey-5""#) == true, "\(second.attemptLine ?? "")")
            #expect(PAMHarness.logsOmit(tokenCode, in: second))
            // Each credential's replay state is its own: both codes are now used, on either server.
            #expect(try harness.authenticate("root", service: "a", answers: [tokenCode]).outcome == "rejected")
            #expect(try harness.authenticate("root", service: "b", answers: [phoneCode]).outcome == "replayed")
            let next = try harness.authenticate("root", service: "a",
                                                answers: [OathTool.hotp(hex: CredentialLoginTests.hotpHex, counter: 3, digits: 8)])
            #expect(next.result == PAM.success && next.outcome == "accepted-hotp", "\(next.stderr)")
            let listed = try admin.credentials(user: "root")
            #expect(listed.map(\.label) == ["phone", "yubikey-5"] && listed[1].nextCounter == 4)
        }
    }

    @Test("the built module neither links nor names libpq")
    func moduleNamesNoLibpq() throws {
        let module = try Data(contentsOf: URL(fileURLWithPath: PAMHarness.modulePath))
        #expect(module.count > 100_000)
        #expect(module.range(of: Data("libpq".utf8)) == nil)
        #expect(module.range(of: Data("pam_sm_authenticate".utf8)) != nil, "the search itself finds names")
    }

    @Test("the login process never loads libpq: not in fleet mode, not for a file-store login")
    func noLibpq() throws {
        let harness = try PAMHarness()
        try FleetServer.with { server in
            let secret = try Self.twoServers(harness, server, moduleOptions: "nullok")
            PAMHarness.waitForFreshStep()
            let fleet = try harness.authenticate("root", service: "a", answers: [AuthenticatorApp.code(secret)], items: ["LD_DEBUG": "files"])
            #expect(fleet.result == PAM.success && fleet.outcome == "accepted-totp", "\(fleet.stderr)")
            #expect(fleet.stderr.contains("file=") && fleet.stderr.contains("pam_swift2fa"), "LD_DEBUG saw the module load")
            #expect(!fleet.stderr.contains("libpq"))
            let record = try harness.enroll("root")
            try harness.moduleOnly()
            let file = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)], items: ["LD_DEBUG": "files"])
            #expect(file.result == PAM.success, "\(file.stderr)")
            #expect(file.stderr.contains("file=") && !file.stderr.contains("libpq"))
        }
    }
}
}
