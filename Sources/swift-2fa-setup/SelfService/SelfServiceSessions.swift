import Glibc
import TwoFactorCore
import TwoFactorStore

/// The session tokens of the self-service socket. An accepted code gives the caller a token
/// that stands for a code in their next requests for `lifetime` seconds, because a TOTP code
/// works once and a page does several things in a row.
///
/// A token is 32 random bytes (64 hex digits), bound to the caller's uid: one file per uid
/// in a root-only directory (mode 0700; under /run, so a reboot ends every session), holding
/// the expiry and the token's SHA-256 HMAC under a fixed key, never the token itself. A new
/// token replaces the uid's previous one.
struct SelfServiceSessions {
    /// The default directory.
    static let defaultDirectory = "/run/swift-2fa/sessions"
    /// The default lifetime: 5 minutes.
    static let defaultLifetime: Int64 = 300

    let directory: String
    let lifetime: Int64

    /// A new token, not recorded yet; nil when the system gives no random bytes.
    static func newToken() -> String? {
        SecureRandom.bytes(32).map(Hex.encode)
    }

    /// Records `token` as `uid`'s session from `now`; false (and no session) when it cannot.
    func record(_ token: String, for uid: uid_t, now: Int64) -> Bool {
        guard prepareDirectory(), let digest = Self.digest(token) else { return false }
        do throws(StoreError) {
            try AtomicFile.write("\(now + lifetime) \(digest)\n", to: path(for: uid), mode: 0o600)
        } catch {
            return false
        }
        return true
    }

    /// True when `token` is `uid`'s current, unexpired token.
    func isValid(_ token: String, for uid: uid_t, now: Int64) -> Bool {
        let requirements = SafeFile.Requirements(allowedOwners: [0], maximumSize: 256)
        guard SelfServiceRequest.isSessionShape(token),
              let text = try? SafeFile.read(path(for: uid), what: "session", requirements: requirements) else { return false }
        let fields = text.split(separator: " ")
        guard fields.count == 2, let expiry = Int64(fields[0]), now < expiry,
              let stored = Hex.decode(fields[1].prefix { $0 != "\n" }), let digest = Self.digest(token),
              let expected = Hex.decode(Substring(digest)) else { return false }
        return ConstantTime.equal(stored, expected)
    }

    private func path(for uid: uid_t) -> String { "\(directory)/\(uid)" }

    /// The directory (also `ConfirmAttempts`'), made root-only when missing; false when it is
    /// not root's and private.
    func prepareDirectory() -> Bool {
        var info = stat()
        if lstat(directory, &info) != 0 {
            guard errno == ENOENT, mkdir(directory, 0o700) == 0 || errno == EEXIST else { return false }
            guard lstat(directory, &info) == 0 else { return false }
        }
        return (info.st_mode & S_IFMT) == S_IFDIR && info.st_uid == 0 && (info.st_mode & 0o077) == 0
    }

    /// The token's stored form.
    private static func digest(_ token: String) -> String? {
        HashAlgorithm.sha256.hmac(key: Array("swift-2fa self-service session".utf8), message: Array(token.utf8)).map(Hex.encode)
    }
}
