import TwoFactorCore
import TwoFactorStore

/// The fleet store as the admin command reaches it: through libpq with a conninfo.
extension FleetStore where Connection == LibPQConnection {
    /// The store at `conninfo`, each call within `timeout` seconds.
    public init(conninfo: String, timeout: Int = FleetSettings.defaultTimeoutSeconds) {
        self.init(connection: LibPQConnection(conninfo: conninfo, timeout: timeout))
    }

    /// Runs the schema files (fleet/schema, in order) as one transaction.
    public func applySchema(_ script: String) throws(FleetError) {
        _ = try connection.runScript(script)
    }
}
