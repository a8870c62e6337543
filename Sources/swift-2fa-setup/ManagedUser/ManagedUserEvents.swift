import Glibc
import TwoFactorCore
import TwoFactorStore

/// The admin's event hook (`notify =` in the configuration file) for the changes the
/// command makes: an enrollment created, replaced or removed. The hook runs detached
/// (`EventHook`); when it cannot run, a warning says why and the command still succeeds.
extension ManagedUser {
    /// The event an activation gives: `.replaced` when it replaces an active enrollment,
    /// else `.enrolled`. Nil when no hook is set (then the store is not asked).
    func activationEvent(replace: Bool) -> HookEvent.Kind? {
        guard notifyProgram != nil else { return nil }
        guard replace else { return .enrolled }
        let enrolled = (try? enrollments.hasEnrollment(user: user)) ?? false
        return enrolled ? .replaced : .enrolled
    }

    /// Runs the hook for `kind` (nothing when nil or no hook is set).
    func notify(_ kind: HookEvent.Kind?) {
        guard let kind, let notifyProgram else { return }
        let event = HookEvent(kind, user: user, service: "swift-2fa-setup", rhost: nil, time: Enrollment.now(),
                              host: HostName.current())
        if let problem = EventHook(program: notifyProgram).run(event, logIdentity: "swift-2fa-setup") {
            Output.warning(problem)
        }
    }
}
