import Glibc

/// Whether a user belongs to a group (`enroll_group=`), from the name service:
/// the passwd entry's primary group and the supplementary groups (getgrouplist).
enum GroupMembership {
    /// The answer of the name service.
    enum Answer: Equatable {
        case member
        case notMember
        /// No group of that name exists.
        case noSuchGroup
        /// The name service failed; the caller fails closed.
        case lookupError(String)
    }

    /// Checks `user` (with primary group `primaryGID`) against the group named `group`.
    static func check(user: String, primaryGID: gid_t, group: String) -> Answer {
        let found: gid_t?
        do throws(LookupError) { found = try groupID(named: group) } catch {
            return .lookupError(error.description)
        }
        guard let target = found else { return .noSuchGroup }
        if target == primaryGID { return .member }
        var count: Int32 = 64
        for _ in 0..<8 {
            var groups = [gid_t](repeating: 0, count: Int(count))
            var found = count
            let rc = groups.withUnsafeMutableBufferPointer { buffer -> Int32 in
                guard let base = buffer.baseAddress else { return -2 }
                return getgrouplist(user, primaryGID, base, &found)
            }
            if rc >= 0 {
                return groups.prefix(Int(max(0, min(found, count)))).contains(target) ? .member : .notMember
            }
            // -1: the list did not fit; `found` holds the size needed.
            guard rc == -1, found > count, found <= 65_536 else {
                return .lookupError("getgrouplist failed for \(user)")
            }
            count = found
        }
        return .lookupError("getgrouplist did not settle for \(user)")
    }

    /// The gid of a group name with getgrnam_r, growing the buffer on ERANGE.
    /// Nil when no such group exists; throws when the name service failed.
    private static func groupID(named name: String) throws(LookupError) -> gid_t? {
        var size = 16_384
        while size <= 1 << 22 {
            var entry = group()
            var result: UnsafeMutablePointer<group>?
            var buffer = [CChar](repeating: 0, count: size)
            let rc = buffer.withUnsafeMutableBufferPointer { storage -> Int32 in
                guard let base = storage.baseAddress else { return ENOMEM }
                return getgrnam_r(name, &entry, base, storage.count, &result)
            }
            if rc == ERANGE {
                size *= 4
                continue
            }
            // "Not found" is a null result with 0, or ENOENT from some NSS modules (getgrnam_r(3)).
            if (rc == 0 && result == nil) || rc == ENOENT { return nil }
            guard rc == 0 else { throw LookupError(description: "getgrnam_r(\(name)) failed: \(String(cString: strerror(rc)))") }
            return entry.gr_gid
        }
        throw LookupError(description: "group \(name) is too large to look up")
    }

    /// Why the name service could not answer.
    struct LookupError: Error {
        let description: String
    }
}
