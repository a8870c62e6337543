import Testing
@testable import swift_2fa_setup

/// The line finder reads sshd's files as sshd does (Include in place and sorted, relative
/// patterns under /etc/ssh, Match blocks to the next Match or the end of their file), from
/// memory here; and `ssh check`'s report points at the lines it finds.
@Suite struct SshLineFinderTests {
    /// Files in memory; a glob pattern `DIR/*.conf` lists the `.conf` names under DIR, sorted.
    static func source(_ files: [String: String]) -> SshdLineFinder.Source {
        SshdLineFinder.Source(
            read: { path in files[path] },
            expand: { pattern in
                guard pattern.hasSuffix("/*.conf") else { return files[pattern] == nil ? [] : [pattern] }
                let directory = String(pattern.dropLast("*.conf".count))
                return files.keys.filter { $0.hasPrefix(directory) && $0.hasSuffix(".conf")
                    && !$0.dropFirst(directory.count).contains("/") }.sorted()
            })
    }

    static let main = """
        # comment
        Include /etc/ssh/sshd_config.d/*.conf
        KbdInteractiveAuthentication no
          UsePAM=yes
        AuthenticationMethods "publickey,keyboard-interactive"   # trailing comment
        Match User bob
            AuthenticationMethods publickey
            Include extra.conf
        Match Address 192.0.2.0/24
            KbdInteractiveAuthentication no
        """
    static let files = [
        "/etc/ssh/sshd_config": main,
        "/etc/ssh/sshd_config.d/50-cloud-init.conf": "PasswordAuthentication yes\n",
        "/etc/ssh/sshd_config.d/10-first.conf": "ChallengeResponseAuthentication yes\nMatch Group staff\n  PubkeyAuthentication no\n",
        "/etc/ssh/extra.conf": "PasswordAuthentication = yes\n",
    ]

    static func finder() throws -> SshdLineFinder {
        try SshdLineFinder(mainFile: "/etc/ssh/sshd_config", source: source(files))
    }

