import TwoFactorCore
import TwoFactorStore

/// The fleet store as the admin command reaches it: through libpq with a conninfo.
extension FleetStore where Connection == LibPQConnection {
    /// The store at `conninfo`, each call within `timeout` seconds.
    public init(conninfo: String, timeout: Int = FleetSettings.defaultTimeoutSeconds) {
        self.init(connection: LibPQConnection(conninfo: conninfo, timeout: timeout))
    }

    /// Runs the script of `db init` (fleet/schema: the migration runner, the migrations, the
    /// functions) as one transaction.
    public func applySchema(_ script: String) throws(EnrollmentStoreError) {
        _ = try connection.runScript(script)
    }
}
