import FleetLibPQ
import TwoFactorStore

/// In this command the fleet store is always reached through libpq with the configuration
/// file's conninfo (the login process uses the local pooler instead).
typealias FleetStore = TwoFactorStore.FleetStore<LibPQConnection>
