/// Where the module takes the user's answer from.
public enum AnswerSource: Equatable, Sendable {
    /// Prompt for the code (the default).
    case prompt
    /// `split_answer`, the first of two instances for panels with one field, placed before
    /// the password module: one prompt (`Password & verification code: `), the code is split
    /// off the end and kept for the verifying instance (`use_first_pass`) after the password
    /// module, and the rest becomes PAM_AUTHTOK. This instance checks nothing and counts
    /// nothing; it returns PAM_IGNORE.
    case split
    /// `try_first_pass`: the code a `split_answer` instance kept, or else a prompt.
    case tryFirstPass
    /// `use_first_pass`: the code a `split_answer` instance kept; never prompt.
    case useFirstPass
}

/// The options of the `pam_swift2fa.so` line in a PAM service file, on top of the
/// site-wide configuration file (`ConfigFile`).
///
/// Parsing is strict: an unknown, repeated or malformed option is an error and the
/// module refuses the login (fail closed). No environment variable is consulted.
public struct ModuleOptions: Equatable, Sendable {
    /// Where the secret file is: a template with `${USER}`, `${HOME}` and a leading `~/`.
    /// Nil means the root-owned store: `<store>/<user>.secret`.
    public var secretTemplate: String?
    /// The root-owned directory that holds secrets (by default), state and locks.
    public var storeDirectory: String = ModuleOptions.defaultStoreDirectory
    /// The configuration file (`config=`).
    public var configPath: String = ConfigFile.defaultPath
    /// A user with no secret gets PAM_IGNORE instead of a refusal.
    public var nullok = false
    /// Where the answer comes from: a prompt, or the split of a one-field answer.
    public var answerSource = AnswerSource.prompt
    /// Show the code while it is typed.
    public var echoCode = false
    /// The prompt text; nil for the default.
    public var prompt: String?
    public var debug = false
    /// Offer enrollment in the conversation to a user with no enrollment (see LoginEnrollment).
    public var enroll = false
    /// Offer enrollment only to members of this group (`enroll_group=`, which implies `enroll`).
    public var enrollGroup: String?
    /// When the enrollment at login draws the QR code (`enroll_qr=`).
    public var enrollQR = EnrollQR.auto
    /// Who is not asked for a code (`exempt_group=`, `require_group=`, `exempt_network=`).
    public var exemptions = Exemptions()
    /// `grace_period=` and `grace_key=`; a period of 0 (the default) is off.
    public var grace = GracePeriod(seconds: 0)
    public var policy = VerificationPolicy.standard
    /// The fleet database's libpq connection string (`database =`, configuration file only).
    public var databaseConninfo: String?
    /// Seconds for connecting and each call to the fleet database (`database_timeout =`).
    public var databaseTimeout = FleetSettings.defaultTimeoutSeconds
    /// The directory of the local pooler's socket (`pooler =`), used in fleet mode.
    public var poolerDirectory = Pooler.defaultDirectory
    /// The admin's event hook (`notify =`, configuration file only): a root-owned program
    /// that gets each `HookEvent` as JSON on standard input.
    public var notifyProgram: String?

    /// Fleet mode, when the configuration file names a database: the PostgreSQL fleet store
    /// replaces the file store.
    public var fleet: FleetSettings? {
        databaseConninfo.map { FleetSettings(conninfo: $0, timeoutSeconds: databaseTimeout, poolerDirectory: poolerDirectory) }
    }

    public static let defaultStoreDirectory = "/var/lib/swift-2fa"
    public static let defaultPrompt = "Verification code: "
    public static let defaultSplitPrompt = "Password & verification code: "

    public init() {}

    /// The prompt to show, taking `split_answer` into account.
    public var effectivePrompt: String {
        if let prompt { return prompt }
        return answerSource == .split ? Self.defaultSplitPrompt : Self.defaultPrompt
    }

    /// Every option name, for documentation and error messages.
    public static let names = [
        "secret=", "store=", "config=", "nullok", "split_answer", "try_first_pass", "use_first_pass",
        "echo_code", "echo_verification_code", "prompt=", "authtok_prompt=", "window=", "hotp_window=",
        "throttle_after=", "throttle_delay=", "throttle_max=", "lock_after=", "debug",
        "enroll", "enroll_group=", "enroll_qr=", "exempt_group=", "require_group=", "exempt_network=",
        "grace_period=", "grace_key=",
    ]

    /// The configuration file the arguments name (`config=PATH`), or the default. Fails on
    /// a malformed `config=`; every other problem is left to `parse`.
    public static func configPath(in arguments: [String]) throws(OptionError) -> String {
        var path = ConfigFile.defaultPath
        var seen = false
        for argument in arguments where argument == "config" || argument.hasPrefix("config=") {
            guard !seen else { throw OptionError("option 'config' given more than once") }
            seen = true
            let value = String(argument.dropFirst("config=".count))
            guard argument.hasPrefix("config="), isValidAbsolutePath(value) else {
                throw OptionError("option 'config' needs an absolute path without '..'")
            }
            path = value
        }
        return path
    }

