import Glibc

/// The pooler's socket directory (`pooler =`): owned by the pooler's user, mode 0700, so that
/// only root and that user can reach the socket in it. Its parents are made by root, 0755.
enum PoolerSocketDirectory {
    /// Makes `path` (and missing parents) and gives it to `user` with mode 0700. Refuses a
    /// symlink, a non-directory, or a directory that someone other than root or `user` owns.
    static func prepare(_ path: String, for user: PoolerUser) throws(SetupFailure) {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, prefix == path ? 0o700 : 0o755) != 0 && errno != EEXIST {
                throw .io("cannot make \(prefix): \(Subprocess.errnoText())")
            }
        }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw .io("\(path) is not a directory (or is a symlink): \(Subprocess.errnoText())") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io("cannot inspect \(path): \(Subprocess.errnoText())") }
        guard info.st_uid == 0 || info.st_uid == user.uid else {
            throw .io("\(path) belongs to uid \(info.st_uid), neither root nor \(PoolerUser.name); remove it")
        }
        guard fchown(fd, user.uid, user.gid) == 0, fchmod(fd, 0o700) == 0 else {
            throw .io("cannot give \(path) to \(PoolerUser.name) with mode 0700: \(Subprocess.errnoText())")
        }
    }
}
