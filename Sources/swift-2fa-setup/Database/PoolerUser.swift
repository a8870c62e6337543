import Glibc

/// The Unix user the local PgBouncer runs as: Debian's `postgres`.
///
/// Why this one: the pgbouncer package depends on postgresql-common, which creates it, and
/// Debian's own pgbouncer runs as it, so no user has to be made. It owns the pooler's
/// configuration (mode 0600; it holds the role's password or TLS key) and the socket
/// directory (mode 0700), so only root and `postgres` can reach the socket. On a fleet server
/// that also runs a PostgreSQL of its own, everything running as `postgres` can therefore make
/// the calls this server's role may make (verify, prompt_digits, ...); see fleet/README.md.
struct PoolerUser {
    static let name = "postgres"

    let uid: uid_t
    let gid: gid_t

    /// The user's ids; an I/O error when it does not exist.
    static func lookUp() throws(SetupFailure) -> PoolerUser {
        guard let entry = getpwnam(name) else {
            throw .io("there is no user '\(name)' for the pooler; install pgbouncer (its postgresql-common creates it)")
        }
        return PoolerUser(uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    /// Becomes this user for good (groups, group, user), as PgBouncer refuses to run as root.
    func become() throws(SetupFailure) {
        guard initgroups(Self.name, gid) == 0, setgid(gid) == 0, setuid(uid) == 0 else {
            throw .io("cannot become the user \(Self.name): \(Subprocess.errnoText())")
        }
        guard setuid(0) != 0 else { throw .io("could not drop root for \(Self.name)") }
    }
}
