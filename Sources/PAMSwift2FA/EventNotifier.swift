import Glibc
import TwoFactorCore
import TwoFactorStore

/// Tells the admin's hook (`notify =` in the configuration file) what a login did: a backup
/// code used, few left, a lock, an enrollment at login. The hook runs detached
/// (`EventHook`), so nothing here delays or changes the login; when it cannot run, one log
/// line says why.
struct EventNotifier {
    let program: String?
    let service: String
    let rhost: String?
    let log: PAMLog

    /// Runs the hook once for each event of `kinds`, for `user`.
    func tell(_ kinds: [HookEvent.Kind], user: String, backupCodesLeft: Int? = nil) {
        guard let program, !kinds.isEmpty else { return }
        let hook = EventHook(program: program)
        for kind in kinds {
            let event = HookEvent(kind, user: user, service: service, rhost: rhost, time: Int64(time(nil)),
                                  host: HostName.current(), backupCodesLeft: backupCodesLeft)
            if let problem = hook.run(event, logIdentity: "pam_swift2fa") {
                log.error(problem)
                return
            }
        }
    }
}
