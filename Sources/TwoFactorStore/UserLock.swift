import Glibc

/// An exclusive per-user lock (flock on `<store>/<user>.lock`), held across reading
/// the secret and the state, verifying and writing the new state, so concurrent logins
/// and admin changes serialize.
///
/// The lock is released when the value is dropped or `release()` is called.
public final class UserLock {
    private var fd: Int32

    /// How long to wait for another login of the same user before giving up.
    public static let defaultTimeoutMilliseconds = 10_000

    private init(fd: Int32) { self.fd = fd }

    deinit { release() }

    /// Takes the lock, waiting at most `timeoutMilliseconds`.
    public static func acquire(path: String, timeoutMilliseconds: Int = defaultTimeoutMilliseconds) throws(StoreError) -> UserLock {
        let named = "lock file \(path)"
        let fd = retryingOnEINTR { open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0o600) }
        if fd < 0 {
            if errno == ELOOP { throw StoreError(.refuse, named, detail: "is a symbolic link") }
            throw .system(.open, named)
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw StoreError(.refuse, named, detail: "is not a regular file")
        }
        var waited = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                close(fd)
                throw StoreError(.lock, path, errno: code)
            }
            guard waited < timeoutMilliseconds else {
                close(fd)
                throw StoreError(.lock, path, detail: "timed out after \(timeoutMilliseconds) ms")
            }
            usleep(2_000)
            waited += 2
        }
        return UserLock(fd: fd)
    }

    /// Releases the lock now. Safe to call more than once.
    public func release() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
    }
}
