import Glibc
import TwoFactorCore

/// The I/O of a user's state file (layout: `StateSlotFile`). Reading opens it like every
/// file a login trusts (`SafeFile`). Writing, under the user's lock, opens it for update,
/// checks it the same way on the open file, and writes the slot not holding the newest
/// state with one `pwrite` and one `fdatasync`: no rename and no directory sync, because the
/// file's name, size and blocks stay as they are. A missing file, a text file of an earlier
/// version, a damaged file or slots too small for the state are replaced whole (`AtomicFile`).
enum StateFile {
    static let what = "state file"

    /// The requirements on the file: owned by one of `owners`, no access for group or others.
    static func requirements(_ owners: [uid_t]) -> SafeFile.Requirements {
        SafeFile.Requirements(allowedOwners: owners, maximumSize: StateSlotFile.maximumFileSize)
    }

    /// The state in the file at `path`; the initial state when there is none.
    static func read(_ path: String, owners: [uid_t]) throws(StoreError) -> UserState {
        guard let bytes = try SafeFile.readBytes(path, what: what, requirements: requirements(owners)) else {
            return UserState()
        }
        do throws(FileFormatError) { return try StateSlotFile.decode(bytes) } catch {
            throw StoreError(.refuse, path, detail: "is damaged: \(error.description)")
        }
    }

    /// Stores `state` in the file at `path`.
    static func write(_ state: UserState, to path: String, owners: [uid_t]) throws(StoreError) {
        let named = "\(what) \(path)"
        let fd = retryingOnEINTR { open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }
        if fd < 0 {
            switch errno {
            case ENOENT: break
            case ELOOP: throw StoreError(.refuse, named, detail: "is a symbolic link")
            default: throw .system(.open, named)
            }
        }
        defer { if fd >= 0 { close(fd) } }
        var current: [UInt8]?
        if fd >= 0 {
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw .system(.examine, named) }
            do throws(SafeFile.RequirementError) { try SafeFile.check(info, requirements: requirements(owners)) } catch {
                throw StoreError(.refuse, named, detail: error.description)
            }
            current = try SafeFile.readAll(fd, named: named, limit: StateSlotFile.maximumFileSize)
        }
        let plan: StateWrite
        do throws(FileFormatError) { plan = try StateSlotFile.write(state, over: current) } catch {
            throw StoreError(.write, path, detail: error.description)
        }
        switch plan {
        case .inPlace(let offset, let bytes):
            // Only for a file that was read, so fd is open.
            do throws(WriteError) { try writeAll(fd, bytes, at: offset) } catch {
                throw StoreError(.write, path, errno: error.errno)
            }
            if retryingOnEINTR({ fdatasync(fd) }) != 0 { throw .system(.flush, path) }
        case .replace(let bytes):
            try AtomicFile.write(bytes: bytes, to: path)
        }
    }
}
