import Glibc

/// Replacing a file so that a crash leaves either the old or the new contents.
///
/// The directory is opened once (O_DIRECTORY | O_NOFOLLOW) and everything happens relative
/// to it: the new contents go to a temporary file created there with O_EXCL | O_NOFOLLOW,
/// are fsync'ed, get their mode and owner, and are renamed over the target; then the
/// directory is fsync'ed so the rename itself is durable. A symlink in place of the
/// directory, the target or the temporary file is never followed.
public enum AtomicFile {
    /// Writes `contents` to `path` atomically with `mode`, owned by `owner` when given.
    public static func write(_ contents: String, to path: String, mode: mode_t = 0o600,
                             owner: (uid: uid_t, gid: gid_t)? = nil) throws(StoreError) {
        try write(bytes: Array(contents.utf8), to: path, mode: mode, owner: owner)
    }

    /// Writes `bytes` to `path` atomically with `mode`, owned by `owner` when given.
    public static func write(bytes contents: [UInt8], to path: String, mode: mode_t = 0o600,
                             owner: (uid: uid_t, gid: gid_t)? = nil) throws(StoreError) {
        let (directory, name) = split(path)
        try inDirectory(directory) { directoryFD throws(StoreError) in
            try replace(name, in: directoryFD, directory: directory, with: contents, mode: mode, owner: owner)
        }
    }

    /// Removes `path` (absent is fine) and makes the removal durable.
    public static func remove(_ path: String) throws(StoreError) {
        let (directory, name) = split(path)
        try inDirectory(directory) { directoryFD throws(StoreError) in
            if unlinkat(directoryFD, name, 0) != 0 && errno != ENOENT { throw .system(.remove, path) }
            try syncDirectory(directoryFD, directory)
        }
    }

    /// Runs `body` with the directory opened (O_DIRECTORY | O_NOFOLLOW), then closes it.
    private static func inDirectory(_ directory: String, _ body: (Int32) throws(StoreError) -> Void) throws(StoreError) {
        let fd = retryingOnEINTR { open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        if fd < 0 { throw .system(.open, "directory \(directory)") }
        defer { close(fd) }
        try body(fd)
    }

    /// The temporary-file-and-rename sequence inside an open directory.
    private static func replace(_ name: String, in directoryFD: Int32, directory: String, with contents: [UInt8],
                                mode: mode_t, owner: (uid: uid_t, gid: gid_t)?) throws(StoreError) {
        let path = "\(directory)/\(name)"
        // Only uniqueness matters here (O_EXCL refuses a clash): the standard library's
        // generator (getrandom, like SecureRandom) is enough.
        let temporary = ".\(name).tmp.\(String(UInt64.random(in: .min ... .max), radix: 16))"
        let temporaryPath = "\(directory)/\(temporary)"
        let fd = retryingOnEINTR { openat(directoryFD, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        if fd < 0 { throw .system(.create, "a temporary file in \(directory)") }
        var failure: StoreError?
        do throws(WriteError) { try writeAll(fd, contents) } catch {
            failure = StoreError(.write, temporaryPath, errno: error.errno)
        }
        if failure == nil {
            if fchmod(fd, mode) != 0 {
                failure = .system(.write, temporaryPath, detail: "mode")
            } else if let owner, fchown(fd, owner.uid, owner.gid) != 0 {
                failure = .system(.write, temporaryPath, detail: "owner")
            } else if retryingOnEINTR({ fsync(fd) }) != 0 {
                failure = .system(.flush, temporaryPath)
            }
        }
        if close(fd) != 0 && failure == nil {
            failure = .system(.write, temporaryPath, detail: "close")
        }
        if failure == nil && renameat(directoryFD, temporary, directoryFD, name) != 0 {
            failure = .system(.rename, "\(temporaryPath) to \(path)")
        }
        if let failure {
            unlinkat(directoryFD, temporary, 0)
            throw failure
        }
        try syncDirectory(directoryFD, directory)
    }

    /// fsync of a directory, so renames and removals in it survive a crash.
    private static func syncDirectory(_ fd: Int32, _ directory: String) throws(StoreError) {
        if retryingOnEINTR({ fsync(fd) }) != 0 { throw .system(.flush, "directory \(directory)") }
    }

    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}
