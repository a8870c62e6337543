import Glibc

/// Paths a root process may trust: nobody but root can change what they lead to.
enum TrustedPath {
    /// Why the directory at `path` cannot be trusted, or nil: it must be a directory (not
    /// a symbolic link) that neither its group nor others may write to, below directories
    /// that group and others may not write either (a sticky one, like /tmp, excepted: there
    /// nobody may replace another's entry). `what` starts each message ("pooler directory").
    static func directoryProblem(_ path: String, what: String) -> String? {
        guard path.hasPrefix("/") else { return "\(what) \(path) is not absolute" }
        var current = path
        var isLast = true
        while true {
            var status = stat()
            guard lstat(current, &status) == 0 else { return "\(what) \(current): \(errnoText())" }
            guard status.st_mode & S_IFMT == S_IFDIR else {
                return "\(what) \(current) is not a directory (or is a symbolic link)"
            }
            let writableByOthers = status.st_mode & (S_IWGRP | S_IWOTH) != 0
            if writableByOthers && (isLast || status.st_mode & S_ISVTX == 0) {
                return "\(what) \(current) is writable by others (mode \(octal(status.st_mode)))"
            }
            guard current != "/" else { return nil }
            isLast = false
            current = parent(of: current)
        }
    }

    /// Why the program at `path` must not be run as root, or nil: an absolute path to a
    /// regular file (not a symbolic link) owned by root, executable, not writable by its
    /// group or others, in a directory that `directoryProblem` accepts and root owns.
    static func programProblem(_ path: String) -> String? {
        guard path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
            return "\(path) is not an absolute path without '..'"
        }
        let directory = parent(of: path)
        if let problem = directoryProblem(directory, what: "the directory") { return problem }
        var status = stat()
        guard lstat(directory, &status) == 0, status.st_uid == 0 else { return "the directory \(directory) is not owned by root" }
        guard lstat(path, &status) == 0 else { return "\(path): \(errnoText())" }
        guard status.st_mode & S_IFMT == S_IFREG else { return "\(path) is not a regular file (or is a symbolic link)" }
        guard status.st_uid == 0 else { return "\(path) is owned by uid \(status.st_uid), not root" }
        guard status.st_mode & (S_IWGRP | S_IWOTH) == 0 else {
            return "\(path) is writable by group or others (mode \(octal(status.st_mode)))"
        }
        guard status.st_mode & S_IXUSR != 0 else { return "\(path) is not executable" }
        return nil
    }

    private static func parent(of path: String) -> String {
        let parent = path.utf8.lastIndex(of: UInt8(ascii: "/")).map { String(path[..<$0]) } ?? "/"
        return parent.isEmpty ? "/" : parent
    }
}
