/// The documented exit statuses of swift-2fa-setup. Each outcome has its own value,
/// so a panel or script can tell them apart without parsing messages.
enum ExitStatus: Int32 {
    /// The command did what was asked.
    case success = 0
    /// A code was wrong, replayed, throttled or locked: verification refused; or a check
    /// (`pam check`, `ssh check`) found a problem.
    case refused = 1
    /// The user is not enrolled, or there is no (unexpired) pending enrollment.
    case notEnrolled = 2
    /// Bad command line or bad argument value (sysexits EX_USAGE).
    case usage = 64
    /// A file could not be read, written or trusted, or permission is missing (sysexits EX_IOERR).
    case ioError = 74

    /// The table shown in `--help` and mirrored in the man page.
    static let helpText = """
        EXIT STATUS:
          0   success
          1   wrong code or verification refused (also: replayed, throttled, locked);
              or 'pam check' or 'ssh check' found a problem
          2   not enrolled, or nothing pending, or the pending enrollment expired
          64  usage error (bad option or value, unknown user, --force needed,
              malformed import file)
          74  I/O or permission error (unusable file, store or configuration file,
              not allowed)
        """
}

/// A failure that ends the command: one line on stderr (none when the command already said
/// everything) and the documented exit status of its kind, both given by main.swift.
struct SetupFailure: Error {
    /// What went wrong; main.swift maps each kind to its `ExitStatus`.
    indirect enum Kind: Equatable, Sendable {
        /// A code was wrong, replayed, throttled or locked, or a check failed.
        case refused
        /// Not enrolled, or nothing (unexpired) pending.
        case notEnrolled
        /// A bad command line or argument value.
        case usage
        /// A file, store, database or permission problem.
        case ioError
        /// The command already said everything on stdout (`status` of a user who is not
        /// enrolled): only the exit status of the kind inside is left to give, no line.
        case reported(Kind)
    }

    let kind: Kind
    /// The line for stderr; empty for a `.reported` kind.
    let message: String

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// A file or permission problem.
    static func io(_ message: String) -> SetupFailure { SetupFailure(.ioError, message) }
    /// A bad argument.
    static func usage(_ message: String) -> SetupFailure { SetupFailure(.usage, message) }
    /// The command already said everything; it ends with the exit status of `kind`.
    static func reported(_ kind: Kind) -> SetupFailure { SetupFailure(.reported(kind), "") }
}
