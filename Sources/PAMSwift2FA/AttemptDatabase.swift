import TwoFactorCore
import TwoFactorStore

/// The fleet store as the login process reaches it: through the local pooler.
typealias PoolerStore = FleetStore<PoolerConnection>

/// The one pooler connection of a login attempt: opened by the first call that needs it
/// (after the prompt when only `verify` runs, so no session waits on the user), reused by
/// every later call, closed by `close()`.
final class AttemptDatabase {
    private let settings: FleetSettings
    private var connection: PoolerConnection?

    init(settings: FleetSettings) {
        self.settings = settings
    }

    /// The store on this attempt's connection, connecting on first use. A call that failed
    /// closed the connection: every later call on it fails closed too.
    func store() throws(FleetError) -> PoolerStore {
        if let connection { return PoolerStore(connection: connection) }
        let opened = try PoolerConnection(settings)
        connection = opened
        return PoolerStore(connection: opened)
    }

    func close() {
        connection?.close()
    }
}
