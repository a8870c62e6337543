import Glibc
import TwoFactorCore
import TwoFactorStore

/// A secret file among the user's own files (home mode: `--secret-file`, the module's
/// `secret=`): every operation runs with the user's identity (`UserIdentity`), and nothing
/// is written or removed through a symbolic link or in a directory that is one.
struct HomeSecretFile: SecretFile {
    let path: String
    /// The uids allowed to own the file (the user, or root).
    let owners: [uid_t]
    /// The user whose files these are.
    let account: PasswdEntry

    func read() throws(StoreError) -> SecretRecord? {
        try asUser { () throws(StoreError) in try Store.readSecret(at: path, owners: owners) }
    }

    func exists() throws(StoreError) -> Bool {
        try asUser { () throws(StoreError) in
            var info = stat()
            return lstat(path, &info) == 0
        }
    }

    func write(_ record: SecretRecord) throws(StoreError) {
        try asUser { () throws(StoreError) in
            try checkLinks(allowLinkTarget: false)
            try Store.writeSecret(record, to: path)
        }
    }

    func remove() throws(StoreError) {
        try asUser { () throws(StoreError) in
            // unlink never follows a link, so one may be removed.
            try checkLinks(allowLinkTarget: true)
            try AtomicFile.remove(path)
        }
    }

    private func asUser<Value>(_ body: () throws(StoreError) -> Value) throws(StoreError) -> Value {
        do throws(UserIdentity.RunError<StoreError>) { return try UserIdentity.runKeepingErrors(as: account, body) } catch {
            switch error {
            case .identity(let failure): throw StoreError(.identity, path, detail: failure.message)
            case .body(let error): throw error
            }
        }
    }

    /// Refuses a directory that is a symbolic link or not a directory, and a last component
    /// other than a regular file (or a link, when `allowLinkTarget`).
    private func checkLinks(allowLinkTarget: Bool) throws(StoreError) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        var info = stat()
        if lstat(directory.isEmpty ? "/" : directory, &info) != 0 {
            throw StoreError(.examine, directory, errno: errno)
        }
        if (info.st_mode & S_IFMT) != S_IFDIR {
            throw StoreError(.refuse, directory, detail: "is not a directory (or is a symbolic link)")
        }
        if lstat(path, &info) == 0 {
            let kind = info.st_mode & S_IFMT
            if kind == S_IFLNK && !allowLinkTarget { throw StoreError(.refuse, "secret file \(path)", detail: "is a symbolic link") }
            if kind != S_IFREG && kind != S_IFLNK { throw StoreError(.refuse, "secret file \(path)", detail: "is not a regular file") }
        }
    }
}
