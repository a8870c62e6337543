/// When enrollment at login draws the QR code in half blocks (`enroll_qr=`). Only a
/// terminal draws them; a web page such as Cockpit's login shows a wall of `?` instead.
public enum EnrollQR: String, Equatable, Sendable {
    /// Draw it when PAM_TTY says a terminal is at the other end (the default).
    case auto
    case always
    case never

    /// True when the QR code is drawn for a login whose PAM_TTY item is `tty`.
    public func draws(tty: String?) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto: return Self.isTerminal(tty)
        }
    }

    /// True when PAM_TTY names a terminal. What applications set during authentication
    /// (checked on Debian 12 and in their sources, December 2026):
    /// - sshd: `ssh`, its name for a network login (the pty, if any, comes later), and
    ///   the OpenSSH client shows the conversation on the user's terminal;
    /// - sudo and su: the user's terminal, `/dev/pts/3`; sudo sets nothing without one
    ///   (`sudo -S` fed from a pipe);
    /// - login: the line, with or without `/dev/` (`tty1`, `pts/0`: shadow's login strips it);
    /// - cockpit-session: nothing (it sets PAM_RHOST only): the conversation goes to a web page;
    /// - display managers: the X display, `:0`.
    public static func isTerminal(_ tty: String?) -> Bool {
        guard let tty, !tty.isEmpty else { return false }
        if tty == "ssh" { return true }
        if tty.hasPrefix("/dev/") { return tty.utf8.count > "/dev/".utf8.count }
        return tty.hasPrefix("tty") || tty.hasPrefix("pts/") || tty == "console"
    }
}
