import Glibc
import TwoFactorCore
import TwoFactorStore

/// A service's exemptions (`Exemptions`) decided per account, as the module decides them at
/// a login: by the account's groups from the name service (primary and supplementary).
/// `exempt_network` depends on where a login comes from, so it exempts no account here.
struct AccountExemptions {
    let exemptions: Exemptions
    /// The gid of each group the rules name that exists.
    private let groupIDs: [String: gid_t]

    /// Looks up the groups the rules name. A `require_group` that names no group is an error:
    /// the module refuses every login of the service with it (`config-error`).
    init(_ exemptions: Exemptions) throws(SetupFailure) {
        self.exemptions = exemptions
        var ids: [String: gid_t] = [:]
        for group in exemptions.groupsToLookUp {
            if let gid = try AccountGroups.id(of: group) {
                ids[group] = gid
            } else if exemptions.requiredGroups.contains(group) {
                throw .io("require_group=\(group): no such group; the module refuses every login with it")
            }
        }
        groupIDs = ids
    }

    /// Why `account` is not asked for a code by group, or nil when it is asked.
    func reason(for account: PasswdEntry) throws(SetupFailure) -> String? {
        guard !groupIDs.isEmpty || !exemptions.requiredGroups.isEmpty else { return nil }
        let groups = try AccountGroups.ids(of: account)
        return exemptions.groupExemption { name in groupIDs[name].map(groups.contains) ?? false }
    }

    /// What to say about `exempt_network`, when set: it cannot be decided per account.
    var networkNote: String? {
        guard !exemptions.exemptNetworks.isEmpty else { return nil }
        return "exempt_network=" + exemptions.exemptNetworks.map(\.description).joined(separator: ",")
            + ": logins from these networks are not asked for a code; which accounts log in from there cannot be told per account"
    }
}