    /// The 1-based number of the first line of `text` that contains `fragment`.
    static func lineNumber(of fragment: String, in text: String) -> Int? {
        text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(fragment) }.map { $0 + 1 }
    }

    @Test func splitsKeywordsAndArgumentsAsSshdDoes() {
        func split(_ line: String) -> [String]? { SshdLineFinder.split(line).map { [$0.0] + $0.1 } }
        #expect(split("  UsePAM=yes") == ["usepam", "yes"])
        #expect(split("Keyword = a b") == ["keyword", "a", "b"])
        #expect(split("AcceptEnv \"LANG LC_*\" X # c") == ["acceptenv", "LANG LC_*", "X"])
        #expect(split("# UsePAM no") == nil)
        #expect(split("   ") == nil)
    }

    @Test func readsIncludesInPlaceSortedAndMatchBlocksToTheEndOfTheirFile() throws {
        let finder = try Self.finder()
        let order = finder.lines.map { "\($0.location.file.split(separator: "/").last ?? ""):\($0.keyword)" }
        #expect(order == [
            "sshd_config:include",
            "10-first.conf:kbdinteractiveauthentication", "10-first.conf:pubkeyauthentication",
            "50-cloud-init.conf:passwordauthentication",
            "sshd_config:kbdinteractiveauthentication", "sshd_config:usepam", "sshd_config:authenticationmethods",
            "sshd_config:authenticationmethods", "sshd_config:include", "extra.conf:passwordauthentication",
            "sshd_config:kbdinteractiveauthentication",
        ])
        // The Match of an included file ends with it; the main file's lines after the
        // Include are global again.
        let first = try #require(finder.globalLines("kbdinteractiveauthentication").first)
        #expect(first.location.file == "/etc/ssh/sshd_config.d/10-first.conf" && first.location.line == 1)
        #expect(first.arguments == ["yes"])
        #expect(finder.globalLines("usepam").first?.location.line == Self.lineNumber(of: "UsePAM", in: Self.main))
        // A relative Include inside a Match belongs to that Match.
        let extra = try #require(finder.lines.first { $0.location.file == "/etc/ssh/extra.conf" })
        #expect(extra.match?.text == "Match User bob")
        #expect(extra.match?.line == Self.lineNumber(of: "Match User bob", in: Self.main))
        #expect(finder.matchBlocks().map(\.match.text) == ["Match Group staff", "Match User bob", "Match Address 192.0.2.0/24"])
        #expect(finder.globalLines("authenticationmethods").first?.arguments == ["publickey,keyboard-interactive"])
    }

    /// The effective value equal to the global one: the first global line, or sshd's
    /// default; a different one: the Match line that sets it.
    @Test func causesFollowFirstValueWinsAndMatchBlocks() throws {
        let finder = try Self.finder()
        let global = finder.causes(of: "kbdinteractiveauthentication", value: "yes", globalValue: "yes")
        #expect(global.map(\.location.file) == ["/etc/ssh/sshd_config.d/10-first.conf"])
        let match = finder.causes(of: "authenticationmethods", value: "publickey", globalValue: "publickey,keyboard-interactive")
        #expect(match.map(\.location.line) == [Self.lineNumber(of: "    AuthenticationMethods publickey", in: Self.main)])
        #expect(match.first?.match?.text == "Match User bob")
        #expect(finder.causes(of: "hostbasedauthentication", value: "no", globalValue: "no").isEmpty)
        // A value no Match line sets as such: every Match line of the keyword.
        #expect(finder.causes(of: "authenticationmethods", value: "password", globalValue: "publickey,keyboard-interactive").count == 1)
        #expect(finder.causes(of: "kbdinteractiveauthentication", value: "maybe", globalValue: "yes").map(\.location.line)
                    == [Self.lineNumber(of: "    KbdInteractiveAuthentication no", in: Self.main)])
    }

    @Test func nestedIncludesStopAtSshdsLimit() {
        let loop = ["/etc/ssh/loop": "Include /etc/ssh/loop\n"]
        #expect(throws: SetupFailure.self) {
            try SshdLineFinder(mainFile: "/etc/ssh/loop", source: Self.source(loop))
        }
    }

    /// The report names the line of each cause; a Match block that undoes the set-up is a
    /// warning when the global settings were checked, and the problem's cause for a
    /// connection it matches.
    @Test func theReportPointsAtTheLinesAndWarnsAboutMatchBlocks() throws {
        let files = [
            "/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\nUsePAM yes\nMatch User bob\n  AuthenticationMethods publickey\n  X11Forwarding no\n",
            "/etc/ssh/sshd_config.d/00-swift-2fa.conf": "KbdInteractiveAuthentication yes\nAuthenticationMethods keyboard-interactive\n",
        ]
        let finder = try SshdLineFinder(mainFile: "/etc/ssh/sshd_config", source: Self.source(files))
        let global = SshRulesTests.settings()
        let globally = SshCheck.report(configFile: "/etc/ssh/sshd_config", connection: nil, global: global, effective: global, finder: finder)
        #expect(globally.passed)
        let warning = try #require(globally.findings.first)
        #expect(globally.findings.count == 1 && warning.rule == .match && warning.severity == .warning)
        #expect(warning.causes.map(\.location?.reference) == ["/etc/ssh/sshd_config:4"])
        #expect(warning.message.contains("'Match User bob' (/etc/ssh/sshd_config:3)"), "\(warning.message)")

        let bob = SshRulesTests.settings(["authenticationmethods": "publickey"])
        let forBob = SshCheck.report(configFile: "/etc/ssh/sshd_config", connection: "user=bob", global: global, effective: bob, finder: finder)
        #expect(!forBob.passed)
        #expect(forBob.findings.map(\.rule) == [.methods, .bypass], "the Match block is the cause, not a second warning")
        #expect(forBob.findings[0].causes.map(\.location?.reference) == ["/etc/ssh/sshd_config:4"])
        #expect(forBob.findings[0].causes.first?.match?.reference == "/etc/ssh/sshd_config:3")
        // pubkeyauthentication is set nowhere: sshd's default is named.
        #expect(forBob.findings[1].causes.last?.text == "not set in any file: sshd's default pubkeyauthentication yes")

        let noPAM = SshRulesTests.settings(["usepam": "no"])
        let off = SshCheck.report(configFile: "/etc/ssh/sshd_config", connection: nil, global: noPAM, effective: noPAM, finder: finder)
        #expect(off.findings.first?.causes.map(\.location?.reference) == ["/etc/ssh/sshd_config:2"])
        #expect(off.lines.contains("  /etc/ssh/sshd_config:2: UsePAM yes"), "\(off.lines)")
    }

    @Test func theDropInGoesWhereTheMainFileIncludesSshdConfigD() throws {
        let finder = try Self.finder()
        #expect(SshDropIn.locate(mainFile: "/etc/ssh/sshd_config", finder: finder)?.path == "/etc/ssh/sshd_config.d/00-swift-2fa.conf")
        let relative = try SshdLineFinder(mainFile: "/srv/sshd_config", source: Self.source(["/srv/sshd_config": "Include sshd_config.d/*\n"]))
        #expect(SshDropIn.locate(mainFile: "/srv/sshd_config", finder: relative)?.path == "/etc/ssh/sshd_config.d/00-swift-2fa.conf")
        for text in ["UsePAM yes\n", "Include /etc/ssh/other.d/*.conf\n", "Include /etc/ssh/sshd_config.d/*.cfg\n",
                     "Match all\nInclude /etc/ssh/sshd_config.d/*.conf\n"] {
            let other = try SshdLineFinder(mainFile: "/srv/sshd_config", source: Self.source(["/srv/sshd_config": text]))
            #expect(SshDropIn.locate(mainFile: "/srv/sshd_config", finder: other) == nil, "\(text)")
        }
    }
}
