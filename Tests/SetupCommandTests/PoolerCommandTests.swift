import Foundation
import TestSupport
import Testing
import TwoFactorCore

/// `db pooler write|run|enable|disable` through the built command: the files it writes from
/// `database =`, what it refuses (writing nothing), and a real PgBouncer in front of the
/// throwaway PostgreSQL of Tests/fleet/pg.sh, over its Unix socket and over TLS (verify-full).
/// The real runs start PostgreSQL and PgBouncer: run them under `flock /tmp/s2fa-e2e.lock`.
@Suite(.serialized, .enabled(if: getuid() == 0, "db pooler writes files owned by postgres: needs root"))
struct PoolerCommandTests {
    /// A configuration directory (mode 0755, so postgres can reach the files in it) with a
    /// swift-2fa.conf naming `conninfo` and a pooler directory inside it; removed at the end.
    final class PoolerSite {
        let temporary: TemporaryDirectory
        var directory: String { temporary.path }
        var config: String { directory + "/swift-2fa.conf" }
        var poolerDirectory: String { directory + "/pooler" }
        var socket: String { poolerDirectory + "/.s.PGSQL.\(Pooler.port)" }
        var ini: String { directory + "/pgbouncer.ini" }
        var auth: String { directory + "/pgbouncer-users.txt" }
        var hba: String { directory + "/pgbouncer-hba.conf" }

        init(conninfo: String) throws {
            temporary = try TemporaryDirectory("s2fa-pooler", mode: 0o755)
            try setConninfo(conninfo)
        }

        func setConninfo(_ conninfo: String) throws {
            try "database = \(conninfo)\npooler = \(poolerDirectory)\n".write(toFile: config, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: config)
        }

        func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

        /// Mode and owner of a file.
        func attributes(_ path: String) throws -> (mode: Int, owner: String) {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return ((attributes[.posixPermissions] as? Int) ?? -1, (attributes[.ownerAccountName] as? String) ?? "?")
        }

        /// The pooler's files that exist.
        var written: [String] { [ini, auth, hba].filter { FileManager.default.fileExists(atPath: $0) } }

