import Glibc
import TwoFactorCore

/// The root-owned store, `/var/lib/swift-2fa` by default. For each user it holds:
///
/// - `<user>.secret`  the enrollment (written only by swift-2fa-setup), unless the
///   module's `secret=` option puts it elsewhere;
/// - `<user>.pending` an enrollment waiting for its first code (logins ignore it);
/// - `<user>.state`   last accepted time step, failures, used backup codes;
/// - `<user>.lock`    the per-user lock file.
///
/// The directory must be owned by root (or the user running the service) and not
/// writable by group or others. Every file in it is mode 0600.
public struct Store: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// `<store>/<user>.secret`
    public func secretPath(for user: String) -> String { "\(directory)/\(user).secret" }
    /// `<store>/<user>.pending`
    public func pendingPath(for user: String) -> String { "\(directory)/\(user).pending" }
    /// `<store>/<user>.state`
    public func statePath(for user: String) -> String { "\(directory)/\(user).state" }
    /// `<store>/<user>.lock`
    public func lockPath(for user: String) -> String { "\(directory)/\(user).lock" }

    /// Owners trusted for files in the store: root and the effective user.
    public var trustedOwners: [uid_t] { geteuid() == 0 ? [0] : [0, geteuid()] }

    /// Nil when the directory exists, is not a symlink, is owned by a trusted owner and
    /// is not writable by group or others; otherwise the reason.
    public func checkDirectory() -> StoreError? {
        var info = stat()
        if lstat(directory, &info) != 0 {
            return StoreError("store \(directory) cannot be examined: \(errnoText())")
        }
        if (info.st_mode & S_IFMT) != S_IFDIR { return StoreError("store \(directory) is not a directory") }
        if !trustedOwners.contains(info.st_uid) { return StoreError("store \(directory) is owned by uid \(info.st_uid)") }
        if (info.st_mode & 0o022) != 0 {
            return StoreError("store \(directory) is writable by group or others (mode \(octal(info.st_mode)))")
        }
        return nil
    }

    /// Creates the directory (mode 0700) if it is missing, then checks it.
    public func createDirectory() -> StoreError? {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            return StoreError("cannot create store \(directory): \(errnoText())")
        }
        return checkDirectory()
    }

    /// Reads and parses a secret file. Nil when it does not exist.
    /// `owners` are the uids allowed to own it (the store's owners, or the user in home mode).
    public static func readSecret(at path: String, owners: [uid_t], what: String = "secret file") -> Result<SecretRecord?, StoreError> {
        switch SafeFile.read(path, what: what, requirements: .init(allowedOwners: owners)) {
        case .failure(let error): return .failure(error)
        case .success(nil): return .success(nil)
        case .success(let text?):
            return SecretRecord.parse(text).map { $0 }.mapError { StoreError("\(path): \($0.description)") }
        }
    }

    /// The user's secret in the store. Nil when not enrolled.
    public func readSecret(user: String) -> Result<SecretRecord?, StoreError> {
        Self.readSecret(at: secretPath(for: user), owners: trustedOwners)
    }

    /// The user's pending enrollment. Nil when there is none.
    public func readPending(user: String) -> Result<SecretRecord?, StoreError> {
        Self.readSecret(at: pendingPath(for: user), owners: trustedOwners, what: "pending enrollment")
    }

    /// The user's state; a missing file is the initial state.
    public func readState(user: String) -> Result<UserState, StoreError> {
        let path = statePath(for: user)
        switch SafeFile.read(path, what: "state file", requirements: .init(allowedOwners: trustedOwners)) {
        case .failure(let error): return .failure(error)
        case .success(nil): return .success(UserState())
        case .success(let text?):
            return UserState.parse(text).mapError { StoreError("\(path): \($0.description)") }
        }
    }

    /// Replaces the user's state atomically. Call with the user's lock held.
    public func writeState(_ state: UserState, user: String) -> StoreError? {
        AtomicFile.write(state.serialized(), to: statePath(for: user))
    }

    /// Replaces a secret file atomically (mode 0600, optionally chowned for home mode).
    public static func writeSecret(_ record: SecretRecord, to path: String, owner: (uid: uid_t, gid: gid_t)? = nil) -> StoreError? {
        AtomicFile.write(record.serialized(), to: path, owner: owner)
    }

    /// Takes the user's exclusive lock.
    public func lock(user: String, timeoutMilliseconds: Int = UserLock.defaultTimeoutMilliseconds) -> Result<UserLock, StoreError> {
        UserLock.acquire(path: lockPath(for: user), timeoutMilliseconds: timeoutMilliseconds)
    }
}
