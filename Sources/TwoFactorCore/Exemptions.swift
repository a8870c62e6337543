/// Who is not asked for a code: the options `exempt_group=`, `require_group=` and
/// `exempt_network=` (module line or configuration file). An exempted login ends in
/// PAM_IGNORE, never PAM_SUCCESS, so the rest of the stack still decides: the module only
/// steps aside.
///
/// The decision is made here from what the module looked up (the user's groups, PAM_RHOST);
/// the module fails closed when the name service fails.
public struct Exemptions: Equatable, Sendable {
    /// Members of any of these groups are not asked.
    public var exemptGroups: [String] = []
    /// When set, only members of one of these groups are asked.
    public var requiredGroups: [String] = []
    /// Logins whose PAM_RHOST is a numeric address in one of these networks are not asked.
    public var exemptNetworks: [NetworkRange] = []

    /// The most groups or networks one option may list.
    public static let maximumEntries = 32

    public init() {}

    /// True when no rule is set: nobody is exempt, and no lookup is needed.
    public var isEmpty: Bool { exemptGroups.isEmpty && requiredGroups.isEmpty && exemptNetworks.isEmpty }

    /// The groups whose membership the decision needs.
    public var groupsToLookUp: [String] { requiredGroups + exemptGroups.filter { !requiredGroups.contains($0) } }

    /// Why the login is exempt by its address, or nil: PAM_RHOST is a numeric address in an
    /// `exempt_network`. Checked first, since it needs no lookup.
    public func networkExemption(rhost: String?) -> String? {
        guard let rhost, let network = exemptNetworks.first(where: { $0.contains(rhost: rhost) }) else { return nil }
        return "rhost in exempt_network \(network)"
    }

    /// Why the user is exempt by group, or nil when the user is asked: outside every
    /// `require_group` (when set), or in an `exempt_group`. `memberOf` answers for each group
    /// of `groupsToLookUp`.
    public func groupExemption(memberOf: (String) -> Bool) -> String? {
        if !requiredGroups.isEmpty && !requiredGroups.contains(where: memberOf) {
            return "not a member of require_group \(requiredGroups.joined(separator: ","))"
        }
        if let group = exemptGroups.first(where: memberOf) {
            return "member of exempt_group \(group)"
        }
        return nil
    }

    /// The option text of the rules that are set, for `pam status`.
    public var summary: [String] {
        var parts: [String] = []
        if !exemptGroups.isEmpty { parts.append("exempt_group=" + exemptGroups.joined(separator: ",")) }
        if !requiredGroups.isEmpty { parts.append("require_group=" + requiredGroups.joined(separator: ",")) }
        if !exemptNetworks.isEmpty { parts.append("exempt_network=" + exemptNetworks.map { $0.description }.joined(separator: ",")) }
        return parts
    }

    /// A comma-separated list of group names.
    static func groups(_ key: String, _ value: String?) throws(OptionError) -> [String] {
        let names = try list(key, value, what: "group names")
        guard names.allSatisfy(UserName.isSafe) else { throw OptionError("option '\(key)' needs group names") }
        return names
    }

    /// A comma-separated list of numeric networks (`ADDRESS[/PREFIX]`).
    static func networks(_ key: String, _ value: String?) throws(OptionError) -> [NetworkRange] {
        var ranges: [NetworkRange] = []
        for text in try list(key, value, what: "numeric networks (ADDRESS/PREFIX)") {
            guard let range = NetworkRange(text) else {
                throw OptionError("option '\(key)': '\(text.prefix(64))' is not a numeric network such as "
                                  + "192.0.2.0/24 or 2001:db8::/32 (no host names; no bits set past the prefix)")
            }
            ranges.append(range)
        }
        return ranges
    }

    private static func list(_ key: String, _ value: String?, what: String) throws(OptionError) -> [String] {
        guard let value, !value.isEmpty, value.utf8.count <= 4096 else {
            throw OptionError("option '\(key)' needs a comma-separated list of \(what)")
        }
        // The configuration file allows a space after each comma.
        let items = value.split(separator: ",", omittingEmptySubsequences: false).map {
            String(decoding: Array($0.utf8).trimmingBlanks(), as: UTF8.self)
        }
        guard items.allSatisfy({ !$0.isEmpty }), items.count <= maximumEntries, Set(items).count == items.count else {
            throw OptionError("option '\(key)' needs 1 to \(maximumEntries) different \(what), separated by commas")
        }
        return items
    }
}

extension Array where Element == UInt8 {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingBlanks() -> ArraySlice<UInt8> {
        var slice = self[...]
        while let first = slice.first, first == 0x20 || first == 0x09 { slice.removeFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice.removeLast() }
        return slice
    }
}
