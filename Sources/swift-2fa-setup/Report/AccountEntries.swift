import CShadow
import Glibc
import TwoFactorCore
import TwoFactorStore

/// One account of the name service with what decides whether it can log in: its passwd
/// entry, its shell, and its password field (from shadow when there is a shadow entry).
struct AccountEntry: Equatable, Sendable {
    /// The passwd entry (canonical name, ids, home).
    let passwd: PasswdEntry
    /// The login shell; empty means /bin/sh.
    let shell: String
    /// The passwd entry's password field (`x` when it lives in shadow).
    let passwdField: String
}

/// An account's shadow entry: the password hash and when the account expires.
struct ShadowEntry: Equatable, Sendable {
    /// The hash; `!` or `*` in front means no password works.
    let hash: String
    /// The day (since 1970) the account expires; nil when it never does (an empty field, or
    /// 0, which shadow(5) leaves ambiguous and is taken as never).
    let expiresOnDay: Int?
}

extension NameService {
    /// Every account the name service lists (getpwent_r), in its order. A failure part way
    /// through is an error, never a shorter list.
    static func accounts() throws(NameServiceError) -> [AccountEntry] {
        setpwent()
        defer { endpwent() }
        var accounts: [AccountEntry] = []
        while true {
            let next = try query(passwd(), { getpwent_r($0, $1, $2, $3) }) { entry -> AccountEntry? in
                guard let name = entry.pw_name, let home = entry.pw_dir else { return nil }
                let account = PasswdEntry(name: String(cString: name), uid: entry.pw_uid, gid: entry.pw_gid,
                                          home: String(cString: home))
                return AccountEntry(passwd: account, shell: entry.pw_shell.map { String(cString: $0) } ?? "",
                                    passwdField: entry.pw_passwd.map { String(cString: $0) } ?? "")
            } end: { $0 == ENOENT }
            guard let next else { return accounts }
            accounts.append(next)
        }
    }

    /// The user's shadow entry (getspnam_r); nil when there is none.
    static func shadow(of user: String) throws(NameServiceError) -> ShadowEntry? {
        try query(spwd(), { getspnam_r(user, $0, $1, $2, $3) }) { entry -> ShadowEntry? in
            ShadowEntry(hash: entry.sp_pwdp.map { String(cString: $0) } ?? "",
                        expiresOnDay: entry.sp_expire > 0 ? Int(entry.sp_expire) : nil)
        }
    }

    /// `query`, with the error codes `end` accepts read as "no more entries" (getpwent_r
    /// ends its list with ENOENT).
    private static func query<Entry, Value>(
        _ entry: Entry,
        _ call: (UnsafeMutablePointer<Entry>, UnsafeMutablePointer<CChar>, Int, UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>) -> Int32,
        read: (Entry) -> Value?, end: (Int32) -> Bool
    ) throws(NameServiceError) -> Value? {
        do throws(NameServiceError) { return try query(entry, call, read: read) } catch {
            if end(error.errno) { return nil }
            throw error
        }
    }
}
