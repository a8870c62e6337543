import CPAM
import TwoFactorCore
import TwoFactorStore

/// Reading a user's secret where `SecretLocation` says it is: in the store as the module,
/// or among the user's own files with the user's file-system identity (uid, gid and
/// supplementary groups, through libpam's pam_modutil_drop_priv), so root never opens
/// what the user could not open.
struct UserFiles {
    let handle: OpaquePointer
    let account: PasswdEntry
    let location: SecretLocation

    /// The enrollment, nil when there is none. A file that cannot be read, or is refused,
    /// is an error, never "not enrolled".
    func readSecret() throws(StoreError) -> SecretRecord? {
        let path = location.path
        let owners = location.owners
        guard location.isInUserFiles else { return try Store.readSecret(at: path, owners: owners) }
        var result: Result<SecretRecord?, StoreError> = .failure(StoreError(.identity, path))
        let status = asUser {
            do throws(StoreError) {
                result = .success(try Store.readSecret(at: path, owners: owners))
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
