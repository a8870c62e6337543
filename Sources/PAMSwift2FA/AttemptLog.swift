import CPAM

/// The one final log line of an attempt, with every variable field quoted:
/// `user="alice" service="sshd" rhost="192.0.2.1" result=accepted-totp`, plus `credential="..."`
/// (the credential whose code was accepted) and `reason="..."`.
/// When PAM was given another spelling of the account, `pam_user="ALICE"` follows `user`.
struct AttemptLog {
    let handle: OpaquePointer
    var service: String
    var rhost: String
    /// The canonical account name once known; until then the name PAM was given.
    var user: String = ""
    /// The name PAM was given, when it differs from the canonical account name.
    var givenUser: String?

    init(handle: OpaquePointer, service: String, rhost: String) {
        self.handle = handle
        self.service = service
        self.rhost = rhost
    }

    /// Writes the line and returns `code`, so callers can `return attempt.finish(...)`.
    func finish(_ result: String, reason: String?, code: Int32, credential: String? = nil) -> Int32 {
        var line = "user=\(Self.quoted(user))"
        if let givenUser { line += " pam_user=\(Self.quoted(givenUser))" }
        line += " service=\(Self.quoted(service)) rhost=\(Self.quoted(rhost)) result=\(result)"
        if let credential { line += " credential=\(Self.quoted(credential))" }
        if let reason { line += " reason=\(Self.quoted(reason))" }
        let priority = code == PAM_SUCCESS || code == PAM_IGNORE ? LOG_NOTICE : LOG_WARNING
        s2fa_pam_log(handle, priority, line)
        return code
    }

    /// The text in double quotes, with `"` and `\` escaped and every byte outside printable
    /// ASCII written as `\xNN`, capped at 256 bytes, so a hostile user name, host or service
    /// cannot forge fields or lines.
    static func quoted(_ text: String) -> String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [UInt8(ascii: "\"")]
        let bytes = text.utf8
        for byte in bytes.prefix(256) {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0x20..<0x7F:
                out.append(byte)
            default:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
            }
        }
        if bytes.count > 256 { out.append(contentsOf: Array("...".utf8)) }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }
}
