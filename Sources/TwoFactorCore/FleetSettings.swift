/// Where the fleet store is: a PostgreSQL database named in the configuration file
/// (`database = CONNINFO`, `database_timeout = SECONDS`), never on a module line.
public struct FleetSettings: Equatable, Sendable {
    /// The libpq connection string, e.g. `host=db1,db2 dbname=twofa user=web7 target_session_attrs=read-write`.
    public let conninfo: String
    /// Seconds for connecting and for each call; past it a login fails closed.
    public let timeoutSeconds: Int

    public static let defaultTimeoutSeconds = 3
    public static let timeoutRange: ClosedRange<Int> = 1...60

    public init(conninfo: String, timeoutSeconds: Int) {
        self.conninfo = conninfo
        self.timeoutSeconds = timeoutSeconds
    }
}
