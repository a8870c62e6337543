import Glibc
import TwoFactorCore
import TwoFactorStore

/// Reading and writing the target user's files: the secret (in the store or, in home
/// mode, in the user's files), the pending enrollment, the state and the lock.
extension ManagedUser {
    /// The enrollment, nil when there is none. A damaged or untrusted file is an error.
    func readSecret() throws(SetupFailure) -> SecretRecord? {
        let path = location.path
        let owners = location.owners
        let read = { () throws(SetupFailure) -> SecretRecord? in
            do throws(StoreError) { return try Store.readSecret(at: path, owners: owners) } catch { throw SetupFailure(error) }
        }
        return homeMode ? try UserIdentity.run(as: account, read) : try read()
    }

    /// True when something exists at the secret path (even a damaged file or a link).
    func secretFileExists() throws(SetupFailure) -> Bool {
        let path = secretPath
        let check = { () -> Bool in
            var info = stat()
            return lstat(path, &info) == 0
        }
        return homeMode ? try UserIdentity.run(as: account, check) : check()
    }

    /// Fails unless the user can be (re-)enrolled: not enrolled yet, or `force`.
    /// A damaged enrollment is reported and left alone unless `force`.
    func requireReplaceable(force: Bool) throws(SetupFailure) {
        guard !force else { return }
        let existing: SecretRecord?
        do {
            existing = try readSecret()
        } catch {
            throw .io("the existing enrollment of \(user) cannot be used (\(error.message)); "
                      + "it was left as it is; use --force to replace it")
        }
        if existing != nil {
            throw .usage("\(user) is already enrolled; use --force to replace the enrollment")
        }
    }

    /// Atomically replaces the secret file: mode 0600 in the store, or owned by the user
    /// in home mode, where nothing is followed through a symbolic link.
    func writeSecret(_ record: SecretRecord) throws(SetupFailure) {
        let path = secretPath
        guard homeMode else {
            do throws(StoreError) { try Store.writeSecret(record, to: path) } catch { throw SetupFailure(error) }
            return
        }
        try UserIdentity.run(as: account) { () throws(SetupFailure) in
            try Self.checkLinks(path)
            do throws(StoreError) { try Store.writeSecret(record, to: path) } catch { throw SetupFailure(error) }
        }
    }

    /// Removes the secret file (absent is fine).
    func removeSecret() throws(SetupFailure) {
        let path = secretPath
        let remove = { () throws(SetupFailure) in
            do throws(StoreError) { try AtomicFile.remove(path) } catch { throw SetupFailure(error) }
        }
        guard homeMode else { return try remove() }
        try UserIdentity.run(as: account) { () throws(SetupFailure) in
            try Self.checkLinks(path, allowLinkTarget: true)
            try remove()
        }
    }

    /// Refuses a path whose directory is a symbolic link or not a directory, or whose
    /// last component is something other than a regular file (a link may be removed
    /// when `allowLinkTarget`, since unlink never follows it).
    private static func checkLinks(_ path: String, allowLinkTarget: Bool = false) throws(SetupFailure) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        var info = stat()
        if lstat(directory.isEmpty ? "/" : directory, &info) != 0 {
            throw .io("cannot examine \(directory): \(String(cString: strerror(errno)))")
        }
        if (info.st_mode & S_IFMT) != S_IFDIR { throw .io("\(directory) is not a directory (or is a symbolic link)") }
        if lstat(path, &info) == 0 {
            let kind = info.st_mode & S_IFMT
            if kind == S_IFLNK && !allowLinkTarget { throw .io("secret file \(path) is a symbolic link") }
            if kind != S_IFREG && kind != S_IFLNK { throw .io("secret file \(path) is not a regular file") }
        }
    }

    // MARK: - The store

    /// True when the store directory exists.
    var storeExists: Bool {
        var info = stat()
        return lstat(store.directory, &info) == 0
    }

    /// Fails unless the invoker can write the store (or create it), so nothing is shown
    /// or asked in vain. `homeHint` adds the advice to use `--secret-file`.
    func checkStoreWritable(homeHint: Bool = false) throws(SetupFailure) {
        let directory = store.directory
        if storeExists {
            do throws(StoreError) { try store.checkDirectory() } catch { throw SetupFailure(error) }
            if !invokerIsRoot && access(directory, W_OK | X_OK) != 0 { throw needsRoot(homeHint: homeHint) }
            return
        }
        let parent = directory.lastIndex(of: "/").map { String(directory[..<$0]) } ?? "/"
        var info = stat()
        guard lstat(parent.isEmpty ? "/" : parent, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .io("cannot create store \(directory): \(parent) is not a directory")
        }
        if !invokerIsRoot && access(parent, W_OK | X_OK) != 0 { throw needsRoot(homeHint: homeHint) }
    }

    /// The one line that says the store needs more rights than the invoker has.
    func needsRoot(homeHint: Bool) -> SetupFailure {
        if store.directory == ModuleOptions.defaultStoreDirectory {
            return .io("the system store \(store.directory) needs root; run with sudo"
                       + (homeHint ? ", or use --secret-file ~/.swift-2fa" : ""))
        }
        return .io("the store \(store.directory) is not writable by you; run with sudo")
    }

    /// Creates the store (mode 0700) when missing and checks it.
    func createStore() throws(SetupFailure) {
        do throws(StoreError) { try store.createDirectory() } catch { throw SetupFailure(error) }
    }

    /// Takes the user's lock in the store.
    func lock() throws(SetupFailure) -> UserLock {
        do throws(StoreError) { return try store.lock(user: user) } catch { throw SetupFailure(error) }
    }

    /// The user's state; the initial state when there is no store or no state file yet.
    func readState() throws(SetupFailure) -> UserState {
        guard storeExists else { return UserState() }
        do throws(StoreError) { return try store.readState(user: user) } catch { throw SetupFailure(error) }
    }

    /// True when a state file exists.
    var stateExists: Bool {
        var info = stat()
        return lstat(store.statePath(for: user), &info) == 0
    }

    /// Replaces the user's state. Call with the lock held.
    func writeState(_ state: UserState) throws(SetupFailure) {
        do throws(StoreError) { try store.writeState(state, user: user) } catch { throw SetupFailure(error) }
    }

    /// The pending enrollment, nil when there is none.
    func readPending() throws(SetupFailure) -> SecretRecord? {
        guard storeExists else { return nil }
        do throws(StoreError) { return try store.readPending(user: user) } catch { throw SetupFailure(error) }
    }

    /// True when a pending file exists (even a damaged one).
    var pendingExists: Bool {
        var info = stat()
        return lstat(store.pendingPath(for: user), &info) == 0
    }

    /// Writes the pending enrollment.
    func writePending(_ record: SecretRecord) throws(SetupFailure) {
        do throws(StoreError) { try Store.writeSecret(record, to: store.pendingPath(for: user)) } catch {
            throw SetupFailure(error)
        }
    }

    /// Removes the pending enrollment (absent is fine).
    func removePending() throws(SetupFailure) {
        guard storeExists else { return }
        do throws(StoreError) { try AtomicFile.remove(store.pendingPath(for: user)) } catch { throw SetupFailure(error) }
    }

    /// Removes the state file (absent is fine).
    func removeState() throws(SetupFailure) {
        guard storeExists else { return }
        do throws(StoreError) { try AtomicFile.remove(store.statePath(for: user)) } catch { throw SetupFailure(error) }
    }
}
