import Glibc

/// The parts of a user's passwd entry swift-2fa needs: ids and home directory.
public struct PasswdEntry: Equatable, Sendable {
    public let name: String
    public let uid: uid_t
    public let gid: gid_t
    public let home: String

    public init(name: String, uid: uid_t, gid: gid_t, home: String) {
        self.name = name
        self.uid = uid
        self.gid = gid
        self.home = home
    }

    /// Looks a user up by name with getpwnam_r (never from the environment). Nil when unknown.
    public static func lookup(_ name: String) -> PasswdEntry? {
        query { getpwnam_r(name, $0, $1, $2, $3) }
    }

    /// Looks a user up by uid with getpwuid_r. Nil when unknown.
    public static func lookup(uid: uid_t) -> PasswdEntry? {
        query { getpwuid_r(uid, $0, $1, $2, $3) }
    }

    private static func query(
        _ call: (UnsafeMutablePointer<passwd>, UnsafeMutablePointer<CChar>, Int,
                 UnsafeMutablePointer<UnsafeMutablePointer<passwd>?>) -> Int32
    ) -> PasswdEntry? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        let rc = buffer.withUnsafeMutableBufferPointer { storage -> Int32 in
            guard let base = storage.baseAddress else { return ENOMEM }
            return call(&entry, base, storage.count, &result)
        }
        guard rc == 0, result != nil, let name = entry.pw_name, let home = entry.pw_dir else { return nil }
        return PasswdEntry(name: String(cString: name), uid: entry.pw_uid, gid: entry.pw_gid, home: String(cString: home))
    }
}
