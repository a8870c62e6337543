import Glibc
import TwoFactorCore
import TwoFactorStore

/// The fleet store as the login process reaches it: through the local pooler.
typealias PoolerStore = FleetStore<PoolerConnection>

/// The one pooler connection of a login: opened by the first call that needs it (after the
/// prompt when only `verify` runs, so no session waits on the user), reused by every later
/// call, and closed when the attempt ends. In a `split_answer` stack the splitting instance
/// hands it on idle (`handOver()`) and the verifying instance takes it, so that the login
/// still opens one connection.
final class AttemptDatabase {
    private let settings: FleetSettings
    private let conversation: Conversation
    private var connection: PoolerConnection?

    init(settings: FleetSettings, conversation: Conversation) {
        self.settings = settings
        self.conversation = conversation
    }

    /// The store on this attempt's connection: the one an earlier instance handed on if it
    /// is still good, else a new one. A call that failed closed the connection: every later
    /// call on it fails closed too.
    func store() throws(EnrollmentStoreError) -> PoolerStore {
        if let connection { return PoolerStore(connection: connection) }
        if let kept = conversation.takeKeptConnection(),
           let resumed = try? PoolerConnection(resuming: kept, settings: settings) {
            connection = resumed
            return PoolerStore(connection: resumed)
        }
        let opened = try PoolerConnection(settings)
        connection = opened
        return PoolerStore(connection: opened)
    }

    /// Hands the connection on to the next instance of the module in the stack when it is
    /// idle; otherwise (or when PAM cannot keep it) closes it.
    func handOver() {
        guard let descriptor = connection?.handOver() else { return close() }
        connection = nil
        if !conversation.keepConnection(descriptor) {
            _ = Glibc.close(descriptor)
        }
    }

    func close() {
        connection?.close()
        connection = nil
    }
}