    /// Parses the module arguments as libpam passes them (`[prompt=a b]` arrives as `prompt=a b`),
    /// on top of the configuration file's settings: an argument overrides the file.
    public static func parse(_ arguments: [String], config: ConfigFile = .empty) throws(OptionError) -> ModuleOptions {
        var options = ModuleOptions()
        for entry in config.entries {
            do throws(OptionError) {
                try options.apply(key: entry.key, value: entry.value)
            } catch {
                throw OptionError("\(config.path) line \(entry.line): \(error.description)")
            }
        }
        var seen = Set<String>()
        var sources: [String] = []
        for argument in arguments {
            let key: String
            let value: String?
            if let equals = argument.firstIndex(of: "=") {
                key = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            } else {
                key = argument
                value = nil
            }
            if ConfigFile.fileOnlyKeys.contains(key) {
                throw OptionError("option '\(key)' is set only in the configuration file")
            }
            let canonical = canonicalName(key)
            guard !seen.contains(canonical) else { throw OptionError("option '\(key)' given more than once") }
            seen.insert(canonical)
            if ["split_answer", "try_first_pass", "use_first_pass"].contains(key) { sources.append(key) }
            try options.apply(key: key, value: value)
        }
        if sources.count > 1 {
            throw OptionError("\(sources[0]) and \(sources[1]) exclude each other")
        }
        try options.checkEnrollment()
        if options.policy.throttle.maxDelay < options.policy.throttle.baseDelay {
            throw OptionError("throttle_max is smaller than throttle_delay")
        }
        return options
    }

    private static func canonicalName(_ key: String) -> String {
        switch key {
        case "echo_verification_code": return "echo_code"
        case "authtok_prompt": return "prompt"
        default: return key
        }
    }

