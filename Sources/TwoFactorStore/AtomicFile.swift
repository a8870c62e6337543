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
                             owner: (uid: uid_t, gid: gid_t)? = nil) -> StoreError? {
        let (directory, name) = split(path)
        return inDirectory(directory) { directoryFD in
            replace(name, in: directoryFD, directory: directory, with: contents, mode: mode, owner: owner)
        }
    }

    /// Removes `path` (absent is fine) and makes the removal durable.
    public static func remove(_ path: String) -> StoreError? {
        let (directory, name) = split(path)
        return inDirectory(directory) { directoryFD in
            if unlinkat(directoryFD, name, 0) != 0 && errno != ENOENT {
                return StoreError("cannot remove \(path): \(errnoText())")
            }
            return syncDirectory(directoryFD, directory)
        }
    }

    /// Runs `body` with the directory opened (O_DIRECTORY | O_NOFOLLOW), then closes it.
    private static func inDirectory(_ directory: String, _ body: (Int32) -> StoreError?) -> StoreError? {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 { return StoreError("cannot open directory \(directory): \(errnoText())") }
        defer { close(fd) }
        return body(fd)
    }

    /// The temporary-file-and-rename sequence inside an open directory.
    private static func replace(_ name: String, in directoryFD: Int32, directory: String, with contents: String,
                                mode: mode_t, owner: (uid: uid_t, gid: gid_t)?) -> StoreError? {
        let path = "\(directory)/\(name)"
        // Only uniqueness matters here (O_EXCL refuses a clash): the standard library's
        // generator (getrandom, like SecureRandom) is enough.
        let temporary = ".\(name).tmp.\(String(UInt64.random(in: .min ... .max), radix: 16))"
        let fd = openat(directoryFD, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd < 0 { return StoreError("cannot create a temporary file in \(directory): \(errnoText())") }
        var failure: StoreError?
        if let error = writeAll(fd, Array(contents.utf8)) {
            failure = StoreError("cannot write \(directory)/\(temporary): \(error)")
        } else if fchmod(fd, mode) != 0 {
            failure = StoreError("cannot set the mode of \(directory)/\(temporary): \(errnoText())")
        } else if let owner, fchown(fd, owner.uid, owner.gid) != 0 {
            failure = StoreError("cannot set the owner of \(directory)/\(temporary): \(errnoText())")
        } else if fsync(fd) != 0 {
            failure = StoreError("cannot flush \(directory)/\(temporary) to disk: \(errnoText())")
        }
        if close(fd) != 0 && failure == nil {
            failure = StoreError("cannot close \(directory)/\(temporary): \(errnoText())")
        }
        if failure == nil && renameat(directoryFD, temporary, directoryFD, name) != 0 {
            failure = StoreError("cannot rename \(directory)/\(temporary) to \(path): \(errnoText())")
        }
        if let failure {
            unlinkat(directoryFD, temporary, 0)
            return failure
        }
        return syncDirectory(directoryFD, directory)
    }

    /// fsync of a directory, so renames and removals in it survive a crash.
    private static func syncDirectory(_ fd: Int32, _ directory: String) -> StoreError? {
        fsync(fd) == 0 ? nil : StoreError("cannot flush directory \(directory): \(errnoText())")
    }

    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.write(fd, base + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return errnoText()
            }
            if written == 0 { return "no progress" }
            offset += written
        }
        return nil
    }
}