        /// `db pooler run` in the background; `stop` ends it.
        func startPooler() throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["db", "pooler", "run", "--config", config]
            let log = FileHandle(forWritingAtPath: "/dev/null")
            process.standardOutput = log
            process.standardError = log
            try process.run()
            for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) && process.isRunning { usleep(100_000) }
            return process
        }

        /// SIGINT (PgBouncer's safe shutdown), SIGKILL if it is still there after 10 s.
        func stop(_ process: Process) {
            if process.isRunning { kill(process.processIdentifier, SIGINT) }
            for _ in 0..<100 where process.isRunning { usleep(100_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }

        /// One call through the pooler's socket with psql, as `user` to `database`.
        func psql(_ sql: String, user: String = Pooler.clientUser, database: String = Pooler.database) throws -> ProgramResult {
            try Program.run("/usr/bin/psql", ["-X", "-At", "-c", sql,
                                              "host=\(poolerDirectory) port=\(Pooler.port) dbname=\(database) user=\(user) connect_timeout=5"])
        }
    }

    static var postgresUID: uid_t? { getpwnam("postgres")?.pointee.pw_uid }

    @Test("write: the ini (socket only, transaction pooling, no password), the auth and HBA files, 0600 owned by postgres")
    func writeUnixUpstream() throws {
        let site = try PoolerSite(conninfo: "host=/var/run/pg port=5433 dbname=twofa user=web7 password='pa\"ss word' "
                                            + "connect_timeout=4 target_session_attrs=read-write")
        let result = try CLI.run(["db", "pooler", "write", "--config", site.config])
        try #require(result.status == 0, "\(result.stderr)")
        let ini = try site.text(site.ini)
        let lines = Set(ini.split(separator: "\n").map(String.init))
        for expected in ["[databases]", "swift2fa = host=/var/run/pg dbname=twofa user=web7 port=5433",
                         "listen_addr =", "listen_port = 6432", "unix_socket_dir = \(site.poolerDirectory)",
                         "pool_mode = transaction", "auth_type = hba", "auth_file = \(site.auth)",
                         "auth_hba_file = \(site.hba)", "admin_users =", "server_connect_timeout = 4"] {
            #expect(lines.contains(expected), "pgbouncer.ini lacks '\(expected)':\n\(ini)")
        }
        #expect(!ini.contains("pa\"ss") && !ini.contains("password"), "the password never goes to the ini")
        #expect(!ini.contains("server_tls_sslmode"), "no TLS over a Unix socket")
        #expect(try site.text(site.auth) == "\"swift2fa\" \"\"\n\"web7\" \"pa\"\"ss word\"\n")
        let hba = try site.text(site.hba).split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(hba == ["local swift2fa swift2fa trust"])
        for path in [site.ini, site.auth, site.hba] {
            let attributes = try site.attributes(path)
            #expect(attributes.mode == 0o600 && attributes.owner == "postgres", "\(path): \(attributes)")
        }
        #expect(!FileManager.default.fileExists(atPath: site.poolerDirectory), "write makes no socket directory")
    }

    @Test("write: TCP with verify-full names the CA, certificate and key; a URI works too")
    func writeVerifyFull() throws {
        let site = try PoolerSite(conninfo: "postgresql://web7@db.example.net:6543/twofa?sslmode=verify-full"
                                            + "&sslrootcert=/etc/ssl/ca.pem&sslcert=/etc/ssl/c.pem&sslkey=/etc/ssl/c.key")
        let result = try CLI.run(["db", "pooler", "write", "--config", site.config])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        let lines = Set(try site.text(site.ini).split(separator: "\n").map(String.init))
        for expected in ["swift2fa = host=db.example.net dbname=twofa user=web7 port=6543",
                         "server_tls_sslmode = verify-full", "server_tls_ca_file = /etc/ssl/ca.pem",
                         "server_tls_cert_file = /etc/ssl/c.pem", "server_tls_key_file = /etc/ssl/c.key"] {
            #expect(lines.contains(expected), "pgbouncer.ini lacks '\(expected)'")
        }
        #expect(try site.text(site.auth) == "\"swift2fa\" \"\"\n")
    }

    @Test("write refuses what PgBouncer cannot honour, with one line, and writes nothing", arguments: [
        ("host=db1,db2 dbname=twofa user=web7 sslmode=verify-full sslrootcert=/ca", "several hosts"),
        ("host=db1 dbname=twofa user=web7", "sslmode=prefer"),
        ("host=db1 dbname=twofa user=web7 sslmode=require sslrootcert=/ca", "sslmode=require"),
        ("host=db1 dbname=twofa user=web7 sslmode=verify-ca sslrootcert=/ca", "sslmode=verify-ca"),
        ("host=db1 dbname=twofa user=web7 sslmode=verify-full", "sslrootcert"),
        ("hostaddr=10.0.0.1 dbname=twofa user=web7", "'hostaddr='"),
        ("host=/run/pg dbname=twofa user=web7 passfile=/root/.pgpass", "'passfile='"),
        ("service=fleet", "'service='"),
        ("host=/run/pg dbname=twofa user=web7 options='-c x=y'", "'options='"),
        ("host=/run/pg dbname=twofa user=web7 sslcrl=/crl", "'sslcrl='"),
        ("host=/run/pg dbname='two fa' user=web7", "'dbname='"),
        ("host=/run/pg dbname=twofa user=web7;x", "'user='"),
        ("host=/run/pg dbname=twofa", "user="),
        ("host=/run/pg user=web7", "dbname="),
        ("host=/run/pg dbname=twofa user=web7 port=0", "port=0"),
        ("host=/run/pg dbname=twofa user=web7 target_session_attrs=standby", "target_session_attrs"),
        ("host=/run/pg dbname=twofa user=web7 bogus=1", "bogus"),
        ("host='/run/pg dbname=twofa", "not a valid connection string"),
    ])
    func writeRefuses(conninfo: String, reason: String) throws {
        let site = try PoolerSite(conninfo: conninfo)
        let result = try CLI.run(["db", "pooler", "write", "--config", site.config])
        #expect(result.status == 64, "\(conninfo): \(result.status) \(result.stderr)")
        #expect(result.hasOneErrorLine && result.stderr.contains(reason), "\(conninfo): \(result.stderr)")
        #expect(site.written.isEmpty, "nothing is written for \(conninfo)")
    }

    @Test("write keeps the old files when the new line is refused; a non-root caller and a relative --config are refused")
    func refusalsKeepOldFiles() throws {
        let site = try PoolerSite(conninfo: "host=/run/pg dbname=twofa user=web7")
        try #require(try CLI.run(["db", "pooler", "write", "--config", site.config]).status == 0)
        let before = try site.text(site.ini)
        try site.setConninfo("host=db1 dbname=twofa user=web7")
        #expect(try CLI.run(["db", "pooler", "write", "--config", site.config]).status == 64)
        #expect(try site.text(site.ini) == before)
        let nobody = try CLI.run(["db", "pooler", "write", "--config", site.config], asNobody: true)
        #expect(nobody.status == 74 && nobody.stderr.contains("needs root"), "\(nobody.stderr)")
        let relative = try CLI.run(["db", "pooler", "write", "--config", "swift-2fa.conf"])
        #expect(relative.status == 64 && relative.hasOneErrorLine, "\(relative.stderr)")
        let none = try CLI.run(["db", "pooler", "run", "--config", site.directory + "/absent.conf"])
        #expect(none.status == 64 && none.stderr.contains("no 'database ='"), "\(none.stderr)")
    }

    @Test("run refuses a pooler directory someone else owns, and one that is a symbolic link, before starting PgBouncer")
    func runRefusesForeignDirectory() throws {
        let site = try PoolerSite(conninfo: "host=/run/pg dbname=twofa user=web7")
        try #require(try CLI.run(["db", "pooler", "write", "--config", site.config]).status == 0)
        try FileManager.default.createDirectory(atPath: site.poolerDirectory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o755])
        #expect(chown(site.poolerDirectory, 65534, 65534) == 0)
        let foreign = try CLI.run(["db", "pooler", "run", "--config", site.config])
        #expect(foreign.status == 74 && foreign.hasOneErrorLine && foreign.stderr.contains("neither root nor postgres"),
                "\(foreign.stderr)")
        try FileManager.default.removeItem(atPath: site.poolerDirectory)
        try FileManager.default.createSymbolicLink(atPath: site.poolerDirectory, withDestinationPath: "/tmp")
        let link = try CLI.run(["db", "pooler", "run", "--config", site.config])
        #expect(link.status == 74 && link.hasOneErrorLine && link.stderr.contains("symlink"), "\(link.stderr)")
        var info = stat()
        #expect(stat("/tmp", &info) == 0 && info.st_uid == 0 && info.st_mode & 0o7777 == 0o1777, "/tmp was not touched")
    }

    @Test("--insecure-tls writes the weaker mode, warns, and db status says INSECURE")
    func insecureTLS() throws {
        let site = try PoolerSite(conninfo: "host=127.0.0.1 port=1 dbname=twofa user=web7 sslmode=require connect_timeout=2")
        let result = try CLI.run(["db", "pooler", "write", "--insecure-tls", "--config", site.config])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning: --insecure-tls"))
        #expect(try site.text(site.ini).contains("\nserver_tls_sslmode = require\n"))
        let status = try CLI.run(["db", "status", "--config", site.config])
        #expect(status.status == 74, "the database on port 1 is unreachable")
        #expect(status.stdout.contains("INSECURE TLS to the database (server_tls_sslmode = require"), "\(status.stdout)")
        #expect(status.stdout.contains("pooler socket:     \(site.socket) absent"), "\(status.stdout)")
    }

    @Test("run: PgBouncer as postgres on a 0700 socket directory; one call through it; only swift2fa to swift2fa gets in")
    func runOverUnixSocket() throws {
        try FleetServer.with { server in
            let conninfo = try server.pg(["conninfo", server.directory, "server_a"]).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let site = try PoolerSite(conninfo: conninfo)
            try #require(try CLI.run(["db", "pooler", "write", "--config", site.config]).status == 0)
            let pooler = try site.startPooler()
            defer { site.stop(pooler) }
            try #require(FileManager.default.fileExists(atPath: site.socket), "the pooler's socket did not appear")
            let directory = try site.attributes(site.poolerDirectory)
            #expect(directory.mode == 0o700 && directory.owner == "postgres", "\(directory)")

            let call = try site.psql("select swift2fa.prompt_digits('nobody') is null, current_user")
            #expect(call.status == 0 && call.stdout == "t|server_a\n", "\(call.stdout) \(call.stderr)")
            let otherUser = try site.psql("select 1", user: "server_a")
            #expect(otherUser.status != 0 && otherUser.stderr.contains("login rejected"), "\(otherUser.stderr)")
            let console = try site.psql("show pools", database: "pgbouncer")
            #expect(console.status != 0, "the admin console is closed: \(console.stdout)")
            let asNobody = try Program.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                                "/usr/bin/psql", "-X", "-c", "select 1",
                                                                "host=\(site.poolerDirectory) port=\(Pooler.port) dbname=swift2fa user=swift2fa"])
            #expect(asNobody.status != 0 && asNobody.stderr.contains("Permission denied"), "\(asNobody.stderr)")

            let status = try CLI.run(["db", "status", "--config", site.config])
            #expect(status.stdout.contains("Unix socket to the database (no TLS)"), "\(status.stdout)")
            #expect(status.stdout.contains("pooler reachable:  yes"), "\(status.stdout)")
            site.stop(pooler)
            #expect(pooler.terminationStatus == 0)
            let after = try CLI.run(["db", "status", "--config", site.config])
            #expect(!after.stdout.contains("pooler reachable:  yes"), "\(after.stdout)")
        }
    }

    @Test("run: the role's password goes from 'database =' to the auth file only, and PgBouncer logs in with it (SCRAM)")
    func runWithPassword() throws {
        try FleetServer.with { server in
            let password = "pa ss\"word"
            let set = try server.pg(["psql", server.directory, "postgres", "-c",
                                     "ALTER ROLE server_a PASSWORD 'pa ss\"word'"])
            try #require(set.status == 0, "\(set.output)")
            let hba = server.directory + "/primary/pg_hba.conf"
            let old = try String(contentsOfFile: hba, encoding: .utf8)
            try ("local twofa server_a scram-sha-256\n" + old).write(toFile: hba, atomically: false, encoding: .utf8)
            try #require(try server.pg(["psql", server.directory, "postgres", "-c", "SELECT pg_reload_conf()"]).status == 0)
            let conninfo = try server.pg(["conninfo", server.directory, "server_a"]).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let site = try PoolerSite(conninfo: conninfo + " password='pa ss\"word'")
            try #require(try CLI.run(["db", "pooler", "write", "--config", site.config]).status == 0)
            #expect(!(try site.text(site.ini)).contains(password))
            let pooler = try site.startPooler()
            defer { site.stop(pooler) }
            let call = try site.psql("select swift2fa.prompt_digits('nobody') is null, current_user")
            #expect(call.status == 0 && call.stdout == "t|server_a\n", "\(call.stdout) \(call.stderr)")

            // Without the password, the same database refuses the pooler: the password was what let it in.
            try site.setConninfo(conninfo)
            try #require(try CLI.run(["db", "pooler", "write", "--config", site.config]).status == 0)
            site.stop(pooler)
            let again = try site.startPooler()
            defer { site.stop(again) }
            #expect(try site.psql("select 1").status != 0)
        }
    }

    @Test("run: TLS to the database with verify-full; a name the certificate does not carry gets no connection")
    func runOverVerifiedTLS() throws {
        try FleetServer.with { server in
            let tls = try server.pg(["tls", server.directory])
            try #require(tls.status == 0, "\(tls.output)")
            let port = tls.output.trimmingCharacters(in: .whitespacesAndNewlines)
            let files = server.directory + "/tls"
            func conninfo(_ host: String) -> String {
                "host=\(host) port=\(port) dbname=twofa user=server_a sslmode=verify-full sslrootcert=\(files)/ca.crt "
                    + "sslcert=\(files)/client.crt sslkey=\(files)/client.key"
            }
            let site = try PoolerSite(conninfo: conninfo("127.0.0.1"))
            try #require(try CLI.run(["db", "pooler", "write", "--config", site.config]).status == 0)
            do {
                let pooler = try site.startPooler()
                defer { site.stop(pooler) }
                let call = try site.psql("select swift2fa.prompt_digits('nobody') is null, ssl from pg_stat_ssl where pid = pg_backend_pid()")
                #expect(call.status == 0 && call.stdout == "t|t\n", "\(call.stdout) \(call.stderr)")
                let status = try CLI.run(["db", "status", "--config", site.config])
                #expect(status.stdout.contains("TLS to the database (verify-full)"), "\(status.stdout)")
            }
            // The certificate names 127.0.0.1 only: through "localhost" verify-full refuses the server.
            try site.setConninfo(conninfo("localhost"))
            try #require(try CLI.run(["db", "pooler", "write", "--config", site.config]).status == 0)
            let pooler = try site.startPooler()
            defer { site.stop(pooler) }
            let refused = try site.psql("select 1")
            #expect(refused.status != 0, "verify-full let a wrong name through: \(refused.stdout)")
        }
    }

    @Test("enable installs the unit, starts it (fake systemctl running its ExecStart) and calls through it; disable undoes it")
    func enableAndDisable() throws {
        try FleetServer.with { server in
            let conninfo = try server.pg(["conninfo", server.directory, "server_a"]).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let site = try PoolerSite(conninfo: conninfo)
            let fake = try FakeSystemctl(in: site.directory)
            defer { fake.stopService() }
            let enabled = try fake.run(["db", "pooler", "enable", "--config", site.config, "--unit-dir", fake.unitDirectory])
            #expect(enabled.status == 0, "\(enabled.stdout) \(enabled.stderr)")
            #expect(enabled.stdout.contains("one call through \(site.socket) reached the database"), "\(enabled.stdout)")
            #expect(try fake.calls() == ["daemon-reload", "enable swift-2fa-pooler.service", "restart swift-2fa-pooler.service"])
            let unit = try site.text(fake.unitPath)
            #expect(unit.contains("\nExecStart=\(CLI.binary) db pooler run --config \(site.config)\n"), "\(unit)")
            #expect(try site.attributes(fake.unitPath).mode == 0o644)
            if FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") {
                let verify = try Program.run("/usr/bin/systemd-analyze", ["verify", "--man=no", fake.unitPath])
                #expect(verify.status == 0, "systemd-analyze verify: \(verify.stdout) \(verify.stderr)")
            }
            #expect(site.written.count == 3)

            let disabled = try fake.run(["db", "pooler", "disable", "--config", site.config, "--unit-dir", fake.unitDirectory])
            #expect(disabled.status == 0, "\(disabled.stderr)")
            #expect(try fake.calls().suffix(2) == ["disable --now swift-2fa-pooler.service", "daemon-reload"])
            #expect(!FileManager.default.fileExists(atPath: fake.unitPath))
            #expect(site.written.isEmpty, "disable removes the pooler's files")
            #expect(!fake.serviceRunning, "disable stopped the pooler")
            let again = try fake.run(["db", "pooler", "disable", "--config", site.config, "--unit-dir", fake.unitDirectory])
            #expect(again.status == 0, "disable twice is fine: \(again.stderr)")
        }
    }

    @Test("enable refuses a bad 'database =' before touching systemd")
    func enableRefusesFirst() throws {
        let site = try PoolerSite(conninfo: "host=db1 dbname=twofa user=web7 sslmode=disable")
        let fake = try FakeSystemctl(in: site.directory)
        let result = try fake.run(["db", "pooler", "enable", "--config", site.config, "--unit-dir", fake.unitDirectory])
        #expect(result.status == 64 && result.hasOneErrorLine, "\(result.stderr)")
        #expect(try fake.calls().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fake.unitPath) && site.written.isEmpty)
    }
}

