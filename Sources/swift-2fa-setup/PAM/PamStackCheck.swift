import FoundationEssentials
import Glibc
import PAMStack
import TwoFactorCore
import TwoFactorStore

/// Trying a service's auth stack for real, without touching the host: in a private mount
/// namespace, with a throw-away user that exists only there (private copies of
/// /etc/passwd, /etc/shadow and /etc/group), a throw-away store mounted over the store
/// the module uses, and a private configuration file that names only that store mounted
/// over the one the module reads (so a fleet `database =` there is never used), pamtester
/// runs the stack:
///   - not enrolled, password only: accepted when the line has nullok, refused otherwise;
///   - enrolled, wrong password + valid code: refused, and no failure counted;
///   - enrolled, password + wrong code: refused;
///   - enrolled, password + valid code: accepted.
struct PamStackCheck {
    let service: String
    /// The PAM directory whose files are tried; bound over /etc/pam.d when it is another one.
    let pamDirectory: String

    /// Why a private mount namespace cannot be made here; the text follows "cannot try the stack with pamtester".
    struct NamespaceError: Error, CustomStringConvertible {
        let description: String
    }

    /// Returns when a private mount namespace can be made here, otherwise throws why not:
    /// `unshare --propagation private` needs `/` to be a mount point, which it is not in a
    /// plain chroot, and reads /proc.
    static func checkNamespace() throws(NamespaceError) {
        guard let stream = fopen("/proc/self/mountinfo", "r") else {
            throw NamespaceError(description: "/proc is not mounted (a chroot?), and the try needs a private mount namespace")
        }
        defer { fclose(stream) }
        var text = ""
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), stream) != nil {
            text += String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        guard MountTable(text: text).rootIsMountPoint else {
            throw NamespaceError(description: "/ is not a mount point (a plain chroot?), so no private mount namespace can be made for the try")
        }
    }

    /// Runs the check in a new mount namespace (`unshare`), this program's `pam check
    /// --in-namespace` doing the work there. True when every result was the expected one.
    func runIsolated() throws(SetupFailure) -> Bool {
        do throws(NamespaceError) { try Self.checkNamespace() } catch {
            throw .io("cannot try the stack with pamtester: \(error.description)")
        }
        Output.line("trying the '\(service)' stack with pamtester (private namespace, throw-away user, store and configuration)")
        for program in ["pamtester", "unshare", "setpriv", "perl"] where !Self.onPath(program) {
            throw .io("\(program) is missing; it is needed to try the stack (apt-get install pamtester util-linux perl-base)")
        }
        let status = try Subprocess.runInheriting([
            "unshare", "--mount", "--propagation", "private", "--", try Subprocess.ownExecutable(),
            "pam", "check", service, "--pam-dir", pamDirectory, "--in-namespace",
        ])
        return status == 0
    }

    /// Tries each service's stack in turn (`runIsolated`) while no deferred signal has
    /// arrived; true when every try passed and nothing interrupted them.
    static func tryEach(_ services: [String], pamDirectory: String, deferral: SignalDeferral) -> Bool {
        for service in services {
            if deferral.interrupted { return false }
            do {
                guard try PamStackCheck(service: service, pamDirectory: pamDirectory).runIsolated() else { return false }
            } catch {
                Output.error(error.message)
                return false
            }
        }
        return !deferral.interrupted
    }

    /// The check itself; must already run in a private mount namespace.
    func runHere() throws(SetupFailure) -> Bool {
        guard mount("none", "/", nil, UInt(MS_REC | MS_PRIVATE), nil) == 0 else {
            throw .io("cannot make the mount namespace private: \(Subprocess.errnoText())")
        }
        if pamDirectory != PamDirectory.system {
            try bind(pamDirectory, over: PamDirectory.system)
        }
        let stack = try PamDirectory(path: PamDirectory.system).authStack(service)
        guard let entry = stack.firstModuleEntry, case .module(let line, _) = entry.kind else {
            Output.line("  the '\(service)' stack does not load \(PamServiceFile.moduleName)")
            return false
        }
        // The store the module would use (the line's store=, else the configuration's
        // store =, else the default: the options as the module loads them) gets a private
        // empty store mounted over it, and the configuration a private one that names only
        // that store: no fleet database, no other store of the configuration file is ever used.
        let options: ModuleOptions
        do throws(ConfigurationError) { options = try ConfigurationLoader.options(moduleArguments: line.arguments) } catch {
            Output.line("  the module line's options cannot be loaded (logins would fail): \(error.description)")
            return false
        }
        let config = options.configPath
        let store = options.storeDirectory
        var info = stat()
        guard stat(store, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            Output.line("  store \(store) is missing")
            return false
        }
        var template = Array("/tmp/swift-2fa-check.XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw .io("cannot create a temporary directory: \(Subprocess.errnoText())") }
        let scratch = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { Self.removeTree(scratch) }
        for path in Set([config, ConfigFile.defaultPath]) where stat(path, &info) == 0 {
            try PamDirectory(path: scratch).writeNew("store = \(store)\n", name: "private.conf", mode: 0o600)
            try bind("\(scratch)/private.conf", over: path)
        }
        // A split_answer line asks once, for the password followed by the code.
        let oneField = stack.entries.contains { $0.role == .split }
        return try check(line: line, oneField: oneField, store: store, config: config, scratch: scratch)
    }

    private func check(line: PamServiceFile.Line, oneField: Bool, store: String, config: String, scratch: String) throws(SetupFailure) -> Bool {
        let user = "s2fa-check-\(Self.hex(3))"
        let password = Self.hex(12)
        var uid: uid_t = 64999
        while getpwuid(uid) != nil || getgrgid(uid) != nil { uid -= 1 }
        let hashed = try Subprocess.run(["perl", "-e", """
            my $p = <STDIN>; chomp $p; my @c = ("a".."z", "A".."Z", 0..9, ".", "/");
            print crypt($p, "\\$6\\$" . join("", map { $c[rand @c] } 1..16) . "\\$")
            """], input: password + "\n").output
        guard hashed.hasPrefix("$6$") else {
            Output.line("  cannot hash a password (perl crypt)")
            return false
        }
        let days = time(nil) / 86400
        try addLine("\(user):x:\(uid):\(uid):swift-2fa check:/nonexistent:/usr/sbin/nologin", to: "/etc/passwd", scratch: scratch, mode: 0o644)
        try addLine("\(user):\(hashed):\(days):0:99999:7:::", to: "/etc/shadow", scratch: scratch, mode: 0o640)
        try addLine("\(user):x:\(uid):", to: "/etc/group", scratch: scratch, mode: 0o644)
        let privateStore = "\(scratch)/store"
        guard mkdir(privateStore, 0o700) == 0 else { throw .io("cannot create \(privateStore): \(Subprocess.errnoText())") }
        try bind(privateStore, over: store)
        guard getpwnam(user) != nil else {
            Output.line("  the throw-away user is not visible (nscd or a directory service caching users?)")
            Output.line("  cannot try the stack; check it by hand from a second terminal before logging out")
            return false
        }

        // Real uid: the throw-away user, as under setuid sudo and su (pam_rootok must not
        // wave the try through); effective uid: root, as in every PAM-using service.
        func pamtester(_ password: String, _ code: String) throws(SetupFailure) -> Subprocess.Result {
            let answers = oneField ? [password + code] : [password, code]
            return try Subprocess.run(["setpriv", "--ruid", "\(uid)", "--", "pamtester", "-v", service, user, "authenticate"],
                                      input: answers.map { $0 + "\n" }.joined())
        }
        var ok = true
        // 1. Not enrolled.
        let first = try pamtester(password, "000000")
        let text = first.output.lowercased()
        if text.contains("dlopen") || text.contains("module is unknown") || text.contains("symbol") {
            Output.line("  the module did not load: \(Self.oneLine(first.output))")
            return false
        }
        if line.arguments.contains("nullok") {
            if first.status == 0 {
                Output.line("  ok: a user who has not enrolled logs in with the password (nullok)")
            } else {
                Output.line("  FAILED: a user who has not enrolled was refused despite nullok: \(Self.oneLine(first.output))")
                ok = false
            }
        } else if first.status != 0 {
            Output.line("  ok: a user who has not enrolled is refused (no nullok)")
        } else {
            Output.line("  FAILED: a user who has not enrolled was accepted without nullok")
            ok = false
        }
        // 2, 3 and 4. Enrolled.
        guard let totp = try enroll(user: user, store: store, config: config) else { return false }
        let now = Int64(time(nil))
        guard let current = totp.code(at: now), let next = totp.code(at: now + 30) else {
            Output.line("  cannot compute a code")
            return false
        }
        let wrong = String(current.map { digit in
            digit.wholeNumberValue.map { Character(String(($0 + 5) % 10)) } ?? digit
        })
        // The module must not even run: its state (failures, the last used step) stays as it was.
        let stateBefore = Self.state(of: user, in: store)
        let wrongPassword = try pamtester(password + "x", next)
        let stateAfter = Self.state(of: user, in: store)
        if wrongPassword.status == 0 {
            Output.line("  FAILED: a wrong password with a valid code was accepted: the password line does not end the stack")
            ok = false
        } else if stateBefore == nil || stateBefore != stateAfter {
            Output.line("  FAILED: a wrong password with a valid code changed the module's state (failures \(stateAfter?.failures.description ?? "unreadable")): the module ran after a wrong password")
            ok = false
        } else {
            Output.line("  ok: a wrong password with a valid code is refused, and no failure is counted")
        }
        if try pamtester(password, wrong).status != 0 {
            Output.line("  ok: an enrolled user with a wrong code is refused")
        } else {
            Output.line("  FAILED: an enrolled user with a wrong code was accepted (is the module in the auth stack?)")
            ok = false
        }
        let valid = try pamtester(password, next)
        if valid.status == 0 {
            Output.line("  ok: an enrolled user with password and valid code logs in")
        } else {
            Output.line("  FAILED: an enrolled user with a valid code was refused: \(Self.oneLine(valid.output))")
            ok = false
        }
        return ok
    }

    /// The user's state (failures, last used step, ...): a fresh one without a file, nil
    /// when unreadable.
    private static func state(of user: String, in store: String) -> UserState? {
        try? Store(directory: store).readState(user: user)
    }

    /// Enrolls the throw-away user with this program (`enroll --pending`, then `confirm`),
    /// as an admin would; returns the code generator.
    private func enroll(user: String, store: String, config: String) throws(SetupFailure) -> TOTP? {
        struct Pending: Decodable { let secret: String }
        let me = try Subprocess.ownExecutable()
        let enrolled = try Subprocess.run([me, "enroll", "--user", user, "--pending", "--json", "--store", store, "--config", config])
        guard enrolled.status == 0,
              let pending = try? JSONDecoder().decode(Pending.self, from: Data(enrolled.output.utf8)),
              let secret = Base32.decode(pending.secret),
              let totp = TOTP(secret: secret, parameters: .standard),
              let code = totp.code(at: Int64(time(nil))) else {
            Output.line("  enroll failed: \(Self.oneLine(enrolled.output))")
            return nil
        }
        let confirmed = try Subprocess.run([me, "confirm", "--user", user, "--code", code, "--json", "--store", store, "--config", config])
        guard confirmed.status == 0 else {
            Output.line("  confirm failed: \(Self.oneLine(confirmed.output))")
            return nil
        }
        return totp
    }

    /// Bind-mounts a private copy of `system` with `line` appended over it.
    private func addLine(_ line: String, to system: String, scratch: String, mode: mode_t) throws(SetupFailure) {
        let name = String(system.split(separator: "/").last ?? "file")
        let copy = "\(scratch)/\(name)"
        guard let original = try PamDirectory(path: "/etc").read(name) else { throw .io("cannot read \(system)") }
        let text = original.isEmpty || original.hasSuffix("\n") ? original : original + "\n"
        try PamDirectory(path: scratch).writeNew(text + line + "\n", name: name, mode: mode)
        try bind(copy, over: system)
    }

    private func bind(_ source: String, over target: String) throws(SetupFailure) {
        guard mount(source, target, nil, UInt(MS_BIND), nil) == 0 else {
            throw .io("cannot bind \(source) over \(target): \(Subprocess.errnoText())")
        }
    }

    private static func onPath(_ program: String) -> Bool {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        return path.split(separator: ":").contains { access("\($0)/\(program)", X_OK) == 0 }
    }

    private static func hex(_ bytes: Int) -> String {
        (0..<bytes).map { _ in
            let byte = UInt8.random(in: .min ... .max)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// Removes the scratch directory (its mounts end with the namespace; nothing in it is
    /// mounted on).
    private static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
