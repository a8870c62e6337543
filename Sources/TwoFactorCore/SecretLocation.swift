/// Where one user's secret file is and who may own it: the one place that decides it,
/// for the module and for `swift-2fa-setup` alike.
public struct SecretLocation: Equatable, Sendable {
    /// The absolute path of the secret file.
    public let path: String
    /// Uids allowed to own the file.
    public let owners: [UInt32]
    /// True in home mode: the file is outside the store (`secret=`, `--secret-file`) and is opened with
    /// the user's file-system identity, so root never follows the user's links.
    public let isHomeMode: Bool

    public init(path: String, owners: [UInt32], isHomeMode: Bool) {
        self.path = path
        self.owners = owners
        self.isHomeMode = isHomeMode
    }
}

extension ModuleOptions {
    /// The secret location for `account`. In the store (the default) the file is
    /// `<store>/<user>.secret` and must belong to one of `storeOwners` (the store's owner
    /// rule, `Store.trustedOwners`). With `secret=` the template is expanded from the
    /// passwd entry and the file must belong to the user or root (root's: only root).
    /// Nil when the template expands to a relative path or one with `..`.
    public func secretLocation(for account: PasswdEntry, storeOwners: [UInt32]) -> SecretLocation? {
        guard let path = secretPath(user: account.name, home: account.home) else { return nil }
        guard secretTemplate != nil else {
            return SecretLocation(path: path, owners: storeOwners, isHomeMode: false)
        }
        return SecretLocation(path: path, owners: account.uid == 0 ? [0] : [account.uid, 0], isHomeMode: true)
    }
}
