import Glibc
import TwoFactorCore
import TwoFactorStore

/// The local PgBouncer's configuration, written next to the configuration file
/// (`/etc/swift-2fa/pgbouncer.ini` beside `/etc/swift-2fa/swift-2fa.conf`), never in the
/// system's `/etc/pgbouncer`: the ini, the auth file (the client user, and the role's
/// password when the conninfo has one) and the HBA file (trust for `Pooler.clientUser` on
/// the Unix socket, nothing else). All three are mode 0600, owned by the pooler's user.
struct PoolerConfiguration {
    /// The ini, the auth file and the HBA file, in the configuration file's directory.
    struct Files {
        /// The configuration file they are made from.
        let config: String
        let ini: String
        let auth: String
        let hba: String

        init(configPath: String) {
            config = configPath
            let slash = configPath.lastIndex(of: "/")
            let directory = slash.map { $0 == configPath.startIndex ? "/" : String(configPath[..<$0]) } ?? "."
            let prefix = directory == "/" ? "/" : directory + "/"
            ini = prefix + "pgbouncer.ini"
            auth = prefix + "pgbouncer-users.txt"
            hba = prefix + "pgbouncer-hba.conf"
        }

        var all: [String] { [auth, hba, ini] }
    }

    let files: Files
    let upstream: PoolerUpstream
    let settings: FleetSettings

    /// The ini's line for the TLS mode towards the database; `db status` reads it back.
    static let sslModeKey = "server_tls_sslmode"

    /// pgbouncer.ini.
    var ini: String {
        var target = ["dbname=\(upstream.database)", "user=\(upstream.role)", "port=\(upstream.port)"]
        switch upstream.link {
        case .unixSocket(let directory): target.insert("host=\(directory)", at: 0)
        case .tcp(let host): target.insert("host=\(host)", at: 0)
        }
        if let name = upstream.applicationName { target.append("application_name=\(name)") }
        var lines = [
            "; Written by swift-2fa-setup db pooler write from the 'database =' line of \(files.config).",
            "; Do not edit: change that line and run 'swift-2fa-setup db pooler write' (or enable) again.",
            "[databases]",
            "\(Pooler.database) = \(target.joined(separator: " "))",
            "",
            "[pgbouncer]",
            "; A Unix socket only (no TCP), reachable by root and \(PoolerUser.name) alone (directory mode 0700).",
            "listen_addr =",
            "listen_port = \(Pooler.port)",
            "unix_socket_dir = \(settings.poolerDirectory)",
            "unix_socket_mode = 0600",
            "; Each login is one statement in its own transaction: transaction pooling keeps verify()'s row lock.",
            "pool_mode = transaction",
            "auth_type = hba",
            "auth_hba_file = \(files.hba)",
            "auth_file = \(files.auth)",
            "admin_users =",
            "stats_users =",
            "server_connect_timeout = \(upstream.connectTimeout ?? settings.timeoutSeconds)",
            "server_login_retry = 1",
            "log_connections = 0",
            "log_disconnections = 0",
            "syslog = 0",
        ]
        if case .tcp = upstream.link {
            lines.append(upstream.isInsecureTLS
                         ? "; INSECURE: --insecure-tls, the database's certificate is not checked against its name."
                         : "; TLS to the database, its certificate checked against the CA and the host name.")
            lines.append("\(Self.sslModeKey) = \(upstream.sslMode)")
            if let file = upstream.rootCertificate { lines.append("server_tls_ca_file = \(file)") }
            if let file = upstream.certificate { lines.append("server_tls_cert_file = \(file)") }
            if let file = upstream.key { lines.append("server_tls_key_file = \(file)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The auth file: the client user with no password (the HBA file trusts it on the socket),
    /// and the database role with its password when the conninfo holds one.
    var authFile: String {
        var lines = [String]()
        if upstream.role != Pooler.clientUser || upstream.password == nil {
            lines.append("\(Self.quoted(Pooler.clientUser)) \"\"")
        }
        if let password = upstream.password { lines.append("\(Self.quoted(upstream.role)) \(Self.quoted(password))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The HBA file: only `Pooler.clientUser`, only to `Pooler.database`, only on the socket.
    var hbaFile: String {
        "# Written by swift-2fa-setup db pooler write. Who reaches the socket is decided by its directory's mode.\n"
            + "local \(Pooler.database) \(Pooler.clientUser) trust\n"
    }

    /// `"text"` with `"` doubled, as PgBouncer's auth file reads it.
    static func quoted(_ text: String) -> String {
        "\"" + text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }

    /// Writes the three files atomically, mode 0600, owned by the pooler's user.
    func write(owner: PoolerUser) throws(SetupFailure) {
        let contents = [(files.auth, authFile), (files.hba, hbaFile), (files.ini, ini)]
        for (path, text) in contents {
            do throws(StoreError) {
                try AtomicFile.write(text, to: path, mode: 0o600, owner: (owner.uid, owner.gid))
            } catch {
                throw SetupFailure(error)
            }
        }
    }

    /// Removes the three files (absent ones are fine).
    static func remove(_ files: Files) throws(SetupFailure) {
        for path in files.all {
            do throws(StoreError) { try AtomicFile.remove(path) } catch { throw SetupFailure(error) }
        }
    }
}
