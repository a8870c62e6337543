import TwoFactorCore
import TwoFactorStore

/// Reading a file that root imports for other users (pam_oath's users.oath, a PSKC file):
/// a regular file, not a symbolic link, owned by root and not writable by group or others,
/// so no other user can put keys into someone's enrollment through it.
enum RootImportFile {
    /// The text of `path` (`what` names it in messages), at most `maximumSize` bytes. A file
    /// that is not text is a usage error (64); one that is missing, unreadable or not
    /// root's alone is an I/O error (74).
    static func text(_ path: String, what: String, maximumSize: Int) throws(SetupFailure) -> String {
        let requirements = SafeFile.Requirements(allowedOwners: [0], forbiddenModeBits: 0o022, maximumSize: maximumSize)
        let bytes: [UInt8]?
        do throws(StoreError) { bytes = try SafeFile.readBytes(path, what: what, requirements: requirements) } catch {
            throw SetupFailure(error)
        }
        guard let bytes else { throw .io("\(what) \(path) does not exist") }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .usage("cannot import \(path): it is not a text file")
        }
        return text
    }
}