/// A `systemctl` on PATH that records its arguments and, for `restart`, runs the installed
/// unit's ExecStart in the background (as systemd would), stopping it on `disable --now`.
struct FakeSystemctl {
    let directory: String
    var unitDirectory: String { directory + "/units" }
    var unitPath: String { unitDirectory + "/swift-2fa-pooler.service" }
    var log: String { directory + "/systemctl.log" }
    var pidFile: String { directory + "/service.pid" }

    init(in site: String) throws {
        directory = site + "/fake-systemd"
        try FileManager.default.createDirectory(atPath: unitDirectory, withIntermediateDirectories: true)
        let script = """
            #!/bin/bash
            echo "$*" >>'\(log)'
            case "$*" in
            "restart swift-2fa-pooler.service")
                command=$(sed -n 's/^ExecStart=//p' '\(unitPath)')
                # As systemd does, the service inherits no descriptor but 0, 1 and 2 (an inherited
                # one would keep the test runner waiting for the enable command's end).
                for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done 2>/dev/null
                setsid $command </dev/null >'\(directory)/service.log' 2>&1 &
                echo $! >'\(pidFile)' ;;
            "disable --now swift-2fa-pooler.service")
                pid=$(cat '\(pidFile)') && kill -INT "$pid" || exit 0
                # Until it is gone or a zombie (its parent, this script, has exited).
                while state=$(ps -o stat= -p "$pid") && [ "${state#Z}" = "$state" ]; do sleep 0.05; done ;;
            esac
            exit 0
            """
        try script.write(toFile: directory + "/systemctl", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory + "/systemctl")
    }

    /// The command with this fake first on PATH.
    func run(_ arguments: [String]) throws -> ProgramResult {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        return try Program.run("/usr/bin/env", ["PATH=\(directory):\(path)", CLI.binary] + arguments)
    }

    func calls() throws -> [String] {
        guard FileManager.default.fileExists(atPath: log) else { return [] }
        return try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    private var pid: pid_t? {
        (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    var serviceRunning: Bool { pid.map(Self.alive) ?? false }

    /// Stops the service the fake started, if it still runs.
    func stopService() {
        guard let pid, Self.alive(pid) else { return }
        kill(pid, SIGINT)
        for _ in 0..<100 where Self.alive(pid) { usleep(50_000) }
    }

    /// True when `pid` runs (a zombie, whose parent has gone, does not count).
    static func alive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.range(of: ") ", options: .backwards) else { return false }
        return stat[close.upperBound...].first != "Z"
    }
}
