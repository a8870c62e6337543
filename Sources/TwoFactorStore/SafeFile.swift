import Glibc

/// Reading small files that a login trusts, with every check done on the open file.
///
/// The file is opened with O_NOFOLLOW (a symlink is refused) and O_NONBLOCK (a FIFO
/// cannot stall a login), then checked with fstat: a regular file, owned by an allowed
/// owner, without forbidden permission bits, and not too large.
public enum SafeFile {
    /// The largest file read, in bytes.
    public static let maximumSize = 64 * 1024

    /// What to require of a file.
    public struct Requirements: Sendable {
        /// Uids that may own the file.
        public var allowedOwners: [uid_t]
        /// Permission bits the file must not have: by default any access by group or others.
        public var forbiddenModeBits: mode_t
        /// The largest file read, in bytes: by default `SafeFile.maximumSize`.
        public var maximumSize: Int

        public init(allowedOwners: [uid_t], forbiddenModeBits: mode_t = 0o077, maximumSize: Int = SafeFile.maximumSize) {
            self.allowedOwners = allowedOwners
            self.forbiddenModeBits = forbiddenModeBits
            self.maximumSize = maximumSize
        }
    }

    /// The file's text, or nil when it does not exist. `what` names the file in errors
    /// ("secret file /var/lib/swift-2fa/alice.secret is owned by uid 1000").
    public static func read(_ path: String, what: String, requirements: Requirements) throws(StoreError) -> String? {
        guard let bytes = try readBytes(path, what: what, requirements: requirements) else { return nil }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw StoreError(.refuse, "\(what) \(path)", detail: "is not text")
        }
        return text
    }

    /// The file's bytes, or nil when it does not exist; the same checks as `read`, for a
    /// caller that reports contents that are not text itself.
    public static func readBytes(_ path: String, what: String, requirements: Requirements) throws(StoreError) -> [UInt8]? {
        try readWithStatus(path, what: what, requirements: requirements)?.bytes
    }

    /// The file's bytes and its status (as fstat saw it on the open file), or nil when it
    /// does not exist; the same checks as `read`. For a caller whose requirements depend on
    /// the contents, checked afterwards with `check(_:requirements:)`.
    public static func readWithStatus(_ path: String, what: String,
                                      requirements: Requirements) throws(StoreError) -> (bytes: [UInt8], status: stat)? {
        let named = "\(what) \(path)"
        let fd = retryingOnEINTR { open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }
        if fd < 0 {
            switch errno {
            case ENOENT: return nil
            case ELOOP: throw StoreError(.refuse, named, detail: "is a symbolic link")
            default: throw .system(.open, named)
            }
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .system(.examine, named) }
        do throws(RequirementError) { try check(info, requirements: requirements) } catch {
            throw StoreError(.refuse, named, detail: error.description)
        }
        return (try readAll(fd, named: named, limit: requirements.maximumSize), info)
    }

    /// Returns when the status meets the requirements; otherwise throws what is wrong.
    public static func check(_ info: stat, requirements: Requirements) throws(RequirementError) {
        if (info.st_mode & S_IFMT) != S_IFREG { throw RequirementError("is not a regular file") }
        if !requirements.allowedOwners.contains(info.st_uid) { throw RequirementError("is owned by uid \(info.st_uid)") }
        if (info.st_mode & requirements.forbiddenModeBits) != 0 {
            let whatAccess = requirements.forbiddenModeBits & 0o044 == 0 ? "writable" : "accessible"
            throw RequirementError("is \(whatAccess) by group or others (mode \(octal(info.st_mode)))")
        }
        if info.st_size > requirements.maximumSize { throw RequirementError("is larger than \(requirements.maximumSize) bytes") }
    }

    /// How a file's status fails the requirements, e.g. "is owned by uid 1000"; the text
    /// follows the file's name in an error line.
    public struct RequirementError: Error, Equatable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// Reads the rest of an open file, at most `limit` bytes.
    ///
    /// Reads into the array it returns, 16 KiB at first (a state file, `StateSlotFile`,
    /// 12 KiB, in one read), and doubles it when full. Appending each chunk to an array
    /// instead copied it byte by byte in the Embedded Swift build, whose standard library has
    /// no memcpy path (175,000 instructions per login, which reads the state file twice);
    /// `copyMemory` is one memmove in both builds.
    static func readAll(_ fd: Int32, named: String, limit: Int) throws(StoreError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 16 * 1024)
        var used = 0
        while true {
            if used == bytes.count {
                var larger = [UInt8](repeating: 0, count: 2 * bytes.count)
                larger.withUnsafeMutableBytes { target in bytes.withUnsafeBytes { target.copyMemory(from: $0) } }
                bytes = larger
            }
            let count = retryingOnEINTR {
                bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress.map { $0 + used }, $0.count - used) }
            }
            if count < 0 { throw .system(.read, named) }
            if count == 0 { break }
            used += count
            if used > limit { throw StoreError(.refuse, named, detail: "is larger than \(limit) bytes") }
        }
        bytes.removeSubrange(used...)
        return bytes
    }
}
