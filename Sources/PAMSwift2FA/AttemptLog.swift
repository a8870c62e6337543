import CPAM

/// The one final log line of an attempt:
/// `user=alice service=sshd rhost=192.0.2.1 result=accepted-totp`, plus `reason="..."`.
struct AttemptLog {
    let handle: OpaquePointer
    var service: String
    var rhost: String
    var user: String = ""

    init(handle: OpaquePointer, service: String, rhost: String) {
        self.handle = handle
        self.service = service
        self.rhost = rhost
    }

    /// Writes the line and returns `code`, so callers can `return attempt.finish(...)`.
    func finish(_ result: String, reason: String?, code: Int32) -> Int32 {
        var line = "user=\(Self.printable(user)) service=\(Self.printable(service)) rhost=\(Self.printable(rhost)) result=\(result)"
        if let reason { line += " reason=\"\(Self.printable(reason))\"" }
        let priority = code == PAM_SUCCESS || code == PAM_IGNORE ? LOG_NOTICE : LOG_WARNING
        s2fa_pam_log(handle, priority, line)
        return code
    }

    /// Replaces control characters, quotes and non-ASCII bytes, and caps the length,
    /// so a hostile user name or host cannot forge log lines.
    static func printable(_ text: String) -> String {
        var out: [UInt8] = []
        for byte in text.utf8.prefix(256) {
            out.append(byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") ? byte : UInt8(ascii: "?"))
        }
        return String(decoding: out, as: UTF8.self)
    }
}
