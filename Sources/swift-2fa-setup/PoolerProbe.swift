import Glibc
import TwoFactorCore
import TwoFactorStore

/// One call through the pooler's socket, as a login would make it (database `Pooler.database`,
/// user `Pooler.clientUser`): `prompt_digits` of a user name that cannot exist.
struct PoolerProbe {
    let settings: FleetSettings

    /// Seconds `callUntilReady` waits for a pooler that was just started.
    static let startSeconds = 15

    /// The call; a pooler or database that does not answer is `databaseUnavailable`.
    func call() throws(FleetError) {
        let conninfo = "host=\(settings.poolerDirectory) port=\(Pooler.port) dbname=\(Pooler.database) "
            + "user=\(Pooler.clientUser) sslmode=disable"
        _ = try FleetStore(conninfo: conninfo, timeout: settings.timeoutSeconds).promptDigits(user: "swift-2fa probe")
    }

    /// The call, retried while the pooler is still starting (its socket not there yet).
    func callUntilReady() throws(FleetError) {
        var started = timespec()
        clock_gettime(CLOCK_MONOTONIC, &started)
        while true {
            do throws(FleetError) {
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
