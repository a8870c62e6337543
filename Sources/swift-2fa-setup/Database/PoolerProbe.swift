import Glibc
import TwoFactorCore
import TwoFactorStore

/// One call through the pooler's socket exactly as a login makes it (the module's own
/// protocol client, `PoolerConnection`, with its directory checks): `prompt_digits` of a user
/// name that cannot exist.
struct PoolerProbe {
    let settings: FleetSettings

    /// Seconds `callUntilReady` waits for a pooler that was just started.
    static let startSeconds = 15

    /// The call; a pooler or database that does not answer is `databaseUnavailable`.
    func call() throws(EnrollmentStoreError) {
        let connection = try PoolerConnection(settings)
        defer { connection.close() }
        _ = try TwoFactorStore.FleetStore(connection: connection).promptDigits(user: "swift-2fa probe")
    }

    /// The call, retried while the pooler is still starting (its socket not there yet).
    func callUntilReady() throws(EnrollmentStoreError) {
        var started = timespec()
        clock_gettime(CLOCK_MONOTONIC, &started)
        while true {
            do throws(EnrollmentStoreError) {
                try call()
                return
            } catch {
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                guard error.kind == .databaseUnavailable, now.tv_sec - started.tv_sec < Self.startSeconds else { throw error }
                usleep(200_000)
            }
        }
    }
}
