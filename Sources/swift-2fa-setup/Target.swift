import Glibc
import TwoFactorCore
import TwoFactorStore

/// The user a command acts on, who asked, and where the user's files are: the
/// same paths the module computes from its `store=` and `secret=` options.
struct Target {
    /// The target user's passwd entry.
    let account: PasswdEntry
    /// The store with the state, lock and pending files (and the secret unless home mode).
    let store: Store
    /// The secret file the module reads for this user.
    let secretPath: String
    /// True when the secret is outside the store (`--secret-file`, the module's `secret=`).
    let homeMode: Bool
    /// True when the invoking user is root.
    let invokerIsRoot: Bool
    /// True when `--user` was given.
    let userGiven: Bool

    /// The user's name.
    var user: String { account.name }

    /// Resolves the command line options. The invoking user comes from getuid(),
    /// never from $USER or $HOME.
    static func resolve(requestedUser: String?, storeDirectory: String, secretTemplate: String?) throws(SetupFailure) -> Target {
        let invokerIsRoot = getuid() == 0 && geteuid() == 0
        guard let invoker = PasswdEntry.lookup(uid: getuid()) else {
            throw .io("no passwd entry for your uid \(getuid())")
        }
        let name = requestedUser ?? invoker.name
        if let problem = UserName.problem(with: name) {
            throw .usage("invalid user name: \(problem)")
        }
        if !invokerIsRoot && name != invoker.name {
            throw .io("only root may act for another user (you are \(invoker.name))")
        }
        guard let account = PasswdEntry.lookup(name) else {
            throw .usage("unknown user '\(name)'")
        }
        var arguments = ["store=\(storeDirectory)"]
        if let secretTemplate { arguments.append("secret=\(secretTemplate)") }
        let options: ModuleOptions
        switch ModuleOptions.parse(arguments) {
        case .success(let parsed): options = parsed
        case .failure(let error):
            let text = error.description
                .replacingAll("option 'store'", with: "--store")
                .replacingAll("option 'secret'", with: "--secret-file")
            throw .usage(text)
        }
        guard let secretPath = options.secretPath(user: account.name, home: account.home) else {
            throw .usage("--secret-file expands to a relative path for \(account.name)")
        }
        return Target(account: account, store: Store(directory: options.storeDirectory), secretPath: secretPath,
                      homeMode: options.secretTemplate != nil, invokerIsRoot: invokerIsRoot,
                      userGiven: requestedUser != nil)
    }
}
