import Testing
@testable import TwoFactorCore

@Suite("ModuleOptions")
struct ModuleOptionsTests {
    static func parsed(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> ModuleOptions {
        do throws(OptionError) {
            return try ModuleOptions.parse(arguments)
        } catch {
            Issue.record("refused \(arguments): \(error)", sourceLocation: sourceLocation)
            throw error
        }
    }

    static func expectRefused(_ arguments: [String], mentioning fragment: String? = nil,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        do throws(OptionError) {
            let options = try ModuleOptions.parse(arguments)
            Issue.record("accepted \(arguments) as \(options)", sourceLocation: sourceLocation)
        } catch {
            #expect(!error.description.isEmpty, sourceLocation: sourceLocation)
            if let fragment {
                #expect(error.description.contains(fragment), "'\(error.description)' should mention '\(fragment)'",
                        sourceLocation: sourceLocation)
            }
        }
    }

    /// A valid argument for each documented option name.
    static func sampleArgument(for name: String) -> String {
        switch name {
        case "secret=": return "secret=/etc/swift-2fa/${USER}.secret"
        case "store=": return "store=/srv/2fa"
        case "config=": return "config=/srv/2fa.conf"
        case "prompt=": return "prompt=Code: "
        case "authtok_prompt=": return "authtok_prompt=OTP: "
        case "window=": return "window=2"
        case "hotp_window=": return "hotp_window=20"
        case "throttle_after=": return "throttle_after=5"
        case "throttle_delay=": return "throttle_delay=10"
        case "throttle_max=": return "throttle_max=600"
        case "lock_after=": return "lock_after=50"
        case "enroll_group=": return "enroll_group=wheel"
        case "enroll_qr=": return "enroll_qr=never"
        case "exempt_group=": return "exempt_group=wheel"
        case "require_group=": return "require_group=staff"
        case "exempt_network=": return "exempt_network=10.0.0.0/8"
        case "grace_period=": return "grace_period=300"
        case "grace_key=": return "grace_key=tty"
        default: return name
        }
    }

    @Test("defaults")
    func defaults() throws {
        let options = try Self.parsed([])
        #expect(options == ModuleOptions())
        #expect(options.secretTemplate == nil)
        #expect(options.storeDirectory == "/var/lib/swift-2fa")
        #expect(!options.nullok)
        #expect(options.answerSource == .prompt)
        #expect(options.configPath == "/etc/swift-2fa/swift-2fa.conf")
        #expect(!options.echoCode)
        #expect(options.prompt == nil)
        #expect(!options.debug)
        #expect(options.policy == .standard)
        #expect(options.policy.window == 1)
        #expect(options.policy.throttle == .standard)
        #expect(options.effectivePrompt == "Verification code: ")
    }

    @Test("every documented option name is accepted", arguments: ModuleOptions.names)
    func everyName(name: String) throws {
        let options = try Self.parsed([Self.sampleArgument(for: name)])
        #expect(options != ModuleOptions(), "\(name) changed nothing")
    }

    @Test("each option sets what it says")
    func effects() throws {
        #expect(try Self.parsed(["nullok"]).nullok)
        #expect(try Self.parsed(["split_answer"]).answerSource == .split)
        Self.expectRefused(["forward_pass"], mentioning: "split_answer")
        #expect(try Self.parsed(["try_first_pass"]).answerSource == .tryFirstPass)
        #expect(try Self.parsed(["use_first_pass"]).answerSource == .useFirstPass)
        #expect(try Self.parsed(["config=/srv/2fa.conf"]).configPath == "/srv/2fa.conf")
        #expect(try Self.parsed(["echo_code"]).echoCode)
        #expect(try Self.parsed(["echo_verification_code"]).echoCode)
        #expect(try Self.parsed(["debug"]).debug)
        #expect(try Self.parsed(["window=0"]).policy.window == 0)
        #expect(try Self.parsed(["window=10"]).policy.window == 10)
        #expect(try Self.parsed(["hotp_window=0"]).policy.hotpWindow == 0)
        #expect(try Self.parsed(["hotp_window=40"]).policy.hotpWindow == 40)
        Self.expectRefused(["hotp_window=41"], mentioning: "hotp_window")
        #expect(try Self.parsed(["throttle_after=1"]).policy.throttle.throttleAfter == 1)
        #expect(try Self.parsed(["throttle_delay=5"]).policy.throttle.baseDelay == 5)
        #expect(try Self.parsed(["throttle_max=86400"]).policy.throttle.maxDelay == 86_400)
        #expect(try Self.parsed(["lock_after=100"]).policy.throttle.lockAfter == 100)
        #expect(try Self.parsed(["lock_after=1"]).policy.throttle.lockAfter == 1)
        #expect(try Self.parsed(["prompt=Code please: "]).prompt == "Code please: ")
        #expect(try Self.parsed(["authtok_prompt=OTP"]).prompt == "OTP")
        #expect(try Self.parsed(["store=/srv/2fa"]).storeDirectory == "/srv/2fa")
        #expect(try Self.parsed(["secret=/etc/2fa/${USER}"]).secretTemplate == "/etc/2fa/${USER}")
    }

