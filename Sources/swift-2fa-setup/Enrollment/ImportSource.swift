import Glibc
import TwoFactorCore
import TwoFactorStore

/// Reading the google-authenticator file that `import` migrates.
///
/// Root reads the file with its own identity only where nobody but root can change the
/// path: every directory from `/` down to the file's directory is owned by root and not
/// writable by group or others, as in google-authenticator's root-owned layout
/// (`secret=/var/lib/google-authenticator/${USER} user=root`, a root-only directory).
/// Anywhere else (a home directory, /tmp) the file is read with the target user's
/// identity, so root never follows a link the user planted. Either way the file must be a
/// regular file (not a symbolic link) owned by the user or root and not accessible by
/// group or others.
enum ImportSource {
    /// What the file is called in messages.
    private static let what = "google-authenticator file"

    /// Reads and parses the file for `account`. A file that is not text or not in the
    /// format is a usage error (64); one that is missing, unreadable or untrusted is an I/O
    /// error (74) whose message names the owner when the file belongs to someone else.
    static func read(_ path: String, for account: PasswdEntry) throws(SetupFailure) -> GoogleAuthenticatorFile {
        let owners: [uid_t] = account.uid == 0 ? [0] : [account.uid, 0]
        let requirements = SafeFile.Requirements(allowedOwners: owners)
        let read = { () throws(StoreError) -> [UInt8]? in
            try SafeFile.readBytes(path, what: what, requirements: requirements)
        }
        let contents: [UInt8]?
        do throws(UserIdentity.RunError<StoreError>) {
            if isRootOnly(directoryOf: path) {
                do throws(StoreError) { contents = try read() } catch { throw .body(error) }
            } else {
                contents = try UserIdentity.runKeepingErrors(as: account, read)
            }
        } catch {
            switch error {
            case .identity(let failure): throw failure
            case .body(let error): throw refusal(path, error: error, owners: owners, account: account)
            }
        }
        guard let bytes = contents else { throw .io("\(what) \(path) does not exist") }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .usage("cannot import \(path): it is not a text file")
        }
        do throws(GoogleAuthenticatorFile.ParseError) { return try GoogleAuthenticatorFile.parse(text) } catch {
            throw .usage("cannot import \(path): \(error.message)")
        }
    }

    /// True when `path` is absolute, has no `.` or `..` component, and every directory
    /// above its last component is a real directory (not a link) owned by root and not
    /// writable by group or others.
    static func isRootOnly(directoryOf path: String) -> Bool {
        guard path.hasPrefix("/") else { return false }
        let components = path.split(separator: "/")
        guard !components.isEmpty, !components.contains(where: { $0 == "." || $0 == ".." }) else { return false }
        var directories = ["/"]
        var prefix = ""
        for component in components.dropLast() {
            prefix += "/" + component
            directories.append(prefix)
        }
        for directory in directories {
            var info = stat()
            guard lstat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR,
                  info.st_uid == 0, (info.st_mode & 0o022) == 0 else { return false }
        }
        return true
    }

    /// The error for a file that could not be read: a regular file owned by someone other
    /// than the user or root is named with its owner; a file too large is malformed (64).
    private static func refusal(_ path: String, error: StoreError, owners: [uid_t],
                                account: PasswdEntry) -> SetupFailure {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return .io(error.description) }
        if !owners.contains(info.st_uid) {
            let allowed = account.uid == 0 ? "root" : "\(account.name) or root"
            return .io("\(what) \(path) belongs to \(ownerName(info.st_uid)), not to \(allowed)")
        }
        if info.st_size > SafeFile.maximumSize {
            return .usage("cannot import \(path): the file is larger than \(SafeFile.maximumSize / 1024) KiB")
        }
        return .io(error.description)
    }

    /// `alice (uid 1000)`, or `uid 1234` when the uid has no passwd entry.
    private static func ownerName(_ uid: uid_t) -> String {
        guard let entry = try? PasswdEntry.lookup(uid: uid) else { return "uid \(uid)" }
        return "\(entry.name) (uid \(uid))"
    }
}
