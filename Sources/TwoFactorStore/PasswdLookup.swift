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
    /// Largest buffer offered to the name service; an entry that needs more is an error.
    static let maximumBufferSize = 1 << 20

    /// Looks a user up by name with getpwnam_r (never from the environment). The entry's
    /// `name` is the canonical spelling the name service returns.
    public static func lookup(_ name: String) throws(PasswdLookupError) -> PasswdEntry {
        try query { getpwnam_r(name, $0, $1, $2, $3) }
    }

    /// Looks a user up by uid with getpwuid_r.
    public static func lookup(uid: uid_t) throws(PasswdLookupError) -> PasswdEntry {
        try query { getpwuid_r(uid, $0, $1, $2, $3) }
    }

    /// Runs a reentrant lookup, growing the buffer on ERANGE (a large directory entry)
    /// and retrying on EINTR. Only "result NULL, error 0" means there is no such user.
    private static func query(
        _ call: (UnsafeMutablePointer<passwd>, UnsafeMutablePointer<CChar>, Int,
                 UnsafeMutablePointer<UnsafeMutablePointer<passwd>?>) -> Int32
    ) throws(PasswdLookupError) -> PasswdEntry {
        var size = 16_384
        while true {
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            var buffer = [CChar](repeating: 0, count: size)
            let rc = buffer.withUnsafeMutableBufferPointer { storage -> Int32 in
                guard let base = storage.baseAddress else { return ENOMEM }
                return call(&entry, base, storage.count, &result)
            }
            switch rc {
            case 0:
                guard result != nil else { throw .noSuchUser }
                guard let name = entry.pw_name, let home = entry.pw_dir else { throw .lookupFailed(errno: EINVAL) }
                return PasswdEntry(name: String(cString: name), uid: entry.pw_uid, gid: entry.pw_gid,
                                   home: String(cString: home))
            case ERANGE where size < maximumBufferSize:
                size *= 4
            case EINTR:
                continue
            default:
                throw .lookupFailed(errno: rc)
            }
        }
    }
}
