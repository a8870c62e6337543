import Glibc

/// Replacing a file so that a crash leaves either the old or the new contents.
///
/// The new contents go to a temporary file created with O_EXCL in the same directory,
/// are fsync'ed, get their mode and owner, and are renamed over the target; then the
/// directory is fsync'ed so the rename itself is durable.
public enum AtomicFile {
    /// Writes `contents` to `path` atomically with `mode`, owned by `owner` when given.
    public static func write(_ contents: String, to path: String, mode: mode_t = 0o600,
                             owner: (uid: uid_t, gid: gid_t)? = nil) -> StoreError? {
        let (directory, name) = split(path)
        var template = Array("\(directory)/.\(name).tmp.XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            let fd = mkstemp(base)
            if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return fd
        }
        if fd < 0 { return StoreError("cannot create a temporary file in \(directory): \(errnoText())") }
        let temporary = template.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { String(cString: $0) } ?? ""
        }
        var failure: StoreError?
        if let error = writeAll(fd, Array(contents.utf8)) {
            failure = StoreError("cannot write \(temporary): \(error)")
        } else if fchmod(fd, mode) != 0 {
            failure = StoreError("cannot set the mode of \(temporary): \(errnoText())")
        } else if let owner, fchown(fd, owner.uid, owner.gid) != 0 {
            failure = StoreError("cannot set the owner of \(temporary): \(errnoText())")
        } else if fsync(fd) != 0 {
            failure = StoreError("cannot flush \(temporary) to disk: \(errnoText())")
        }
        if close(fd) != 0 && failure == nil {
            failure = StoreError("cannot close \(temporary): \(errnoText())")
        }
        if failure == nil && rename(temporary, path) != 0 {
            failure = StoreError("cannot rename \(temporary) to \(path): \(errnoText())")
        }
        if let failure {
            unlink(temporary)
            return failure
        }
        return syncDirectory(directory)
    }

    /// Removes `path` (absent is fine) and makes the removal durable.
    public static func remove(_ path: String) -> StoreError? {
        if unlink(path) != 0 && errno != ENOENT {
            return StoreError("cannot remove \(path): \(errnoText())")
        }
        return syncDirectory(split(path).directory)
    }

    /// fsync of a directory, so renames and removals in it survive a crash.
    public static func syncDirectory(_ directory: String) -> StoreError? {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { return StoreError("cannot open directory \(directory): \(errnoText())") }
        defer { close(fd) }
        if fsync(fd) != 0 { return StoreError("cannot flush directory \(directory): \(errnoText())") }
        return nil
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
