import Glibc
import PAMStack

/// Where PAM modules live on this system: the directory that holds pam_unix.so
/// (`/usr/lib/x86_64-linux-gnu/security` on Debian 12), resolved through symlinks.
enum PamModuleLocation {
    /// The module directory, or nil when pam_unix.so is nowhere to be found.
    static func directory() -> String? {
        var candidates: [String] = []
        for base in ["/usr/lib", "/lib", "/usr/lib64", "/lib64"] {
            candidates.append("\(base)/security")
            if let directory = opendir(base) {
                while let entry = readdir(directory) {
                    let name = withUnsafePointer(to: entry.pointee.d_name) {
                        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                    }
                    if !name.hasPrefix(".") { candidates.append("\(base)/\(name)/security") }
                }
                closedir(directory)
            }
        }
        for candidate in candidates.sorted() where access("\(candidate)/pam_unix.so", F_OK) == 0 {
            guard let resolved = realpath(candidate, nil) else { continue }
            defer { free(resolved) }
            return String(cString: resolved)
        }
        return nil
    }

    /// The installed module's path, or a failure that says what is missing.
    static func installedModule() throws(SetupFailure) -> String {
        guard let directory = directory() else {
            throw .io("pam_unix.so not found under /lib or /usr/lib: is libpam-modules installed?")
        }
        let module = "\(directory)/\(PamServiceFile.moduleName)"
        guard access(module, F_OK) == 0 else { throw .io("\(module) is not installed") }
        return module
    }
}
