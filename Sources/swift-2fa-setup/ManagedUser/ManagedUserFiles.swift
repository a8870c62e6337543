import Glibc
import TwoFactorCore
import TwoFactorStore

/// Whether the invoker may use the file store, checked before anything is shown or asked,
/// so that a command never asks for a code in vain. (The files themselves are read and
/// written by `FileEnrollmentAdministration`.)
extension ManagedUser {
    /// Fails unless the invoker can write the store (or create it). `homeHint` adds the
    /// advice to use `--secret-file`.
    func checkStoreWritable(homeHint: Bool = false) throws(SetupFailure) {
        let directory = store.directory
        var info = stat()
        if lstat(directory, &info) == 0 {
            do throws(StoreError) { try store.checkDirectory() } catch { throw SetupFailure(error) }
            if !invokerIsRoot && access(directory, W_OK | X_OK) != 0 { throw needsRoot(homeHint: homeHint) }
            return
        }
        let parent = directory.lastIndex(of: "/").map { String(directory[..<$0]) } ?? "/"
        guard lstat(parent.isEmpty ? "/" : parent, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .io("cannot create store \(directory): \(parent) is not a directory")
        }
        if !invokerIsRoot && access(parent, W_OK | X_OK) != 0 { throw needsRoot(homeHint: homeHint) }
    }

    /// The one line that says the store needs more rights than the invoker has.
    private func needsRoot(homeHint: Bool) -> SetupFailure {
        if store.directory == ModuleOptions.defaultStoreDirectory {
            return .io("the system store \(store.directory) needs root; run with sudo"
                       + (homeHint ? ", or use --secret-file ~/.swift-2fa" : ""))
        }
        return .io("the store \(store.directory) is not writable by you; run with sudo")
    }
}

extension ManagedUser {
    /// Says that only the secret was written (a user enrolling into their own files without
    /// the right to the store), so the state was not reset.
    func warnStateNotReset() {
        Output.warning("the store \(store.directory) is not writable by you, so the state of "
                       + "\(user) was not reset; if codes are refused, ask root to run "
                       + "'swift-2fa-setup unlock --user \(user)'")
    }
}
