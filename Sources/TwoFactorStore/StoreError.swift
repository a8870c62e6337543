import Glibc

/// Why the store refused or failed an operation: what was attempted, on which path, and
/// the errno when a system call failed. The text names the file and the reason (never its
/// contents) and is meant for one log or error line.
public struct StoreError: Error, Equatable, CustomStringConvertible {
    /// What was being done.
    public enum Operation: String, Sendable {
        case open = "cannot open"
        case examine = "cannot examine"
        case read = "cannot read"
        case create = "cannot create"
        case write = "cannot write"
        case flush = "cannot flush"
        case rename = "cannot rename"
        case remove = "cannot remove"
        case lock = "cannot lock"
        case identity = "cannot switch identity for"
        /// The file exists but is not acceptable (a link, wrong owner or mode, damaged contents).
        case refuse = "refused"
    }

    public let operation: Operation
    public let path: String
    /// The errno of the failed system call, if one failed.
    public let errno: Int32?
    /// Further detail, e.g. "is owned by uid 1000" or a parse error.
    public let detail: String?

    public init(_ operation: Operation, _ path: String, errno: Int32? = nil, detail: String? = nil) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.detail = detail
    }

    /// A failed system call: the current errno is recorded.
    static func system(_ operation: Operation, _ path: String, detail: String? = nil) -> StoreError {
        StoreError(operation, path, errno: Glibc.errno, detail: detail)
    }

    public var description: String {
        var text = operation == .refuse ? path : "\(operation.rawValue) \(path)"
        if let detail { text += operation == .refuse ? " \(detail)" : " (\(detail))" }
        if let errno { text += ": \(errnoText(errno))" }
        return text
    }
}

/// Runs a system call again while it fails with EINTR; returns its last result.
@inline(__always)
func retryingOnEINTR<Result: BinaryInteger>(_ call: () -> Result) -> Result {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR { return result }
    }
}
