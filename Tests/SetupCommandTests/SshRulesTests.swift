import Testing
@testable import swift_2fa_setup

/// The decisions `ssh check` takes from the effective settings `sshd -T` prints: pure, no sshd.
@Suite struct SshRulesTests {
    /// `sshd -T` output with these settings over a sound base (PAM, keyboard-interactive,
    /// keyboard-interactive required, keys and passwords switched on).
    static func settings(_ overrides: [String: String] = [:]) -> SshdSettings {
        var values = [
            "usepam": "yes", "kbdinteractiveauthentication": "yes", "authenticationmethods": "keyboard-interactive",
            "pubkeyauthentication": "yes", "passwordauthentication": "yes", "hostbasedauthentication": "no",
            "gssapiauthentication": "no", "port": "22",
        ]
        for (key, value) in overrides { values[key] = value }
        return SshdSettings(sshdOutput: values.map { "\($0.key) \($0.value)" }.sorted().joined(separator: "\n") + "\n")
    }

    static func rules(_ overrides: [String: String]) -> [SshFinding.Rule] {
        SshSetupRules.findings(settings(overrides)).map(\.rule)
    }

    @Test func parsesSshdOutputKeepingTheFirstLineOfAKeyword() {
        let parsed = SshdSettings(sshdOutput: "usepam yes\nlistenaddress 0.0.0.0:22\nlistenaddress [::]:22\nauthenticationmethods publickey,keyboard-interactive keyboard-interactive\nchallengeresponseauthentication no\n")
        #expect(parsed["usepam"] == "yes")
        #expect(parsed["listenaddress"] == "0.0.0.0:22")
        #expect(parsed["authenticationmethods"] == "publickey,keyboard-interactive keyboard-interactive")
        #expect(parsed["kbdinteractiveauthentication"] == "no", "the old name is read as the new one")
        #expect(parsed["absent"] == "")
    }

    @Test func aSoundSetUpHasNoFindings() {
        #expect(SshSetupRules.findings(Self.settings()).isEmpty)
        #expect(Self.rules(["authenticationmethods": "publickey,keyboard-interactive:pam keyboard-interactive"]).isEmpty)
        // A list naming a method that is switched off cannot be used: it lets nobody in.
        #expect(Self.rules(["authenticationmethods": "publickey keyboard-interactive", "pubkeyauthentication": "no"]).isEmpty)
    }

    @Test func usePAMAndKeyboardInteractiveMustBeYes() {
        #expect(Self.rules(["usepam": "no"]) == [.usePAM])
        let findings = SshSetupRules.findings(Self.settings(["kbdinteractiveauthentication": "no", "authenticationmethods": "any"]))
        #expect(findings.map(\.rule) == [.keyboardInteractive, .methods, .bypass])
        #expect(findings.allSatisfy { $0.severity == ($0.rule == .bypass ? .warning : .problem) })
        #expect(findings[0].keywords == ["kbdinteractiveauthentication"])
    }

    /// `any` lets each switched-on method in alone; a key alone never runs PAM.
    @Test func anyLetsAKeyOrAPasswordInAlone() throws {
        let findings = SshSetupRules.findings(Self.settings(["authenticationmethods": "any"]))
        #expect(findings.map(\.rule) == [.methods, .bypass])
        let methods = try #require(findings.first)
        #expect(methods.message.contains("'password'") && methods.message.contains("'publickey'"), "\(methods.message)")
        #expect(!methods.message.contains("'keyboard-interactive'"))
        #expect(methods.keywords == ["authenticationmethods", "passwordauthentication", "pubkeyauthentication"])
        let bypass = try #require(findings.last)
        #expect(bypass.message.hasPrefix("public-key login bypasses PAM"))
        #expect(!bypass.message.contains("'password'"), "a password goes through PAM")
        #expect(bypass.keywords == ["authenticationmethods", "pubkeyauthentication"])
        // Without keys, the password is still a way in without the code, but through PAM.
        #expect(Self.rules(["authenticationmethods": "any", "pubkeyauthentication": "no"]) == [.methods])
        // Only keyboard-interactive switched on: 'any' is keyboard-interactive alone.
        #expect(Self.rules(["authenticationmethods": "any", "pubkeyauthentication": "no", "passwordauthentication": "no"]).isEmpty)
    }

    @Test(arguments: [
        ("publickey", true),
        ("publickey,keyboard-interactive publickey", true),
        ("password", false),
        ("hostbased", true),
        ("publickey,password", false),
        ("publickey,keyboard-interactive:bsdauth", false),
    ])
    func everyListMustHoldPAMKeyboardInteractive(methods: String, bypassesPAM: Bool) {
        let overrides = ["authenticationmethods": methods, "hostbasedauthentication": "yes"]
        #expect(Self.rules(overrides) == (bypassesPAM ? [.methods, .bypass] : [.methods]), "\(methods)")
        let usable = SshSetupRules.usableLists(Self.settings(overrides))
        #expect(usable.count == methods.split(separator: " ").count)
    }
}
