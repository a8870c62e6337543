import Glibc
import TwoFactorCore

/// Why a passwd lookup gave no entry.
public enum PasswdLookupError: Error, Equatable, CustomStringConvertible {
    /// The name service answered: there is no such user (getpwnam_r: result NULL, error 0).
    case noSuchUser
    /// The name service failed (an error code other than 0): the answer is unknown.
    case lookupFailed(errno: Int32)

    public var description: String {
        switch self {
        case .noSuchUser: return "no such user"
        case .lookupFailed(let code): return "name service error: \(errnoText(code))"
        }
    }
}

extension PasswdEntry {
    /// Looks a user up by name with getpwnam_r (never from the environment). The entry's
    /// `name` is the canonical spelling the name service returns.
    public static func lookup(_ name: String) throws(PasswdLookupError) -> PasswdEntry {
        try query { getpwnam_r(name, $0, $1, $2, $3) }
    }

    /// Looks a user up by uid with getpwuid_r.
    public static func lookup(uid: uid_t) throws(PasswdLookupError) -> PasswdEntry {
        try query { getpwuid_r(uid, $0, $1, $2, $3) }
    }

    /// Runs the lookup through `NameService.query` (its one "not found" rule).
    private static func query(
        _ call: (UnsafeMutablePointer<passwd>, UnsafeMutablePointer<CChar>, Int,
                 UnsafeMutablePointer<UnsafeMutablePointer<passwd>?>) -> Int32
    ) throws(PasswdLookupError) -> PasswdEntry {
        let found: PasswdEntry?
        do throws(NameServiceError) {
            found = try NameService.query(passwd(), call) { entry in
                guard let name = entry.pw_name, let home = entry.pw_dir else { return nil }
                return PasswdEntry(name: String(cString: name), uid: entry.pw_uid, gid: entry.pw_gid, home: String(cString: home))
            }
        } catch {
            throw .lookupFailed(errno: error.errno)
        }
        guard let found else { throw .noSuchUser }
        return found
    }
}
