import CPAM
import Glibc
import TwoFactorCore
import TwoFactorStore

/// Applies the options' exemptions (`Exemptions`) to one login: PAM_RHOST against
/// `exempt_network`, then the canonical user's groups, from the name service, against
/// `require_group` and `exempt_group`. An unknown user is never exempt by group.
///
/// Fails closed: a name-service error is PAM_AUTHINFO_UNAVAIL, and a `require_group` that
/// names no group is a configuration error (otherwise a typing mistake would exempt
/// everyone). An `exempt_group` that names no group exempts nobody, logged.
struct ExemptionCheck {
    let exemptions: Exemptions
    let log: PAMLog

    /// Why the login is exempt by `exempt_network`, or nil.
    func networkReason(rhost: String?) -> String? {
        exemptions.networkExemption(rhost: rhost)
    }

    /// Why the login is exempt by `require_group` or `exempt_group`, or nil when the user
    /// is asked for a code (as far as groups go).
    func groupReason(account: PasswdEntry?) throws(AttemptEnd) -> String? {
        guard let account, !exemptions.groupsToLookUp.isEmpty else { return nil }
        let userGroups: [gid_t]
        var members: Set<String> = []
        do throws(NameServiceError) {
            userGroups = try NameService.groups(of: account.name, primaryGID: account.gid)
        } catch {
            throw AttemptEnd("nss-error", error.description, code: PAM_AUTHINFO_UNAVAIL)
        }
        for group in exemptions.groupsToLookUp {
            let gid: gid_t?
            do throws(NameServiceError) { gid = try NameService.groupID(named: group) } catch {
                throw AttemptEnd("nss-error", error.description, code: PAM_AUTHINFO_UNAVAIL)
            }
            guard let gid else {
                if exemptions.requiredGroups.contains(group) {
                    throw AttemptEnd("config-error", "require_group=\(AttemptLog.quoted(group)): no such group",
                                     code: PAM_SERVICE_ERR)
                }
                log.error("exempt_group=\(AttemptLog.quoted(group)): no such group, so it exempts nobody")
                continue
            }
            if gid == account.gid || userGroups.contains(gid) { members.insert(group) }
        }
        return exemptions.groupExemption(memberOf: { members.contains($0) })
    }
}
