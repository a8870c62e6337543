import Glibc
import TwoFactorCore

/// One user's secret file as `FileEnrollmentAdministration` reads and replaces it. In the
/// store it is a `StoreSecretFile`; among the user's own files (home mode) the caller's
/// implementation takes on the user's identity for each operation.
public protocol SecretFile {
    /// The absolute path, for `status` and messages.
    var path: String { get }
    /// The enrollment; nil when there is no file. A damaged or untrusted file is an error.
    func read() throws(StoreError) -> SecretRecord?
    /// True when something exists at the path (even a damaged file or a link).
    func exists() throws(StoreError) -> Bool
    /// Atomically replaces the file (mode 0600).
    func write(_ record: SecretRecord) throws(StoreError)
    /// Removes the file; absent is fine.
    func remove() throws(StoreError)
}

/// A secret file in the store directory (or any place root owns), used with the caller's
/// own identity.
public struct StoreSecretFile: SecretFile {
    public let path: String
    /// The uids allowed to own the file.
    public let owners: [uid_t]

    public init(path: String, owners: [uid_t]) {
        self.path = path
        self.owners = owners
    }

    public func read() throws(StoreError) -> SecretRecord? {
        try Store.readSecret(at: path, owners: owners)
    }

    public func exists() throws(StoreError) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    public func write(_ record: SecretRecord) throws(StoreError) {
        try Store.writeSecret(record, to: path)
    }

    public func remove() throws(StoreError) {
        try AtomicFile.remove(path)
    }
}
