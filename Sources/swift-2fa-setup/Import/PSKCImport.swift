import TwoFactorCore
import TwoFactorStore

/// `import --pskc FILE --user U`: a PSKC file (RFC 6030, `PSKCFile`), each key package a
/// credential of the user, labelled with its serial number or key id. An encrypted file's
/// key (hex) or password is read from standard input, never from the command line.
enum PSKCImport {
    /// Where the key material comes from.
    enum Secret {
        case none
        /// `--pskc-key-stdin`: the pre-shared key in hex.
        case keyOnStdin
        /// `--pskc-password-stdin`: the PBKDF2 password.
        case passwordOnStdin
    }

    /// The plan for `target` and the file's findings (clock drifts, PIN policies). A file
    /// that cannot be opened with what was given, or any malformed key, refuses the whole
    /// file, naming the element.
    static func plan(path: String, secret: Secret, target: ManagedUser,
                     mode: ImportMode) throws(SetupFailure) -> (plan: ImportPlan, findings: [String]) {
        let text = try RootImportFile.text(path, what: "PSKC file", maximumSize: PSKCFile.Limits.standard.xml.maximumSize)
        let protection: PSKCFile.Protection
        do throws(PSKCFile.ParseError) { protection = try PSKCFile.protection(text) } catch {
            throw .usage("cannot import \(path): \(error.message)")
        }
        let material = try keyMaterial(for: protection, secret: secret, path: path)
        let file: PSKCFile
        do throws(PSKCFile.ParseError) { file = try PSKCFile.parse(text, keyMaterial: material) } catch {
            throw .usage("cannot import \(path): \(error.message)")
        }
        let keys = file.entries.map { entry in
            ImportPlan.Key(origin: "KeyPackage \(entry.package) (Key \(PSKCFile.quoted(entry.keyID)))", key: entry.credential)
        }
        return (ImportPlan(target: target, keys: keys, scratchCodes: [], mode: mode), file.findings)
    }

    /// What opens a file protected by `protection`, read from standard input as `secret` says.
    private static func keyMaterial(for protection: PSKCFile.Protection, secret: Secret,
                                    path: String) throws(SetupFailure) -> PSKCFile.KeyMaterial {
        switch (protection, secret) {
        case (.plain, .none):
            return .none
        case (.plain, _):
            Output.warning("\(path) is not encrypted; nothing was read from standard input")
            return .none
        case (.preSharedKey, .keyOnStdin):
            guard let line = readLine(strippingNewline: true),
                  let key = Hex.decode(Substring(line.filter { $0 != " " && $0 != "\t" && $0 != "\r" })),
                  [16, 24, 32].contains(key.count) else {
                throw .usage("--pskc-key-stdin: standard input holds no AES key of 16, 24 or 32 bytes in hex")
            }
            return .key(key)
        case (.preSharedKey(let name), _):
            throw .usage("cannot import \(path): it is encrypted with a pre-shared key\(named(name)); give the key in hex on "
                                      + "standard input with --pskc-key-stdin")
        case (.password, .passwordOnStdin):
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw .usage("--pskc-password-stdin: standard input holds no password")
            }
            return .password(Array(line.utf8))
        case (.password(let name), _):
            throw .usage("cannot import \(path): it is encrypted with a password\(named(name)); give it on standard input "
                                      + "with --pskc-password-stdin")
        }
    }

    /// ` (named "x")`, or nothing.
    private static func named(_ name: String?) -> String {
        name.map { " (named \(PSKCFile.quoted($0)))" } ?? ""
    }
}
