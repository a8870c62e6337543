import Glibc

/// Reading small files that a login trusts, with every check done on the open file.
///
/// The file is opened with O_NOFOLLOW (a symlink is refused) and O_NONBLOCK (a FIFO
/// cannot stall a login), then checked with fstat: a regular file, owned by an allowed
/// owner, not accessible by group or others, and not too large.
public enum SafeFile {
    /// The largest file read, in bytes.
    public static let maximumSize = 64 * 1024

    /// What to require of a file.
    public struct Requirements: Sendable {
        /// Uids that may own the file.
        public var allowedOwners: [uid_t]
        /// Refuse the file when group or others have any access.
        public var privateMode: Bool = true

        public init(allowedOwners: [uid_t], privateMode: Bool = true) {
            self.allowedOwners = allowedOwners
            self.privateMode = privateMode
        }
    }

    /// The file's text, nil when it does not exist, or the reason it was refused.
    public static func read(_ path: String, what: String, requirements: Requirements) -> Result<String?, StoreError> {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        if fd < 0 {
            let code = errno
            switch code {
            case ENOENT: return .success(nil)
            case ELOOP: return .failure(StoreError("\(what) \(path) is a symbolic link"))
            default: return .failure(StoreError("\(what) \(path) cannot be opened: \(errnoText(code))"))
            }
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            return .failure(StoreError("\(what) \(path) cannot be examined: \(errnoText())"))
        }
        if let problem = problem(with: info, requirements: requirements) {
            return .failure(StoreError("\(what) \(path) \(problem)"))
        }
        return readAll(fd).mapError { StoreError("\(what) \(path) \($0.description)") }
    }

    /// Nil when the status meets the requirements; otherwise what is wrong.
    static func problem(with info: stat, requirements: Requirements) -> String? {
        if (info.st_mode & S_IFMT) != S_IFREG { return "is not a regular file" }
        if !requirements.allowedOwners.contains(info.st_uid) { return "is owned by uid \(info.st_uid)" }
        if requirements.privateMode && (info.st_mode & 0o077) != 0 {
            return "is accessible by group or others (mode \(octal(info.st_mode)))"
        }
        if info.st_size > maximumSize { return "is larger than \(maximumSize) bytes" }
        return nil
    }

    /// Reads the rest of an open file, at most `maximumSize` bytes, as UTF-8.
    static func readAll(_ fd: Int32) -> Result<String?, StoreError> {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(StoreError("cannot be read: \(errnoText())"))
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk.prefix(count))
            if bytes.count > maximumSize { return .failure(StoreError("is larger than \(maximumSize) bytes")) }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(StoreError("is not text"))
        }
        return .success(text)
    }
}
