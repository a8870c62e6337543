import Glibc
import TwoFactorStore

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
        do throws(NameServiceError) {
            guard let target = try NameService.groupID(named: group) else { return .noSuchGroup }
            if target == primaryGID { return .member }
            return try NameService.groups(of: user, primaryGID: primaryGID).contains(target) ? .member : .notMember
        } catch {
            return .lookupError(error.description)
        }
    }
}