    private mutating func apply(key: String, value: String?) throws(OptionError) {
        func flag(_ set: (inout ModuleOptions) -> Void) throws(OptionError) {
            guard value == nil else { throw OptionError("option '\(key)' takes no value") }
            set(&self)
        }
        func number(_ range: ClosedRange<Int>, _ set: (inout ModuleOptions, Int) -> Void) throws(OptionError) {
            guard let value, value.utf8.count <= 6, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let parsed = Int(value), range.contains(parsed) else {
                throw OptionError("option '\(key)' needs a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            set(&self, parsed)
        }
        switch key {
        case "nullok": try flag { $0.nullok = true }
        case "split_answer": try flag { $0.answerSource = .split }
        case "forward_pass":
            // It used to check the code before the password module had run. Refused, so an
            // old one-line stack fails closed instead of silently checking no code at all.
            throw OptionError("forward_pass is replaced by split_answer before the password module "
                              + "and use_first_pass after it; see pam_swift2fa(8)")
        case "try_first_pass": try flag { $0.answerSource = .tryFirstPass }
        case "use_first_pass": try flag { $0.answerSource = .useFirstPass }
        case "echo_code", "echo_verification_code": try flag { $0.echoCode = true }
        case "debug": try flag { $0.debug = true }
        case "enroll": try flag { $0.enroll = true }
        case "enroll_group":
            guard let value, UserName.isSafe(value) else {
                throw OptionError("option 'enroll_group' needs a group name")
            }
            enroll = true
            enrollGroup = value
        case "exempt_group":
            exemptions.exemptGroups = try Exemptions.groups(key, value)
        case "require_group":
            exemptions.requiredGroups = try Exemptions.groups(key, value)
        case "exempt_network":
            exemptions.exemptNetworks = try Exemptions.networks(key, value)
        case "grace_period": try number(GracePeriod.range) { $0.grace.seconds = $1 }
        case "grace_key":
            guard let value, let key = GracePeriod.Key(rawValue: value) else {
                throw OptionError("option 'grace_key' needs rhost, rhost+tty or tty")
            }
            grace.key = key
        case "enroll_qr":
            guard let value, let mode = EnrollQR(rawValue: value) else {
                throw OptionError("option 'enroll_qr' needs auto, always or never")
            }
            enrollQR = mode
        case "window": try number(VerificationPolicy.windowRange) { $0.policy.window = $1 }
        case "hotp_window": try number(VerificationPolicy.hotpWindowRange) { $0.policy.hotpWindow = $1 }
        case "throttle_after": try number(ThrottlePolicy.throttleAfterRange) { $0.policy.throttle.throttleAfter = $1 }
        case "throttle_delay": try number(ThrottlePolicy.baseDelayRange) { $0.policy.throttle.baseDelay = $1 }
        case "throttle_max": try number(ThrottlePolicy.maxDelayRange) { $0.policy.throttle.maxDelay = $1 }
        case "lock_after": try number(ThrottlePolicy.lockAfterRange) { $0.policy.throttle.lockAfter = $1 }
        case "prompt", "authtok_prompt":
            guard let value, !value.isEmpty, value.utf8.count <= 200,
                  value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
                throw OptionError("option '\(key)' needs printable text of 1 to 200 bytes")
            }
            prompt = value
        case "secret":
            guard let value, Self.isValidSecretTemplate(value) else {
                throw OptionError("option 'secret' needs an absolute path, or one starting with ~/ or ${HOME}")
            }
            secretTemplate = value
        case "store":
            guard let value, Self.isValidAbsolutePath(value) else {
                throw OptionError("option 'store' needs an absolute path without '..'")
            }
            storeDirectory = value
        case "database":
            guard let value, !value.isEmpty else { throw OptionError("option 'database' needs a connection string") }
            databaseConninfo = value
        case "database_timeout":
            try number(FleetSettings.timeoutRange) { $0.databaseTimeout = $1 }
        case "pooler":
            guard let value, Self.isValidAbsolutePath(value) else {
                throw OptionError("option 'pooler' needs an absolute path without '..'")
            }
            poolerDirectory = value
        case "notify":
            guard let value, Self.isValidAbsolutePath(value) else {
                throw OptionError("option 'notify' needs the absolute path of a program, without '..'")
            }
            notifyProgram = value
        case "config":
            // Read before the rest (`configPath(in:)`); recorded so the options say which file applied.
            guard let value, Self.isValidAbsolutePath(value) else {
                throw OptionError("option 'config' needs an absolute path without '..'")
            }
            configPath = value
        default:
            throw OptionError("unknown option '\(key.prefix(64))'")
        }
    }

    /// Enrollment at login writes to the store, and asks for its own code.
    private func checkEnrollment() throws(OptionError) {
        guard enroll else { return }
        if secretTemplate != nil { throw OptionError("enroll writes to the store and excludes secret=") }
        if answerSource == .split || answerSource == .useFirstPass {
            throw OptionError("enroll excludes split_answer and use_first_pass: it asks for its own code")
        }
    }

    /// Sets the store as `store=` on a module line does (the command's `--store`).
    public mutating func setStore(_ directory: String) throws(OptionError) { try apply(key: "store", value: directory) }

    /// Sets the secret template as `secret=` on a module line does (the command's `--secret-file`).
    public mutating func setSecretTemplate(_ template: String) throws(OptionError) {
        try apply(key: "secret", value: template)
    }

    /// True when `path` is acceptable as `config=` (the command's `--config`).
    public static func isValidConfigPath(_ path: String) -> Bool { isValidAbsolutePath(path) }

    private static func isValidAbsolutePath(_ path: String) -> Bool {
        path.hasPrefix("/") && path.utf8.count <= 1024 && !path.split(separator: "/").contains("..")
            && path.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F })
    }

    private static func isValidSecretTemplate(_ template: String) -> Bool {
        guard template.utf8.count <= 1024, template.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }),
              !template.split(separator: "/").contains("..") else { return false }
        return template.hasPrefix("/") || template.hasPrefix("~/") || template.hasPrefix("${HOME}")
    }

    /// The secret file path for a user: the template expanded from the passwd entry,
    /// or `<store>/<user>.secret`. Nil when the result is not an absolute path.
    /// `user` must already have passed `UserName.check(_:)`. Callers use
    /// `secretLocation(for:storeOwners:)`, which adds who may own the file.
    public func secretPath(user: String, home: String) -> String? {
        guard let template = secretTemplate else { return "\(storeDirectory)/\(user).secret" }
        var path = template
        if path.hasPrefix("~/") { path = home + "/" + path.dropFirst(2) }
        path = path.replacingAll("${HOME}", with: home).replacingAll("${USER}", with: user)
        guard path.hasPrefix("/"), !path.split(separator: "/").contains("..") else { return nil }
        return path
    }
}

/// An invalid module option; the text names the option.
public struct OptionError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension String {
    /// Replaces every occurrence of `target`. Written out by hand so the module does not
    /// pull in the string-processing (regex) library (nor the command Foundation).
    public func replacingAll(_ target: String, with replacement: String) -> String {
        let source = Array(utf8)
        let pattern = Array(target.utf8)
        guard !pattern.isEmpty, source.count >= pattern.count else { return self }
        var result: [UInt8] = []
        result.reserveCapacity(source.count)
        var index = 0
        while index < source.count {
            if index + pattern.count <= source.count && source[index..<(index + pattern.count)].elementsEqual(pattern) {
                result.append(contentsOf: replacement.utf8)
                index += pattern.count
            } else {
                result.append(source[index])
                index += 1
            }
        }
        return String(decoding: result, as: UTF8.self)
    }
}
