/// A service's auth stack as libpam loads it: the service file with every `@include`,
/// `auth include` inlined and every `auth substack` one level deeper, in order. Only the
/// `auth` lines; the other types never run in `pam_authenticate`.
public struct AuthStack: Sendable {
    /// The service whose stack this is.
    public let service: String
    /// The lines, in the order libpam runs them.
    public let entries: [Entry]

    /// Where a line comes from, for messages: `common-auth:1`.
    public struct Location: Hashable, Sendable, CustomStringConvertible {
        public let file: String
        /// 1-based.
        public let line: Int
        public var description: String { "\(file):\(line)" }
    }

    /// One line of the stack.
    public struct Entry: Sendable {
        public let location: Location
        /// The files included on the way to this line, starting below the service's own file.
        public let via: [String]
        /// 0 for the service's lines and what they include, one more for each substack.
        public let level: Int
        /// The line of the service's own file (0-based) that brought this line in.
        public let topIndex: Int
        public let kind: Kind
        public let role: ModuleRole
    }

    /// What libpam does when it reaches a line.
    public enum Kind: Sendable {
        /// Calls the module and applies the control.
        case module(PamServiceFile.Line, PamControl)
        /// The marker in front of a substack's lines; skipped when run.
        case substack(String)
        /// A line libpam could not use (a missing included file, a line with no module):
        /// it always fails with `bad`.
        case broken(String)
    }

    /// libpam's limit on nested includes (PAM_SUBSTACK_MAX_LEVEL).
    static let maximumDepth = 16

    /// Loads the stack of `service`; `read` gives a file's text by the name an include
    /// uses (nil when there is no such file).
    public static func load<E: Error>(service: String, read: (String) throws(E) -> String?) throws(E) -> AuthStack {
        var entries: [Entry] = []
        func add(file: String, text: String, via: [String], level: Int, depth: Int, top: Int?) throws(E) {
            for logical in PamServiceFile(text: text).logicalLines {
                let line = logical.line
                let location = Location(file: file, line: logical.index + 1)
                let topIndex = top ?? logical.index
                if let included = line.includedFile {
                    let substack = line.type != "@include" && line.control.lowercased() == "substack"
                    if substack {
                        entries.append(Entry(location: location, via: via, level: level, topIndex: topIndex,
                                             kind: .substack(included), role: .other))
                    }
                    let chain = via + [file]
                    if depth + 1 >= maximumDepth || chain.contains(included) {
                        entries.append(Entry(location: location, via: via, level: level, topIndex: topIndex,
                                             kind: .broken("includes \(included) too deeply"), role: .other))
                    } else if let text = try read(included) {
                        try add(file: included, text: text, via: via + [included], level: level + (substack ? 1 : 0),
                                depth: depth + 1, top: topIndex)
                    } else if line.type != "@include" {
                        // libpam fails an `auth include|substack` of a missing file; an
                        // `@include` of one (often common-account in a test directory)
                        // adds no auth line.
                        entries.append(Entry(location: location, via: via, level: level, topIndex: topIndex,
                                             kind: .broken("\(included) does not exist"), role: .other))
                    }
                    continue
                }
                guard line.isAuth else { continue }
                guard !line.module.isEmpty, let control = PamControl(line.control) else {
                    entries.append(Entry(location: location, via: via, level: level, topIndex: topIndex,
                                         kind: .broken("no module or no control"), role: .other))
                    continue
                }
                entries.append(Entry(location: location, via: via, level: level, topIndex: topIndex,
                                     kind: .module(line, control), role: ModuleRole(line)))
            }
        }
        guard let text = try read(service) else { return AuthStack(service: service, entries: []) }
        try add(file: service, text: text, via: [], level: 0, depth: 0, top: nil)
        return AuthStack(service: service, entries: entries)
    }

    /// Whether this stack loads the module in a line that checks a code (not `split_answer`).
    public var asksForCode: Bool { entries.contains { $0.role.isCheck } }

    /// The first line that loads the module (a checking one if there is one).
    public var firstModuleEntry: Entry? {
        entries.first { $0.role.isCheck } ?? entries.first { $0.role == .split }
    }
}

/// What part a line plays for the second factor.
public enum ModuleRole: Hashable, Sendable {
    /// A module that checks the password (`pam_unix.so`, `pam_sss.so`, ...).
    case password
    /// pam_swift2fa.so checking a code; `firstPass` when it takes the code a `split_answer`
    /// instance kept (`use_first_pass` or `try_first_pass`); `nullok` when it may answer ignore.
    case check(firstPass: Bool, nullok: Bool)
    /// pam_swift2fa.so with `split_answer`: checks nothing, keeps the code.
    case split
    /// Anything else.
    case other

    /// The modules that check the user's password, as the stacks of Debian and Ubuntu
    /// and pam-auth-update's profiles use them.
    public static let passwordModules: Set<String> = [
        "pam_unix.so", "pam_unix2.so", "pam_sss.so", "pam_ldap.so", "pam_krb5.so", "pam_winbind.so",
        "pam_userdb.so", "pam_pwdb.so",
    ]

    init(_ line: PamServiceFile.Line) {
        if line.loadsModule {
            if line.arguments.contains("split_answer") {
                self = .split
            } else {
                self = .check(firstPass: line.arguments.contains("use_first_pass") || line.arguments.contains("try_first_pass"),
                              nullok: line.arguments.contains("nullok"))
            }
        } else if Self.passwordModules.contains(line.moduleFileName) {
            self = .password
        } else {
            self = .other
        }
    }

    /// A line of pam_swift2fa.so that checks a code.
    public var isCheck: Bool {
        if case .check = self { return true }
        return false
    }
}
