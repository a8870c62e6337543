/// Where the fleet store is: a PostgreSQL database named in the configuration file
/// (`database = CONNINFO`, `database_timeout = SECONDS`, `pooler = DIR`), never on a module line.
///
/// The login process never talks to the database itself and never parses the conninfo: it
/// speaks the PostgreSQL v3 protocol to a local PgBouncer on a root-only Unix socket in the
/// pooler directory (`Pooler`). PgBouncer holds the TLS and the credentials; the admin's
/// command (`swift-2fa-setup db ...`) uses the conninfo with libpq.
public struct FleetSettings: Equatable, Sendable {
    /// The libpq connection string, e.g. `host=db1,db2 dbname=twofa user=web7 target_session_attrs=read-write`.
    public let conninfo: String
    /// Seconds for connecting and for each call; past it a login fails closed.
    public let timeoutSeconds: Int
    /// The directory of the local pooler's Unix socket (`pooler =`).
    public let poolerDirectory: String

    public static let defaultTimeoutSeconds = 3
    public static let timeoutRange: ClosedRange<Int> = 1...60

    public init(conninfo: String, timeoutSeconds: Int, poolerDirectory: String = Pooler.defaultDirectory) {
        self.conninfo = conninfo
        self.timeoutSeconds = timeoutSeconds
        self.poolerDirectory = poolerDirectory
    }

    /// The pooler's socket for this configuration.
    public var poolerSocketPath: String { Pooler.socketPath(in: poolerDirectory) }
}

/// The local PgBouncer between a fleet server's login processes and the database: the facts
/// that `swift-2fa-setup db pooler write` puts in its configuration and that the module's
/// protocol client relies on, decided here once.
public enum Pooler {
    /// `pooler =` when the configuration file has none.
    public static let defaultDirectory = "/run/swift-2fa/pooler"
    /// PgBouncer's `listen_port`; with `unix_socket_dir` it names the socket `.s.PGSQL.6432`.
    public static let port = 6432
    /// The database name a login asks PgBouncer for (its `[databases]` entry, which maps to
    /// the conninfo's dbname, hosts, role and TLS files).
    public static let database = "swift2fa"
    /// The user name a login gives PgBouncer. Access is decided by the socket directory's
    /// owner and mode (root and the pooler's user only); PgBouncer logs in to the database as
    /// the conninfo's role whatever this name is.
    public static let clientUser = "swift2fa"

    /// The socket PgBouncer listens on in `directory`.
    public static func socketPath(in directory: String) -> String {
        directory + "/.s.PGSQL.\(port)"
    }
}
