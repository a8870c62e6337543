import Glibc
import TwoFactorStore

/// Acting on a user's own files with the user's identity, so that root never
/// follows a link or writes somewhere the user could not write themselves.
///
/// Root switches its effective uid, gid and groups to the user's for the duration of
/// `body` (the module does the same with setfsuid when it reads a home-mode secret).
/// For anyone else, or when the user is root, `body` runs unchanged.
enum UserIdentity {
    /// Runs `body` as `account`. Exits with status 74 if root cannot be restored afterwards.
    static func run<Value>(as account: PasswdEntry, _ body: () -> Value) throws(SetupFailure) -> Value {
        guard geteuid() == 0, account.uid != 0 else { return body() }
        let savedGroups = supplementaryGroups()
        let savedGID = getegid()
        var userGroup = account.gid
        guard setgroups(1, &userGroup) == 0, setegid(account.gid) == 0, seteuid(account.uid) == 0 else {
            restore(groups: savedGroups, gid: savedGID)
            throw .io("cannot take on the identity of \(account.name) to write in their files")
        }
        let value = body()
        restore(groups: savedGroups, gid: savedGID)
        return value
    }

    private static func supplementaryGroups() -> [gid_t] {
        let count = getgroups(0, nil)
        guard count > 0 else { return [] }
        var groups = [gid_t](repeating: 0, count: Int(count))
        let got = getgroups(count, &groups)
        return got >= 0 ? Array(groups.prefix(Int(got))) : []
    }

    private static func restore(groups: [gid_t], gid: gid_t) {
        var groups = groups
        if seteuid(0) != 0 || setegid(gid) != 0 || setgroups(groups.count, &groups) != 0 {
            // Continuing without root's identity would act on files as the wrong user.
            Output.error("cannot return to root's identity")
            exit(ExitStatus.ioError.rawValue)
        }
    }
}
