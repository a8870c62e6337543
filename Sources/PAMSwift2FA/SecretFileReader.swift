import CPAM
import Glibc
import TwoFactorCore
import TwoFactorStore

/// Reading a user's secret where `SecretLocation` says it is: in the store as the module,
/// or, in home mode, among the user's own files with the user's file-system identity (uid, gid and
/// supplementary groups, through libpam's pam_modutil_drop_priv), so root never opens
/// what the user could not open.
struct SecretFileReader {
    let handle: OpaquePointer
    let account: PasswdEntry
    let location: SecretLocation

    /// The enrollment, nil when there is none. A file that cannot be read, or is refused,
    /// is an error, never "not enrolled"; so is a missing file in home mode whose directory
    /// (the home) is missing or cannot be searched, as with an unmounted network home.
    func readSecret() throws(StoreError) -> SecretRecord? {
        let path = location.path
        let owners = location.owners
        guard location.isHomeMode else { return try Store.readSecret(at: path, owners: owners) }
        var result: Result<SecretRecord?, StoreError> = .failure(StoreError(.identity, path))
        let status = asUser {
            do throws(StoreError) {
                let record = try Store.readSecret(at: path, owners: owners)
                if record == nil { try Self.checkDirectory(of: path) }
                result = .success(record)
            } catch {
                result = .failure(error)
            }
        }
        switch status {
        case 0: return try result.get()
        case Int32(S2FA_IDENTITY_NOT_TAKEN):
            throw StoreError(.identity, path, detail: "cannot take the identity of uid \(account.uid)")
        default:
            throw StoreError(.identity, path, detail: "cannot restore the module's identity")
        }
    }

    /// Throws unless the directory that holds `path` exists (looked up with the caller's
    /// identity), so that only a file missing from a readable directory means "no secret".
    private static func checkDirectory(of path: String) throws(StoreError) {
        guard let slash = path.lastIndex(of: "/") else { return }
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        var info = stat()
        if stat(directory, &info) != 0 { throw StoreError(.examine, "directory \(directory)", errno: errno) }
        if (info.st_mode & S_IFMT) != S_IFDIR {
            throw StoreError(.refuse, "directory \(directory)", detail: "is not a directory")
        }
    }

    /// Runs `body` through `s2fa_run_as_user`; returns its status.
    private func asUser(_ body: () -> Void) -> Int32 {
        withoutActuallyEscaping(body) { escapable in
            let box = Box(escapable)
            return withExtendedLifetime(box) {
                s2fa_run_as_user(handle, account.name, account.uid, account.gid, { context in
                    guard let context else { return }
                    Unmanaged<Box>.fromOpaque(context).takeUnretainedValue().body()
                }, Unmanaged.passUnretained(box).toOpaque())
            }
        }
    }

    /// Carries the Swift closure through the C callback's context pointer.
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
}