    @Test("all options together")
    func allTogether() throws {
        let options = try Self.parsed([
            "secret=~/.config/swift-2fa/secret", "store=/srv/2fa", "nullok", "try_first_pass", "echo_code",
            "prompt=Token: ", "window=3", "throttle_after=4", "throttle_delay=15", "throttle_max=60", "lock_after=20", "debug",
        ])
        #expect(options.secretTemplate == "~/.config/swift-2fa/secret")
        #expect(options.storeDirectory == "/srv/2fa")
        #expect(options.nullok && options.answerSource == .tryFirstPass && options.echoCode && options.debug)
        #expect(options.policy == VerificationPolicy(window: 3, throttle: ThrottlePolicy(throttleAfter: 4, baseDelay: 15,
                                                                                          maxDelay: 60, lockAfter: 20)))
        #expect(options.effectivePrompt == "Token: ")
    }

    @Test("the prompt defaults depend on split_answer")
    func prompts() throws {
        #expect(try Self.parsed(["split_answer"]).effectivePrompt == "Password & verification code: ")
        #expect(try Self.parsed(["split_answer", "prompt=Both: "]).effectivePrompt == "Both: ")
        #expect(try Self.parsed(["prompt=Enter your 6 digit code: "]).effectivePrompt == "Enter your 6 digit code: ")
        #expect(try Self.parsed(["prompt=a=b"]).prompt == "a=b", "only the first '=' separates the value")
    }

    @Test("unknown options are refused", arguments: ["bogus", "nullOK", "NULLOK", "secret_file=/x", "window", "=", "=x", "",
                                                     "user=root", "usersfile=/etc/users.oath", " nullok", "nullok "])
    func unknown(argument: String) {
        Self.expectRefused([argument])
    }

    @Test("an unknown option's message names it")
    func unknownMessage() {
        Self.expectRefused(["frobnicate"], mentioning: "frobnicate")
    }

    @Test("repeated options are refused, also through aliases", arguments: [
        ["nullok", "nullok"], ["debug", "debug"], ["window=1", "window=2"], ["window=1", "window=1"],
        ["echo_code", "echo_verification_code"], ["echo_verification_code", "echo_code"],
        ["prompt=a", "authtok_prompt=b"], ["authtok_prompt=a", "prompt=a"],
        ["secret=/a", "secret=/b"], ["store=/a", "store=/b"], ["lock_after=5", "lock_after=6"],
    ])
    func duplicates(arguments: [String]) {
        Self.expectRefused(arguments, mentioning: "more than once")
    }

    @Test("flags refuse a value", arguments: ["nullok=1", "nullok=", "split_answer=yes", "try_first_pass=1", "use_first_pass=1",
                                              "echo_code=1", "echo_verification_code=true", "debug=", "debug=0"])
    func flagWithValue(argument: String) {
        Self.expectRefused([argument], mentioning: "no value")
    }

    @Test("numeric options refuse bad numbers", arguments: [
        "window=", "window=-1", "window=11", "window=1.5", "window= 1", "window=1 ", "window=+1", "window=0x1",
        "window=one", "window=99999999999999999999999999", "window=١",
        "throttle_after=0", "throttle_after=101", "throttle_delay=0", "throttle_delay=86401",
        "throttle_max=0", "throttle_max=86401", "throttle_max=9999999",
        "lock_after=0", "lock_after=101", "lock_after=1000",
    ])
    func badNumbers(argument: String) {
        Self.expectRefused([argument], mentioning: "whole number")
    }

    @Test("numbers at the edges of their ranges are accepted",
          arguments: ["window=0", "window=10", "throttle_after=1", "throttle_after=100", "throttle_delay=1",
                      "throttle_max=86400", "lock_after=1", "lock_after=100"])
    func edgeNumbers(argument: String) throws {
        var arguments = [argument]
        // throttle_max must stay >= the default base delay of 30 s, and throttle_delay <= the default max 900.
        if argument == "throttle_delay=1" { arguments.append("throttle_max=1") }
        _ = try Self.parsed(arguments)
    }

    @Test("try_first_pass and use_first_pass exclude each other")
    func firstPassConflict() {
        Self.expectRefused(["try_first_pass", "use_first_pass"], mentioning: "use_first_pass")
        Self.expectRefused(["use_first_pass", "try_first_pass"])
    }

    @Test("split_answer excludes try_first_pass and use_first_pass")
    func splitAnswerConflict() {
        Self.expectRefused(["split_answer", "try_first_pass"], mentioning: "split_answer")
        Self.expectRefused(["use_first_pass", "split_answer"], mentioning: "split_answer")
    }

    @Test("throttle_max smaller than throttle_delay is refused")
    func throttleOrder() throws {
        Self.expectRefused(["throttle_delay=60", "throttle_max=30"], mentioning: "throttle_max")
        Self.expectRefused(["throttle_max=10"], mentioning: "throttle_max") // default base delay is 30
        Self.expectRefused(["throttle_delay=901"], mentioning: "throttle_max") // default max delay is 900
        let equal = try Self.parsed(["throttle_delay=60", "throttle_max=60"])
        #expect(equal.policy.throttle.baseDelay == 60)
        #expect(equal.policy.throttle.maxDelay == 60)
    }

    @Test("prompts: spaces kept, bad prompts refused")
    func promptValidation() throws {
        #expect(try Self.parsed(["prompt=  two  spaces  "]).prompt == "  two  spaces  ")
        #expect(try Self.parsed(["prompt=" + String(repeating: "p", count: 200)]).prompt?.count == 200)
        #expect(try Self.parsed(["prompt=Código: "]).prompt == "Código: ")
        Self.expectRefused(["prompt="])
        Self.expectRefused(["prompt"])
        Self.expectRefused(["authtok_prompt"])
        Self.expectRefused(["prompt=" + String(repeating: "p", count: 201)])
        Self.expectRefused(["prompt=line\nbreak"])
        Self.expectRefused(["prompt=tab\there"])
        Self.expectRefused(["prompt=esc\u{1B}[2J"])
        Self.expectRefused(["prompt=del\u{7F}"])
        Self.expectRefused(["prompt=nul\u{0}"])
    }

    @Test("store must be an absolute path without '..'", arguments: [
        "store=", "store", "store=var/lib/2fa", "store=./2fa", "store=~/2fa", "store=/var/lib/../../etc",
        "store=/var/..", "store=..", "store=/var/lib/2fa\n", "store=/" + String(repeating: "a", count: 1024),
    ])
    func badStore(argument: String) {
        Self.expectRefused([argument], mentioning: "store")
    }

    @Test("store accepts ordinary absolute paths")
    func goodStore() throws {
        #expect(try Self.parsed(["store=/var/lib/swift 2fa"]).storeDirectory == "/var/lib/swift 2fa")
        #expect(try Self.parsed(["store=/var/lib/..hidden"]).storeDirectory == "/var/lib/..hidden")
        #expect(try Self.parsed(["store=/"]).storeDirectory == "/")
    }

    @Test("secret= templates: absolute, ~/ or ${HOME}; never relative or with '..'", arguments: [
        "secret=", "secret", "secret=relative/path", "secret=.google_authenticator", "secret=~user/.x", "secret=~",
        "secret=${USER}/x", "secret=/etc/../root/x", "secret=~/../other/.x", "secret=${HOME}/../x",
        "secret=/etc/2fa/\n", "secret=$HOME/.x", "secret=/" + String(repeating: "a", count: 1024),
    ])
    func badSecretTemplate(argument: String) {
        Self.expectRefused([argument], mentioning: "secret")
    }

    @Test("secret= accepts absolute, home-relative and ${HOME} templates")
    func goodSecretTemplates() throws {
        let absolute = try Self.parsed(["secret=/etc/swift-2fa/${USER}.secret"])
        #expect(absolute.secretTemplate == "/etc/swift-2fa/${USER}.secret")
        #expect(try Self.parsed(["secret=~/.swift-2fa"]).secretTemplate == "~/.swift-2fa")
        #expect(try Self.parsed(["secret=${HOME}/.config/${USER}.2fa"]).secretTemplate == "${HOME}/.config/${USER}.2fa")
        #expect(try Self.parsed(["secret=/mnt/${HOME}/x"]).secretTemplate == "/mnt/${HOME}/x")
    }

    // MARK: secretPath

    @Test("the default secret path is <store>/<user>.secret")
    func defaultSecretPath() throws {
        #expect(ModuleOptions().secretPath(user: "alice", home: "/home/alice") == "/var/lib/swift-2fa/alice.secret")
        let custom = try Self.parsed(["store=/srv/2fa"])
        #expect(custom.secretPath(user: "bob", home: "/home/bob") == "/srv/2fa/bob.secret")
        #expect(custom.secretPath(user: "first.last@example.com", home: "/home/x") == "/srv/2fa/first.last@example.com.secret")
    }

    @Test("templates expand ${USER}, ${HOME} and a leading ~/")
    func expansion() throws {
        let cases: [(template: String, expected: String)] = [
            ("/etc/2fa/${USER}.secret", "/etc/2fa/alice.secret"),
            ("/etc/2fa/${USER}/${USER}", "/etc/2fa/alice/alice"),
            ("~/.swift-2fa", "/home/alice/.swift-2fa"),
            ("~/.config/${USER}", "/home/alice/.config/alice"),
            ("${HOME}/.swift-2fa", "/home/alice/.swift-2fa"),
            ("${HOME}/${USER}-${HOME}", "/home/alice/alice-/home/alice"),
            ("/var/~/x", "/var/~/x"),
            ("/etc/$USER/x", "/etc/$USER/x"),
        ]
        for (template, expected) in cases {
            let options = try Self.parsed(["secret=" + template])
            #expect(options.secretPath(user: "alice", home: "/home/alice") == expected, "\(template)")
        }
    }

    @Test("expansion never yields a relative path or one with '..'")
    func expansionRefusals() throws {
        let tilde = try Self.parsed(["secret=~/.swift-2fa"])
        #expect(tilde.secretPath(user: "alice", home: "relative/home") == nil)
        #expect(tilde.secretPath(user: "alice", home: "/home/../root") == nil)
        let home = try Self.parsed(["secret=${HOME}/.swift-2fa"])
        #expect(home.secretPath(user: "alice", home: "home") == nil)
        let user = try Self.parsed(["secret=/etc/2fa/${USER}/x"])
        #expect(user.secretPath(user: "..", home: "/home/x") == nil, "even if a caller forgot UserName.check")
    }

    @Test("replacingAll replaces every occurrence, left to right, once")
    func replacingAll() {
        #expect("a${USER}b${USER}c".replacingAll("${USER}", with: "bob") == "abobbbobc")
        #expect("${USER}".replacingAll("${USER}", with: "") == "")
        #expect("none here".replacingAll("${USER}", with: "bob") == "none here")
        #expect("abc".replacingAll("", with: "x") == "abc")
        #expect("ab".replacingAll("abc", with: "x") == "ab")
        #expect("aaa".replacingAll("aa", with: "X") == "Xa")
        #expect("${USER}".replacingAll("${USER}", with: "${USER}${USER}") == "${USER}${USER}")
        #expect("é/${USER}/ü".replacingAll("${USER}", with: "jörg") == "é/jörg/ü")
        #expect("${USE${USER}R}".replacingAll("${USER}", with: "") == "${USER}")
    }

    @Test("expanded values are not expanded again")
    func noDoubleExpansion() throws {
        let options = try Self.parsed(["secret=/etc/2fa/${USER}.secret"])
        // A user name that looks like a variable stays literal.
        #expect(options.secretPath(user: "${HOME}", home: "/root") == "/etc/2fa/${HOME}.secret")
    }
}
