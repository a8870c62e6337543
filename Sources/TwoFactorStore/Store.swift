import Glibc
import TwoFactorCore

/// The root-owned store, `/var/lib/swift-2fa` by default. For each user (by canonical
/// account name) it holds:
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

    /// Throws unless the directory exists, is not a symlink, is owned by a trusted owner
    /// and is not writable by group or others.
    public func checkDirectory() throws(StoreError) {
        let named = "store \(directory)"
        var info = stat()
        if lstat(directory, &info) != 0 { throw .system(.examine, named) }
        if (info.st_mode & S_IFMT) != S_IFDIR { throw StoreError(.refuse, named, detail: "is not a directory") }
        if !trustedOwners.contains(info.st_uid) { throw StoreError(.refuse, named, detail: "is owned by uid \(info.st_uid)") }
        if (info.st_mode & 0o022) != 0 {
            throw StoreError(.refuse, named, detail: "is writable by group or others (mode \(octal(info.st_mode)))")
        }
    }

    /// Creates the directory (mode 0700) if it is missing, then checks it.
    public func createDirectory() throws(StoreError) {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST { throw .system(.create, "store \(directory)") }
        try checkDirectory()
    }

    /// Reads and parses a secret file at `location`. Nil when it does not exist.
    /// The caller holds the file-system identity the location asks for.
    public static func readSecret(at path: String, owners: [uid_t], what: String = "secret file") throws(StoreError) -> SecretRecord? {
        guard let text = try SafeFile.read(path, what: what, requirements: .init(allowedOwners: owners)) else { return nil }
        do throws(FileFormatError) { return try SecretRecord.parse(text) } catch {
            throw StoreError(.refuse, path, detail: "is damaged: \(error.description)")
        }
    }

    /// The user's secret in the store. Nil when not enrolled.
    public func readSecret(user: String) throws(StoreError) -> SecretRecord? {
        try Self.readSecret(at: secretPath(for: user), owners: trustedOwners)
    }

    /// The user's pending enrollment. Nil when there is none.
    public func readPending(user: String) throws(StoreError) -> SecretRecord? {
        try Self.readSecret(at: pendingPath(for: user), owners: trustedOwners, what: "pending enrollment")
    }

    /// The user's state (`StateSlotFile`, or an older text file); a missing file is the
    /// initial state, a damaged one an error.
    public func readState(user: String) throws(StoreError) -> UserState {
        try StateFile.read(statePath(for: user), owners: trustedOwners)
    }

    /// Stores the user's state: in place with one fdatasync, or the first time (and to
    /// upgrade a text file) by atomic replace. Call with the user's lock held.
    public func writeState(_ state: UserState, user: String) throws(StoreError) {
        try StateFile.write(state, to: statePath(for: user), owners: trustedOwners)
    }

    /// Replaces a secret file atomically (mode 0600, optionally chowned for home mode).
    public static func writeSecret(_ record: SecretRecord, to path: String, owner: (uid: uid_t, gid: gid_t)? = nil) throws(StoreError) {
        try AtomicFile.write(record.serialized(), to: path, owner: owner)
    }

    /// Takes the user's exclusive lock.
    public func lock(user: String, timeoutMilliseconds: Int = UserLock.defaultTimeoutMilliseconds) throws(StoreError) -> UserLock {
        try UserLock.acquire(path: lockPath(for: user), timeoutMilliseconds: timeoutMilliseconds)
    }

    /// What a configuration file that names a database must be, for the module and the
    /// command alike: owned by root, with no access for group or others (mode 0600 or
    /// stricter), because a connection string can hold credentials.
    public static let databaseConfigRequirements = SafeFile.Requirements(allowedOwners: [0], forbiddenModeBits: 0o077)

    /// Reads the configuration file: owned by root (or the effective user) and not writable
    /// by group or others; a file that names a database must also meet
    /// `databaseConfigRequirements`. A missing file is the empty configuration (the defaults).
    public static func readConfig(at path: String) throws(StoreError) -> ConfigFile {
        let owners: [uid_t] = geteuid() == 0 ? [0] : [0, geteuid()]
        let what = "configuration file"
        guard let (bytes, status) = try SafeFile.readWithStatus(path, what: what, requirements: .init(
            allowedOwners: owners, forbiddenModeBits: 0o022)) else {
            return ConfigFile.empty(at: path)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw StoreError(.refuse, "\(what) \(path)", detail: "is not text")
        }
        let config: ConfigFile
        do throws(OptionError) { config = try ConfigFile.parse(text, path: path) } catch {
            throw StoreError(.refuse, what, detail: error.description)
        }
        if config.entries.contains(where: { $0.key == "database" }) {
            do throws(SafeFile.RequirementError) { try SafeFile.check(status, requirements: databaseConfigRequirements) } catch {
                throw StoreError(.refuse, "\(what) \(path)",
                                 detail: "names a database, so it must be owned by root with mode 0600 or stricter, but \(error.description)")
            }
        }
        return config
    }
}
