import Foundation
import TestSupport
import Testing

/// `pam enable|disable|status|check` on a private PAM directory (never the host's /etc/pam.d).
@Suite struct PamCommandTests {
    /// A temporary PAM directory, removed at the end.
    final class TempPamDir {
        let directory: TemporaryDirectory
        var path: String { directory.path }

        init(_ files: [String: String]) throws {
            directory = try TemporaryDirectory("s2fa-pam", mode: 0o755)
            for (name, text) in files { try write(name, text) }
        }

        func write(_ name: String, _ text: String, mode: mode_t = 0o644) throws {
            try directory.write(text, to: name, mode: mode)
        }

        func read(_ name: String) -> String? { directory.read(name) }

        func mode(_ name: String) -> Int? { directory.mode(name) }

        var names: [String] { (try? directory.listing()) ?? [] }

        /// `pam SUBCOMMAND ARGS --pam-dir PATH`.
        func run(_ arguments: [String]) throws -> ProgramResult {
            try CLI.run(["pam"] + arguments + ["--pam-dir", path])
        }
    }

    static let sudo = "#%PAM-1.0\n\nsession    required   pam_limits.so\n\n@include common-auth\n@include common-account\n"
    static let cockpit = "#%PAM-1.0\nauth       required     pam_sepermit.so\nauth       substack     common-auth\nauth       optional     pam_ssh_add.so\n"
    static let plain = "auth required pam_env.so\nauth [success=ok default=die] pam_faildelay.so\nauth required pam_unix.so nullok\naccount required pam_unix.so\n"
    static let commonAuth = "auth [success=1 default=ignore] pam_unix.so nullok\nauth requisite pam_deny.so\nauth required pam_permit.so\n"

    @Test func enableAddsTheLineAfterThePasswordModuleAndDisableRestoresTheBytes() throws {
        let dir = try TempPamDir(["sudo": Self.sudo, "common-auth": Self.commonAuth])
        try dir.write("sudo", Self.sudo, mode: 0o640)
        let enabled = try dir.run(["enable", "sudo", "--no-check"])
        #expect(enabled.status == 0, "\(enabled.stderr)")
        let text = try #require(dir.read("sudo"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let include = try #require(lines.firstIndex(of: "@include common-auth"))
        #expect(lines[include + 2] == "auth       required     pam_swift2fa.so nullok")
        #expect(lines[include + 1].hasPrefix("# swift-2fa: second factor"))
        #expect(lines.filter { $0.contains("pam_swift2fa.so") && !$0.hasPrefix("#") }.count == 1)
        #expect(dir.read("sudo.swift-2fa.bak") == Self.sudo)
        #expect(dir.mode("sudo") == 0o640 && dir.mode("sudo.swift-2fa.bak") == 0o640)
        #expect(enabled.stdout.contains("after line 5"))
        #expect(enabled.stdout.contains("--no-check"))

        let again = try dir.run(["enable", "sudo", "--no-check"])
        #expect(again.status == 0)
        #expect(again.stdout.contains("already uses"))
        #expect(dir.read("sudo") == text)

        let disabled = try dir.run(["disable", "sudo"])
        #expect(disabled.status == 0, "\(disabled.stderr)")
        #expect(dir.read("sudo") == Self.sudo)
        #expect(dir.mode("sudo") == 0o640)
        #expect(dir.names == ["common-auth", "sudo"])
        let twice = try dir.run(["disable", "sudo"])
        #expect(twice.status == 0 && twice.stdout.contains("nothing to do"))
    }

