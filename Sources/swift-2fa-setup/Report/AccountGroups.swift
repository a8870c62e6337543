import Glibc
import TwoFactorCore
import TwoFactorStore

/// Group lookups of the report, through the name service; a failure of the name service
/// ends the command (an outage must not make an account look exempt or out of a group).
enum AccountGroups {
    /// The gid of the group `name`; nil when there is no such group.
    static func id(of name: String) throws(SetupFailure) -> gid_t? {
        do throws(NameServiceError) { return try NameService.groupID(named: name) } catch {
            throw .io("cannot look up the group \(name): \(error)")
        }
    }

    /// The account's groups as login sets them: the primary group and every group that lists it.
    static func ids(of account: PasswdEntry) throws(SetupFailure) -> Set<gid_t> {
        do throws(NameServiceError) {
            return Set(try NameService.groups(of: account.name, primaryGID: account.gid)).union([account.gid])
        } catch {
            throw .io("cannot look up the groups of \(account.name): \(error)")
        }
    }
}
