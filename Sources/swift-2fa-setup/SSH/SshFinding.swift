/// One thing `ssh check` found in sshd's effective settings: which rule, how bad, the
/// keywords whose lines cause it, and what it means.
struct SshFinding: Equatable, Sendable {
    /// A problem makes `ssh check` fail; a warning is shown and leaves the exit status alone.
    enum Severity: String, Encodable, Sendable {
        case problem, warning
    }

    /// The rule that found it.
    enum Rule: String, Encodable, Sendable {
        /// UsePAM must be yes.
        case usePAM = "use_pam"
        /// KbdInteractiveAuthentication must be yes.
        case keyboardInteractive = "keyboard_interactive"
        /// Every usable AuthenticationMethods list must hold keyboard-interactive.
        case methods
        /// A usable list that never reaches PAM (a key alone).
        case bypass
        /// A Match block that undoes the set-up for the connections it matches.
        case match
        /// sshd refused the configuration, so nothing could be decided.
        case rejected
    }

    let rule: Rule
    let severity: Severity
    /// The keywords (lower case) whose lines cause it.
    let keywords: [String]
    let message: String
}
