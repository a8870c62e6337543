import Glibc

/// The name service, asked through its reentrant calls only (never the environment): for
/// the module and the command alike. One rule for every lookup: only "result NULL, error 0"
/// means "not found"; any other error, ENOENT included, is the name service failing, never
/// "not found", so that an outage cannot make a user or a group disappear.
public enum NameService {
    /// Largest buffer offered to the name service; an entry that needs more is an error.
    static let maximumBufferSize = 1 << 22

    /// Runs a reentrant lookup (getpwnam_r, getgrnam_r, ...) into `entry`, growing the
    /// buffer on ERANGE and retrying on EINTR; `read` takes what it needs from the entry
    /// while the buffer lives. Nil when there is no such entry.
    public static func query<Entry, Value>(
        _ entry: Entry,
        _ call: (UnsafeMutablePointer<Entry>, UnsafeMutablePointer<CChar>, Int, UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>) -> Int32,
        read: (Entry) -> Value?
    ) throws(NameServiceError) -> Value? {
        var size = 16_384
        while true {
            var filled = entry
            var result: UnsafeMutablePointer<Entry>?
            var buffer = [CChar](repeating: 0, count: size)
            var value: Value?
            let rc = buffer.withUnsafeMutableBufferPointer { storage -> Int32 in
                guard let base = storage.baseAddress else { return ENOMEM }
                let rc = call(&filled, base, storage.count, &result)
                if rc == 0 && result != nil { value = read(filled) }
                return rc
            }
            switch rc {
            case 0:
                guard result != nil else { return nil }
                guard let value else { throw NameServiceError(errno: EINVAL) }
                return value
            case ERANGE where size < maximumBufferSize:
                size *= 4
            case EINTR:
                continue
            default:
                throw NameServiceError(errno: rc)
            }
        }
    }

    /// The gid of the group `name`; nil when there is no such group.
    public static func groupID(named name: String) throws(NameServiceError) -> gid_t? {
        try query(group(), { getgrnam_r(name, $0, $1, $2, $3) }, read: { $0.gr_gid })
    }

    /// The groups `user` belongs to as login would set them: the primary group and every
    /// group that lists the user (getgrouplist).
    public static func groups(of user: String, primaryGID: gid_t) throws(NameServiceError) -> [gid_t] {
        var count: Int32 = 64
        while count <= 65_536 {
            var groups = [gid_t](repeating: 0, count: Int(count))
            var found = count
            let rc = groups.withUnsafeMutableBufferPointer { buffer -> Int32 in
                guard let base = buffer.baseAddress else { return -2 }
                return getgrouplist(user, primaryGID, base, &found)
            }
            if rc >= 0 { return Array(groups.prefix(Int(max(0, min(found, count))))) }
            // -1: the list did not fit; `found` holds the size needed.
            guard rc == -1, found > count else { break }
            count = found
        }
        throw NameServiceError(errno: EINVAL, what: "getgrouplist did not settle for \(user)")
    }
}

/// Why the name service gave no answer.
public struct NameServiceError: Error, Equatable, CustomStringConvertible {
    public let errno: Int32
    public let description: String

    init(errno: Int32, what: String? = nil) {
        self.errno = errno
        description = what ?? "name service error: \(errnoText(errno))"
    }
}
