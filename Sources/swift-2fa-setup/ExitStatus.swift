/// The documented exit statuses of swift-2fa-setup. Each outcome has its own value,
/// so a panel or script can tell them apart without parsing messages.
enum ExitStatus: Int32 {
    /// The command did what was asked.
    case success = 0
    /// A code was wrong, replayed, throttled or locked: verification refused.
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
          1   wrong code or verification refused (also: replayed, throttled, locked)
          2   not enrolled, or nothing pending, or the pending enrollment expired
          64  usage error (bad option or value, unknown user, --force needed,
              malformed import file)
          74  I/O or permission error (unusable file, store or configuration file,
              not allowed)
        """
}

/// A failure that ends the command: one line on stderr and a documented exit status.
struct SetupFailure: Error {
    let status: ExitStatus
    let message: String

    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    /// A file or permission problem.
    static func io(_ message: String) -> SetupFailure { SetupFailure(.ioError, message) }
    /// A bad argument.
    static func usage(_ message: String) -> SetupFailure { SetupFailure(.usage, message) }
}
