/// An event for the admin's hook (`notify =` in the configuration file): what happened,
/// to whom, where and when. Its JSON never holds a code, a backup code or a secret.
public struct HookEvent: Equatable, Sendable {
    /// What happened.
    public enum Kind: String, Equatable, Sendable, CaseIterable {
        /// A backup code was accepted (and is now used up).
        case backupCodeUsed = "backup-code-used"
        /// Two or fewer backup codes are left after one was used.
        case backupCodesLow = "backup-codes-low"
        /// Too many wrong codes: the second factor is locked until an admin unlocks it.
        case locked
        /// A user without an enrollment was enrolled.
        case enrolled
        /// An enrollment was replaced by a new one.
        case replaced
        /// An enrollment was removed (`reset`, `disable`).
        case reset
        /// A credential joined an enrollment (`enroll --add`, an import).
        case credentialAdded = "credential-added"
        /// A credential was removed (`credentials remove`).
        case credentialRemoved = "credential-removed"
        /// A rejected code matched a TOTP credential's codes outside the window: a clock is off.
        case driftFound = "drift-found"
    }

    /// Two or fewer backup codes left is worth telling.
    public static let lowBackupCodes = 2

    public var kind: Kind
    /// The canonical account.
    public var user: String
    /// PAM_SERVICE, or `swift-2fa-setup` for the command.
    public var service: String
    /// PAM_RHOST, when there is one.
    public var rhost: String?
    /// Unix time.
    public var time: Int64
    /// This host's name.
    public var host: String
    /// Backup codes left, where known.
    public var backupCodesLeft: Int?

    public init(_ kind: Kind, user: String, service: String, rhost: String?, time: Int64, host: String,
                backupCodesLeft: Int? = nil) {
        self.kind = kind
        self.user = user
        self.service = service
        self.rhost = rhost
        self.time = time
        self.host = host
        self.backupCodesLeft = backupCodesLeft
    }

    /// One JSON object and a newline: event, user, service, rhost (null when none), time,
    /// host, and backup_codes_left when known.
    public var json: String {
        var text = "{\"event\":\(Self.quoted(kind.rawValue)),\"user\":\(Self.quoted(user)),"
        text += "\"service\":\(Self.quoted(service)),\"rhost\":\(rhost.map(Self.quoted) ?? "null"),"
        text += "\"time\":\(time),\"host\":\(Self.quoted(host))"
        if let backupCodesLeft { text += ",\"backup_codes_left\":\(backupCodesLeft)" }
        return text + "}\n"
    }

    /// A JSON string: quotes, backslashes and control characters escaped; bytes that are
    /// not UTF-8 become U+FFFD. (Also the fleet store's JSON of credentials.)
    public static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
