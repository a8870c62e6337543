import CPAM

/// Log lines other than the final one, through pam_syslog (facility authpriv). Codes,
/// backup codes and secrets are never passed here.
struct PAMLog {
    let handle: OpaquePointer
    let debugEnabled: Bool

    /// A warning or error line.
    func error(_ text: String) {
        s2fa_pam_log(handle, LOG_ERR, text)
    }

    /// An informational line (a setting that has no effect, for example).
    func notice(_ text: String) {
        s2fa_pam_log(handle, LOG_NOTICE, text)
    }

    /// A line written only with the `debug` option.
    func debug(_ text: @autoclosure () -> String) {
        if debugEnabled { s2fa_pam_log(handle, LOG_DEBUG, text()) }
    }
}