    /// A substack or a `required` password module would let the module ask for (and count)
    /// a code after a wrong password: enable makes them include/requisite, disable puts them back.
    @Test func theAnchorEndsTheStackOnAWrongPassword() throws {
        let dir = try TempPamDir(["cockpit": Self.cockpit, "plain": Self.plain, "common-auth": Self.commonAuth])
        #expect(try dir.run(["enable", "cockpit", "--no-check"]).status == 0)
        let cockpit = try #require(dir.read("cockpit")).split(separator: "\n").map(String.init)
        #expect(cockpit.contains("auth       include     common-auth"))
        #expect(!cockpit.contains { $0.contains("substack") && !$0.hasPrefix("#") })
        #expect(cockpit.last { !$0.hasPrefix("#") && $0.contains("common-auth") }.flatMap { cockpit.firstIndex(of: $0) }
                    .map { cockpit[$0 + 3] } == "auth       required     pam_swift2fa.so nullok")
        let result = try dir.run(["enable", "plain", "--no-check"])
        #expect(result.status == 0)
        #expect(!result.stdout.contains("note:"))
        let plain = try #require(dir.read("plain"))
        #expect(plain.contains("auth requisite pam_unix.so nullok\n# swift-2fa: the password module above said 'required'\n"))
        #expect(try dir.run(["disable", "cockpit"]).status == 0)
        #expect(try dir.run(["disable", "plain"]).status == 0)
        #expect(dir.read("cockpit") == Self.cockpit)
        #expect(dir.read("plain") == Self.plain)
    }

    /// `pam enable sudo` covers `sudo -i` too where /etc/pam.d/sudo-i exists, and says so;
    /// `pam disable sudo` takes both out.
    @Test func sudoComesWithSudoI() throws {
        let dir = try TempPamDir(["sudo": Self.sudo, "sudo-i": Self.sudo, "common-auth": Self.commonAuth])
        let enabled = try dir.run(["enable", "sudo", "--no-check"])
        #expect(enabled.status == 0, "\(enabled.stderr)")
        #expect(enabled.stdout.contains("\(dir.path)/sudo:") && enabled.stdout.contains("\(dir.path)/sudo-i:"), "\(enabled.stdout)")
        for name in ["sudo", "sudo-i"] {
            #expect(dir.read(name)?.contains("auth       required     pam_swift2fa.so nullok") == true)
        }
        let status = try dir.run(["status"])
        #expect(!status.stdout.contains("differ"), "\(status.stdout)")
        // A pair that differs is flagged.
        try dir.write("sudo-i", Self.sudo)
        let differs = try dir.run(["status", "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(differs.stdout.utf8)) as? [[String: Any]])
        let sudoI = try #require(rows.first { $0["service"] as? String == "sudo-i" })
        #expect((sudoI["warnings"] as? [String])?.contains { $0.contains("sudo and sudo-i differ") } == true, "\(sudoI)")
        #expect(try dir.run(["enable", "sudo", "--no-check"]).status == 0)
        let disabled = try dir.run(["disable", "sudo"])
        #expect(disabled.status == 0, "\(disabled.stderr)")
        #expect(dir.read("sudo") == Self.sudo && dir.read("sudo-i") == Self.sudo)
    }

    /// The four stacks of the review: each refused with the file and line, nothing changed.
    @Test func stacksWhosePasswordLineDoesNotEndTheStackAreRefused() throws {
        let stacks = [
            "optional": "auth optional pam_unix.so\n",
            "defaultbad": "auth [success=ok new_authtok_reqd=ok ignore=ignore default=bad] pam_unix.so\n",
            "sufficient": "auth sufficient pam_unix.so\nauth required pam_permit.so\n",
        ]
        let dir = try TempPamDir(stacks)
        for (name, text) in stacks {
            let result = try dir.run(["enable", name, "--no-check"])
            #expect(result.status == 74, "\(name): \(result.stdout)")
            #expect(result.stdout.contains("\(name):1: "), "\(name): \(result.stdout)")
            #expect(result.hasOneErrorLine, "\(result.stderr)")
            #expect(dir.read(name) == text && dir.read("\(name).swift-2fa.bak") == nil)
        }
        // The copied common-auth: the module goes after pam_deny, where a right password lands.
        try dir.write("copied", Self.commonAuth)
        let copied = try dir.run(["enable", "copied", "--no-check"])
        #expect(copied.status == 0 && copied.stdout.contains("after line 2"), "\(copied.stdout) \(copied.stderr)")
        #expect(dir.read("copied") == Self.commonAuth.replacingOccurrences(
            of: "pam_deny.so\n", with: "pam_deny.so\n# swift-2fa: second factor, added by swift-2fa-setup pam enable (remove with swift-2fa-setup pam disable)\nauth       required     pam_swift2fa.so nullok\n"))
        // A stack that already uses the module but breaks a rule: status names the line.
        try dir.write("hostile", "auth optional pam_unix.so\nauth required pam_swift2fa.so nullok\n")
        let status = try dir.run(["status"])
        #expect(status.stdout.contains("warning: hostile: hostile:1: a wrong password does not end the stack"), "\(status.stdout)")
        let again = try dir.run(["enable", "hostile", "--no-check"])
        #expect(again.status == 74 && again.stdout.contains("hostile:1:"), "\(again.stdout)")
    }

    /// cron never authenticates, nor an `other` that only denies; services that include
    /// common-auth while the profile is off are named.
    @Test func statusMarksServicesThatNeverAuthenticate() throws {
        let dir = try TempPamDir(["cron": "@include common-auth\nsession required pam_loginuid.so\n",
                                  "other": "auth required pam_warn.so\nauth required pam_deny.so\n",
                                  "sshd": "@include common-auth\n", "common-auth": Self.commonAuth])
        let text = try dir.run(["status"])
        let line = { (name: String) in text.stdout.split(separator: "\n").first { $0.hasPrefix("\(name) ") }.map(String.init) ?? "" }
        #expect(line("cron").contains("never") && line("other").contains("never") && line("sshd").contains("no"), "\(text.stdout)")
        #expect(text.stdout.contains("warning: sshd: includes common-auth, but the pam-auth-update profile is off"), "\(text.stdout)")
        #expect(!text.stdout.contains("warning: cron"), "\(text.stdout)")
        try dir.write("common-auth", Self.commonAuth.replacingOccurrences(
            of: "pam_deny.so\n", with: "pam_deny.so\nauth required pam_swift2fa.so nullok\n"))
        let on = try dir.run(["status"])
        #expect(on.stdout.split(separator: "\n").first { $0.hasPrefix("cron ") }?.contains("never") == true, "\(on.stdout)")
        #expect(!on.stdout.contains("profile is off"), "\(on.stdout)")
    }

    /// The sshd hint names the drop-in, which wins over Debian's sshd_config.
    @Test func theSshdHintNamesTheDropIn() throws {
        let dir = try TempPamDir(["sshd": "@include common-auth\n", "common-auth": Self.commonAuth])
        let result = try dir.run(["enable", "sshd", "--no-check"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("put these lines in the drop-in /etc/ssh/sshd_config.d/50-swift-2fa.conf"), "\(result.stdout)")
        #expect(!result.stdout.contains("in /etc/ssh/sshd_config:"), "\(result.stdout)")
    }

    @Test func refusalsChangeNothing() throws {
        let dir = try TempPamDir(["nopassword": "auth required pam_permit.so\n", "common-auth": Self.commonAuth])
        for (arguments, status, mentions) in [
            (["enable", "nopassword", "--no-check"], Int32(74), "no password module"),
            (["enable", "common-auth", "--no-check"], 64, "pam-auth-update --enable swift-2fa"),
            (["enable", "missing", "--no-check"], 74, "does not exist"),
            (["enable", "../passwd", "--no-check"], 64, "not a PAM service name"),
            (["disable", "missing"], 74, "does not exist"),
        ] {
            let before = dir.names.map { "\($0)=\(dir.read($0) ?? "")" }
            let result = try dir.run(arguments)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.hasOneErrorLine, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(mentions), "\(arguments): \(result.stderr)")
            #expect(dir.names.map { "\($0)=\(dir.read($0) ?? "")" } == before)
        }
        let relative = try CLI.run(["pam", "status", "--pam-dir", "relative/dir"])
        #expect(relative.status == 64 && relative.hasOneErrorLine)
    }

    /// Status follows includes: after pam-auth-update, common-auth carries the module.
    @Test func statusShowsDirectAndIncludedUse() throws {
        let dir = try TempPamDir([
            "common-auth": Self.commonAuth.replacingOccurrences(
                of: "auth requisite pam_deny.so\n",
                with: "auth requisite pam_deny.so\nauth required pam_swift2fa.so nullok window=2\n"),
            "sudo": Self.sudo, "cockpit": Self.cockpit, "plain": Self.plain,
            "direct": "auth requisite pam_unix.so\n# auth required pam_swift2fa.so\nauth required /opt/x/pam_swift2fa.so store=/srv/2fa\n",
            "commented": "auth requisite pam_unix.so\n#auth required pam_swift2fa.so nullok\n",
            "sudo.swift-2fa.bak": Self.sudo,
        ])
        let result = try dir.run(["status", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        var byName: [String: [String: Any]] = [:]
        for row in rows { byName[row["service"] as? String ?? ""] = row }
        #expect(byName.keys.sorted() == ["cockpit", "commented", "common-auth", "direct", "plain", "sudo"])
        #expect(byName["sudo"]?["asks_for_code"] as? Bool == true)
        #expect(byName["sudo"]?["via"] as? [String] == ["common-auth"])
        #expect(byName["sudo"]?["options"] as? [String] == ["nullok", "window=2"])
        #expect(byName["cockpit"]?["via"] as? [String] == ["common-auth"])
        #expect(byName["direct"]?["via"] as? [String] == [])
        #expect(byName["direct"]?["options"] as? [String] == ["store=/srv/2fa"])
        #expect(byName["plain"]?["asks_for_code"] as? Bool == false)
        #expect(byName["commented"]?["asks_for_code"] as? Bool == false)

        let text = try dir.run(["status"])
        let sudoLine = text.stdout.split(separator: "\n").first { $0.hasPrefix("sudo ") }
        #expect(sudoLine?.contains("yes") == true && sudoLine?.contains("common-auth") == true
                    && sudoLine?.hasSuffix("nullok window=2") == true, "\(text.stdout)")
        // A service already covered through common-auth is not edited again.
        let enable = try dir.run(["enable", "sudo", "--no-check"])
        #expect(enable.status == 0 && enable.stdout.contains("through common-auth"))
        #expect(dir.read("sudo") == Self.sudo)
    }

    @Test("status lists each service's exemptions, from its configuration file and its line, and warns of a line the module refuses")
    func statusShowsExemptions() throws {
        let dir = try TempPamDir([:])
        try dir.write("swift-2fa.conf", "require_group = staff, admins\n")
        let config = dir.path + "/swift-2fa.conf"
        try dir.write("sshd", "auth requisite pam_unix.so\nauth required pam_swift2fa.so config=\(config) exempt_network=10.0.0.0/8\n")
        try dir.write("sudo", "auth requisite pam_unix.so\nauth required pam_swift2fa.so exempt_network=host.example\n")
        try dir.write("login", "auth requisite pam_unix.so\nauth required pam_swift2fa.so\n")
        let text = try dir.run(["status"])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("exempt: sshd: require_group=staff,admins exempt_network=10.0.0.0/8"), "\(text.stdout)")
        #expect(!lines.contains { $0.hasPrefix("exempt: login") || $0.hasPrefix("exempt: sudo") })
        #expect(lines.contains { $0.hasPrefix("warning: sudo: the module refuses every login of this service: ")
                                 && $0.contains("exempt_network") }, "\(text.stdout)")
        let json = try dir.run(["status", "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let sshd = rows.first { $0["service"] as? String == "sshd" }
        #expect(sshd?["exemptions"] as? [String] == ["require_group=staff,admins", "exempt_network=10.0.0.0/8"])
    }

    /// The real try: pamtester in a private namespace, through the built module. Root only.
    @Test(.requiresRoot("pamtester runs in a private mount namespace"), .requires("/usr/bin/pamtester", package: "pamtester"))
    func checkTriesTheStackWithPamtester() throws {
        let installed = try InstalledModule()
        let module = installed.path
        let store = try TempStore()
        // A configuration that names a fleet database and another store: the check uses
        // neither (an empty configuration is mounted over it in the namespace).
        let otherStore = try TempStore()
        let config = try TempStore()
        let configFile = "\(config.path)/swift-2fa.conf"
        try "store = \(otherStore.path)\ndatabase = host=/nonexistent/s2fa-check dbname=never\n".write(toFile: configFile, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: configFile)
        let stack = "auth requisite pam_unix.so\nauth required \(module) nullok store=\(store.path) config=\(configFile)\n"
        let dir = try TempPamDir(["s2fa-try": stack])
        let good = try dir.run(["check", "s2fa-try"])
        #expect(good.status == 0, "\(good.stdout) \(good.stderr)")
        #expect(good.stdout.contains("the 's2fa-try' stack keeps the stack rules"))
        #expect(good.stdout.contains("ok: a wrong password with a valid code is refused, and no failure is counted"))
        #expect(otherStore.snapshot().isEmpty, "the configuration's store was not used")
        // Without store= on the line the configuration's store applies: the check mounts a
        // private store over it and passes (it used to roll back).
        try dir.write("s2fa-conf-store", "auth requisite pam_unix.so\nauth required \(module) nullok config=\(configFile)\n")
        let confStore = try dir.run(["check", "s2fa-conf-store"])
        #expect(confStore.status == 0, "\(confStore.stdout) \(confStore.stderr)")
        #expect(otherStore.snapshot().isEmpty, "the configuration's store got a private store over it")
        #expect(good.stdout.contains("ok: a user who has not enrolled logs in with the password (nullok)"))
        #expect(good.stdout.contains("ok: an enrolled user with a wrong code is refused"))
        #expect(good.stdout.contains("ok: an enrolled user with password and valid code logs in"))
        #expect(store.snapshot().isEmpty, "the throw-away enrollment went to a private store")

        // Without nullok an unenrolled user must be refused; a stack that lets the user in
        // without the module (pam_permit) fails the check.
        try dir.write("s2fa-open", "auth sufficient pam_permit.so\nauth required \(module) store=\(store.path)\n")
        let open = try dir.run(["check", "s2fa-open"])
        #expect(open.status == 1, "\(open.stdout)")
        #expect(open.stdout.contains("FAILED"))

        // An optional password line: the rules refuse it at its line, and pamtester shows
        // that a wrong password with a valid code gets in.
        try dir.write("s2fa-optional", "auth optional pam_unix.so\nauth required \(module) nullok store=\(store.path)\n")
        let optional = try dir.run(["check", "s2fa-optional"])
        #expect(optional.status == 1, "\(optional.stdout)")
        #expect(optional.stdout.contains("FAILED: s2fa-optional:1: a wrong password does not end the stack"), "\(optional.stdout)")
        #expect(optional.stdout.contains("FAILED: a wrong password with a valid code was accepted"), "\(optional.stdout)")

        let broken = "\(installed.directory.path)/broken/pam_swift2fa.so"
        try FileManager.default.createDirectory(atPath: "\(installed.directory.path)/broken", withIntermediateDirectories: false)
        try "not an ELF file\n".write(toFile: broken, atomically: false, encoding: .utf8)
        try dir.write("s2fa-broken", "auth requisite pam_unix.so\nauth required \(broken) nullok store=\(store.path)\n")
        let failed = try dir.run(["check", "s2fa-broken"])
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("the module did not load") || failed.stdout.contains("FAILED"), "\(failed.stdout)")
        #expect(dir.read("s2fa-broken")?.contains(broken) == true)
    }
}
