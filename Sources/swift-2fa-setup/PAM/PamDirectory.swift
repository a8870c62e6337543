import Glibc
import PAMStack
import TwoFactorStore

/// A directory of PAM service files (`/etc/pam.d`, or another one given with `--pam-dir`):
/// reading and atomically replacing its files, and following includes.
struct PamDirectory {
    /// The system's directory.
    static let system = "/etc/pam.d"
    /// The suffix of the copy `pam enable` keeps until it has tried the new stack.
    static let backupSuffix = ".swift-2fa.bak"
    /// The files `pam-auth-update` writes; the module goes in them only through the
    /// profile (`pam-auth-update --enable swift-2fa`), never by `pam enable`.
    static let managedByPamAuthUpdate: Set<String> = [
        "common-auth", "common-account", "common-password", "common-session", "common-session-noninteractive",
    ]

    let path: String

    /// The path of one service file.
    func file(_ service: String) -> String { "\(path)/\(service)" }

    /// Checks that SERVICE names a file directly in this directory.
    static func validate(service: String) throws(SetupFailure) {
        guard !service.isEmpty, service != ".", service != "..", !service.contains("/"),
              !service.hasPrefix("-") else {
            throw .usage("'\(service)' is not a PAM service name")
        }
    }

    /// The text of a service file; nil when it does not exist.
    func read(_ service: String) throws(SetupFailure) -> String? {
        let path = file(service)
        var info = stat()
        if lstat(path, &info) != 0 {
            if errno == ENOENT { return nil }
            throw .io("cannot examine \(path): \(Subprocess.errnoText())")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .io("\(path) is not a regular file") }
        guard let stream = fopen(path, "r") else { throw .io("cannot read \(path): \(Subprocess.errnoText())") }
        defer { fclose(stream) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, stream)
            if count > 0 { bytes.append(contentsOf: buffer[0..<count]) }
            if count < buffer.count { break }
        }
        if ferror(stream) != 0 { throw .io("cannot read \(path)") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `text` over `target` atomically (temporary file, fsync, rename, fsync of the
    /// directory), with the owner and mode of `reference` (the file being replaced).
    func write(_ text: String, to target: String, likeFile reference: String) throws(SetupFailure) {
        var info = stat()
        guard stat(file(reference), &info) == 0 else {
            throw .io("cannot examine \(file(reference)): \(Subprocess.errnoText())")
        }
        do {
            try AtomicFile.write(text, to: file(target), mode: info.st_mode & 0o7777,
                                 owner: (uid: info.st_uid, gid: info.st_gid))
        } catch {
            throw .io("\(error)")
        }
    }

    /// Writes a file of this directory atomically with `mode`, owned by root.
    func writeNew(_ text: String, name: String, mode: mode_t) throws(SetupFailure) {
        do { try AtomicFile.write(text, to: file(name), mode: mode, owner: (uid: 0, gid: 0)) } catch { throw .io("\(error)") }
    }

    /// Removes a file of this directory (absent is fine).
    func remove(_ name: String) throws(SetupFailure) {
        do { try AtomicFile.remove(file(name)) } catch { throw .io("\(error)") }
    }

    /// The service files, sorted: regular files, without backups, package-manager leftovers
    /// and hidden files.
    func services() throws(SetupFailure) -> [String] {
        guard let directory = opendir(path) else { throw .io("cannot list \(path): \(Subprocess.errnoText())") }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name.hasPrefix(".") || name.hasSuffix(Self.backupSuffix) || name.hasSuffix("~") { continue }
            if name.contains(".dpkg-") || name.hasSuffix(".ucf-old") || name.hasSuffix(".ucf-dist") { continue }
            var info = stat()
            guard stat(file(name), &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            names.append(name)
        }
        return names.sorted()
    }

    /// Where a service's auth stack loads the module: the line itself, and the chain of
    /// files that led to it (empty when the line is in the service's own file).
    struct ModuleUse {
        let line: PamServiceFile.Line
        let via: [String]
    }

    /// The first line in the auth stack of `service` that loads the module (a checking one
    /// before a `split_answer` one), following includes as libpam does.
    func moduleUse(_ service: String) throws(SetupFailure) -> ModuleUse? {
        guard let entry = try authStack(service).firstModuleEntry,
              case .module(let line, _) = entry.kind else { return nil }
        return ModuleUse(line: line, via: entry.via)
    }

    /// The auth stack of `service` as libpam loads it from this directory.
    func authStack(_ service: String) throws(SetupFailure) -> AuthStack {
        try AuthStack.load(service: service) { name throws(SetupFailure) in try readIncluded(name) }
    }

    /// A file an include names: a name in this directory, or an absolute path.
    func readIncluded(_ name: String) throws(SetupFailure) -> String? {
        guard name.hasPrefix("/") else {
            return name.contains("/") || name.isEmpty ? nil : try read(name)
        }
        return try Self.read(absolutePath: name)
    }

    /// The text of the file at an absolute path; nil when it does not exist.
    static func read(absolutePath path: String) throws(SetupFailure) -> String? {
        let parts = path.split(separator: "/")
        guard let last = parts.last else { return nil }
        return try PamDirectory(path: "/" + parts.dropLast().joined(separator: "/")).read(String(last))
    }
}
