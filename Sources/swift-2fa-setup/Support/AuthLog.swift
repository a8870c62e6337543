import Glibc

/// Lines for the system log, facility authpriv (as the module's), tagged with the program's
/// name. Never a code, a backup code or a token.
enum AuthLog {
    /// A change or an answer given (LOG_NOTICE).
    static func notice(_ text: String) { write(LOG_NOTICE, text) }

    /// A refusal or a problem (LOG_WARNING).
    static func warning(_ text: String) { write(LOG_WARNING, text) }

    private static func write(_ priority: Int32, _ text: String) {
        text.withCString { line in
            withVaList([line]) { arguments in vsyslog(LOG_AUTHPRIV | priority, "%s", arguments) }
        }
    }
}
