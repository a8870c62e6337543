import Glibc

/// Holds SIGINT, SIGTERM and SIGHUP back while a PAM file is in a state that must not be
/// left behind (edited but not yet tried), so an interrupted `pam enable` can still put
/// the old file back. Programs started meanwhile get the normal signal mask (Subprocess).
struct SignalDeferral {
    private static let signals = [SIGINT, SIGTERM, SIGHUP]
    private var previous = sigset_t()

    /// Blocks the signals until `end()`.
    init() {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in Self.signals { sigaddset(&set, signal) }
        sigprocmask(SIG_BLOCK, &set, &previous)
    }

    /// Whether one of the signals arrived while blocked.
    var interrupted: Bool {
        var pending = sigset_t()
        sigpending(&pending)
        return Self.signals.contains { sigismember(&pending, $0) == 1 }
    }

    /// Unblocks the signals; one that arrived meanwhile is delivered now.
    func end() {
        var previous = self.previous
        sigprocmask(SIG_SETMASK, &previous, nil)
    }
}
