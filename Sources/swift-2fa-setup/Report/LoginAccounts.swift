import Glibc
import TwoFactorCore
import TwoFactorStore

/// An account that can log in, and with what: a password, SSH keys or both.
struct LoginAccount {
    let passwd: PasswdEntry
    let shell: String
    /// `password` and/or `keys`.
    let loginWith: [String]
}

/// The accounts that can log in, from the name service (getpwent, getspnam, getusershell;
/// no file parsed here): a usable shell (not nologin or false, and listed in /etc/shells or
/// executable), an account that has not expired, and a usable password hash or an
/// authorized_keys file.
enum LoginAccounts {
    /// Every account that can log in, in the name service's order.
    static func list() throws(SetupFailure) -> [LoginAccount] {
        let entries: [AccountEntry]
        do throws(NameServiceError) { entries = try NameService.accounts() } catch {
            throw .io("cannot list the accounts: \(error)")
        }
        let shells = listedShells()
        let today = Int(time(nil) / 86_400)
        var accounts: [LoginAccount] = []
        for entry in entries where usableShell(entry.shell, listed: shells) {
            let shadow: ShadowEntry?
            do throws(NameServiceError) { shadow = try NameService.shadow(of: entry.passwd.name) } catch {
                throw .io("cannot read the shadow entry of \(entry.passwd.name): \(error)")
            }
            if let expires = shadow?.expiresOnDay, expires <= today { continue }
            var means: [String] = []
            let hash = entry.passwdField == "x" ? shadow?.hash : entry.passwdField
            if let hash, usableHash(hash) { means.append("password") }
            if hasAuthorizedKeys(home: entry.passwd.home) { means.append("keys") }
            guard !means.isEmpty else { continue }
            accounts.append(LoginAccount(passwd: entry.passwd, shell: entry.shell.isEmpty ? "/bin/sh" : entry.shell,
                                         loginWith: means))
        }
        return accounts
    }

    /// A shell a login can start: not nologin or false, and listed in /etc/shells or
    /// executable. An empty shell is /bin/sh.
    static func usableShell(_ shell: String, listed: Set<String>) -> Bool {
        let path = shell.isEmpty ? "/bin/sh" : shell
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard name != "nologin", name != "false" else { return false }
        return listed.contains(path) || access(path, X_OK) == 0
    }

    /// A hash some password matches: not locked (`!`) or disabled (`*`). An empty one means
    /// no password at all, which pam_unix's nullok lets in, so it counts.
    static func usableHash(_ hash: String) -> Bool {
        !hash.hasPrefix("!") && !hash.hasPrefix("*") && hash != "x"
    }

    /// True when the home holds a non-empty `.ssh/authorized_keys` or `authorized_keys2`.
    static func hasAuthorizedKeys(home: String) -> Bool {
        ["authorized_keys", "authorized_keys2"].contains { name in
            var info = stat()
            return stat("\(home)/.ssh/\(name)", &info) == 0 && info.st_mode & S_IFMT == S_IFREG && info.st_size > 0
        }
    }

    /// The shells /etc/shells lists (getusershell).
    private static func listedShells() -> Set<String> {
        setusershell()
        defer { endusershell() }
        var shells: Set<String> = []
        while let shell = getusershell() { shells.insert(String(cString: shell)) }
        return shells
    }
}
