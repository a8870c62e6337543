import Glibc
import TwoFactorCore
import TwoFactorStore

/// Acting on a user's own files with the user's identity, so that root never follows a
/// link or writes somewhere the user could not write themselves.
///
/// Root switches its effective uid, gid and supplementary groups (the user's own, from
/// getgrouplist, as login would set them) to the user's for the duration of `body`; the
/// module does the same through libpam's pam_modutil_drop_priv. For anyone else, or when
/// the user is root, `body` runs unchanged.
enum UserIdentity {
    /// Why `runKeepingErrors` failed: the identity could not be taken on, or `body` threw.
    enum RunError<BodyError: Error>: Error {
        /// The user's groups or identity could not be taken on; `body` did not run.
        case identity(SetupFailure)
        /// `body` threw, with the user's identity.
        case body(BodyError)
    }

    /// Runs `body` as `account`; a failure to take on the identity and one of `body` are
    /// both `SetupFailure`s. Exits with status 74 if root cannot be restored afterwards.
    static func run<Value>(as account: PasswdEntry, _ body: () throws(SetupFailure) -> Value) throws(SetupFailure) -> Value {
        do throws(RunError<SetupFailure>) { return try runKeepingErrors(as: account, body) } catch {
            switch error {
            case .identity(let failure), .body(let failure): throw failure
            }
        }
    }

    /// Runs `body` as `account`, keeping `body`'s own error apart from a failure to take on
    /// the identity, for a caller that decides on `body`'s error with root's identity back.
    /// Exits with status 74 if root cannot be restored afterwards.
    static func runKeepingErrors<Value, BodyError>(as account: PasswdEntry,
                                                   _ body: () throws(BodyError) -> Value) throws(RunError<BodyError>) -> Value {
        guard geteuid() == 0, account.uid != 0 else {
            do throws(BodyError) { return try body() } catch { throw .body(error) }
        }
        let savedGroups = supplementaryGroups()
        let savedGID = getegid()
        guard var userGroups = try? NameService.groups(of: account.name, primaryGID: account.gid) else {
            throw .identity(.io("cannot look up the groups of \(account.name)"))
        }
        guard setgroups(userGroups.count, &userGroups) == 0, setegid(account.gid) == 0, seteuid(account.uid) == 0 else {
            restore(groups: savedGroups, gid: savedGID)
            throw .identity(.io("cannot take on the identity of \(account.name) to act on their files"))
        }
        defer { restore(groups: savedGroups, gid: savedGID) }
        do throws(BodyError) { return try body() } catch { throw .body(error) }
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
            end(with: .io("cannot return to root's identity"))
        }
    }
}
