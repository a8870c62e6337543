/// The mount table of a process (`/proc/self/mountinfo`), as far as `pam check` needs it.
public struct MountTable: Sendable {
    /// The mount points, with the kernel's octal escapes (`\040` for a space) left as they are.
    public let mountPoints: [String]

    /// Reads the text of a mountinfo file: the fifth field of each line is the mount point.
    public init(text: String) {
        mountPoints = text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return fields.count > 4 ? String(fields[4]) : nil
        }
    }

    /// Whether `/` is a mount point. It is not inside a plain chroot (a directory that is
    /// not itself mounted), where `unshare --propagation private` fails with EINVAL.
    public var rootIsMountPoint: Bool { mountPoints.contains("/") }
}
