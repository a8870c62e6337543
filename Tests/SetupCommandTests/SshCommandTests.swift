import Foundation
import TestSupport
import Testing

/// `ssh check|enable|disable` against the real sshd (`sshd -T`, `sshd -t`) over a throw-away
/// tree: Debian 12's shipped sshd_config (Tests/Fixtures) with its Include pointed at the
/// tree's own sshd_config.d and a throw-away host key, and hostile variants of it. The
/// command runs in a private mount namespace with a tmpfs over /run (sshd -T wants
/// /run/sshd); the host's /etc/ssh is never read or written.
@Suite(.requiresRoot("sshd reads its host key; the command runs in a private mount namespace"),
       .requires("/usr/sbin/sshd", package: "openssh-server"),
       .requires("/usr/bin/ssh-keygen", package: "openssh-client"),
       .requires("/usr/bin/unshare", package: "util-linux"))
struct SshCommandTests {
    /// Debian 12's /etc/ssh/sshd_config as the package ships it.
    static let debian: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/debian12-sshd_config")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }()
    static let debianInclude = "Include /etc/ssh/sshd_config.d/*.conf"

    /// A throw-away sshd configuration tree, removed at the end.
    final class SshdTree {
        let directory: TemporaryDirectory
        var config: String { directory.file("sshd_config") }
        var dropInDirectory: String { directory.file("sshd_config.d") }
        var dropIn: String { dropInDirectory + "/00-swift-2fa.conf" }
        /// The main file's text as written.
        let text: String

        /// Debian's file with the host key line first and `change` applied.
        init(_ change: (String) -> String = { $0 }) throws {
            directory = try TemporaryDirectory("s2fa-sshd", mode: 0o755)
            try FileManager.default.createDirectory(atPath: directory.file("sshd_config.d"), withIntermediateDirectories: false)
            let keygen = try Program.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", directory.file("host_key")])
            #expect(keygen.status == 0, "\(keygen.stderr)")
            #expect(SshCommandTests.debian.contains(SshCommandTests.debianInclude))
            let debian = SshCommandTests.debian.replacingOccurrences(
                of: SshCommandTests.debianInclude, with: "Include \(directory.path)/sshd_config.d/*.conf")
            text = change("HostKey \(directory.path)/host_key\n" + debian)
            try directory.write(text, to: "sshd_config", mode: 0o644)
        }

        /// Runs a program in a private mount namespace with an empty /run/sshd.
        static func inNamespace(_ program: String, _ arguments: [String]) throws -> ProgramResult {
            try Program.run("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c",
                                                 "mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0755 /run/sshd && exec \"$@\"",
                                                 "sh", program] + arguments)
        }

        /// `swift-2fa-setup ssh ARGUMENTS --sshd-config CONFIG`.
        func run(_ arguments: [String]) throws -> ProgramResult {
            try Self.inNamespace(CLI.binary, ["ssh"] + arguments + ["--sshd-config", config])
        }

        /// What the real sshd -T says, keyword to value.
        func sshdT() throws -> [String: String] {
            let result = try Self.inNamespace("/usr/sbin/sshd", ["-T", "-f", config])
            #expect(result.status == 0, "\(result.stderr)")
            var values: [String: String] = [:]
            for line in result.stdout.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 1)
                if parts.count == 2, values[String(parts[0])] == nil { values[String(parts[0])] = String(parts[1]) }
            }
            return values
        }

        /// `file:line: text` of the first line of the main file that is `line`.
        func reference(_ line: String) throws -> String {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let index = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == line }, "no line '\(line)'")
            return "\(config):\(index + 1): \(line)"
        }

        /// Every file of the tree with its mode and text.
        func snapshot() -> [String: String] { TempStore.snapshot(of: directory.path) }
    }

    @Test func debiansShippedFileFailsAndNamesItsLines() throws {
        let tree = try SshdTree()
        let result = try tree.run(["check"])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.hasOneErrorLine, "\(result.stderr)")
        #expect(result.stdout.contains("PROBLEM: KbdInteractiveAuthentication is 'no'"), "\(result.stdout)")
        #expect(result.stdout.contains("  " + (try tree.reference("KbdInteractiveAuthentication no"))), "\(result.stdout)")
        #expect(result.stdout.contains("PROBLEM: AuthenticationMethods is 'any'"))
        #expect(result.stdout.contains("WARNING: public-key login bypasses PAM"))
        #expect(result.stdout.contains("not set in any file: sshd's default authenticationmethods any"))

        let json = try tree.run(["check", "--json"])
        #expect(json.status == 1 && json.stderr.isEmpty, "\(json.stderr)")
        let report = try json.json()
        #expect(report["passed"] as? Bool == false)
        #expect(report["sshd_config"] as? String == tree.config)
        let findings = try #require(report["findings"] as? [[String: Any]])
        #expect(findings.map { $0["rule"] as? String } == ["keyboard_interactive", "methods", "bypass"])
        let cause = try #require((findings.first?["causes"] as? [[String: Any]])?.first)
        #expect(cause["file"] as? String == tree.config)
        #expect("\(tree.config):\(cause["line"] as? Int ?? 0): \(cause["text"] as? String ?? "")" == (try tree.reference("KbdInteractiveAuthentication no")))
        #expect((report["settings"] as? [String: String])?["kbdinteractiveauthentication"] == "no")
    }

    /// The drop-in sorts first, so it wins over the main file's `KbdInteractiveAuthentication no`
    /// and over another drop-in; disable removes it and nothing else.
    @Test func enableWinsOverDebiansFileAndDisableRemovesOnlyTheDropIn() throws {
        let tree = try SshdTree()
        let other = "PasswordAuthentication yes\nKbdInteractiveAuthentication no\nAuthenticationMethods publickey\n"
        try tree.directory.write(other, to: "sshd_config.d/50-cloud-init.conf", mode: 0o644)
        let before = tree.snapshot()
        let enabled = try tree.run(["enable"])
        #expect(enabled.status == 0, "\(enabled.stdout)\(enabled.stderr)")
        #expect(enabled.stdout.contains("wrote \(tree.dropIn)"))
        #expect(enabled.stdout.contains("systemctl reload ssh"))
        #expect(tree.directory.mode("sshd_config.d/00-swift-2fa.conf") == 0o644)
        let sshd = try tree.sshdT()
        #expect(sshd["usepam"] == "yes" && sshd["kbdinteractiveauthentication"] == "yes", "\(sshd)")
        #expect(sshd["authenticationmethods"] == "keyboard-interactive" && sshd["passwordauthentication"] == "no")
        let check = try tree.run(["check"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(!check.stdout.contains("PROBLEM") && !check.stdout.contains("WARNING"))

        let written = tree.directory.read("sshd_config.d/00-swift-2fa.conf")
        let again = try tree.run(["enable"])
        #expect(again.status == 0 && again.stdout.contains("already in place"), "\(again.stdout)")
        #expect(tree.directory.read("sshd_config.d/00-swift-2fa.conf") == written)

        let withKey = try tree.run(["enable", "--with-key"])
        #expect(withKey.status == 0, "\(withKey.stdout)\(withKey.stderr)")
        #expect(try tree.sshdT()["authenticationmethods"] == "publickey,keyboard-interactive")

        let disabled = try tree.run(["disable"])
        #expect(disabled.status == 0, "\(disabled.stdout)\(disabled.stderr)")
        #expect(disabled.stdout.contains("removed \(tree.dropIn)"))
        #expect(tree.snapshot() == before)
        #expect(try tree.run(["check"]).status == 1)
        let twice = try tree.run(["disable"])
        #expect(twice.status == 0 && twice.stdout.contains("nothing to do"))
    }

    /// A later `Match` that lets a key alone in: a warning naming it when the global
    /// settings are checked, the cause of the problem for a login it matches.
    @Test func aLaterMatchBlockIsNamed() throws {
        let tree = try SshdTree { $0 + "Match User bob\n    AuthenticationMethods publickey\nMatch Address 192.0.2.0/24\n    KbdInteractiveAuthentication no\n" }
        let enabled = try tree.run(["enable"])
        #expect(enabled.status == 0, "\(enabled.stdout)\(enabled.stderr)")
        #expect(enabled.stdout.contains("WARNING: 'Match User bob'"), "\(enabled.stdout)")
        let global = try tree.run(["check"])
        #expect(global.status == 0, "\(global.stdout)\(global.stderr)")
        let methodsLine = try tree.reference("AuthenticationMethods publickey")
        #expect(global.stdout.contains("  \(methodsLine) (in 'Match User bob' at "), "\(global.stdout)")
        #expect(global.stdout.contains("WARNING: 'Match Address 192.0.2.0/24'"), "\(global.stdout)")

        let bob = try tree.run(["check", "--user", "bob"])
        #expect(bob.status == 1, "\(bob.stdout)")
        #expect(bob.stdout.contains("PROBLEM: AuthenticationMethods 'publickey' lets 'publickey' log in"), "\(bob.stdout)")
        #expect(bob.stdout.contains("  \(methodsLine) (in 'Match User bob'"), "\(bob.stdout)")
        #expect(!bob.stdout.contains("WARNING: 'Match User bob'"), "the block is the cause, not also a warning")
        let bobJSON = try tree.run(["check", "--user", "bob", "--json"])
        let report = try bobJSON.json()
        #expect(bobJSON.status == 1 && report["connection"] as? String == "user=bob", "\(bobJSON.stdout)")
        let cause = try #require(((report["findings"] as? [[String: Any]])?.first?["causes"] as? [[String: Any]])?.first)
        #expect((cause["match"] as? [String: Any])?["text"] as? String == "Match User bob", "\(cause)")
        #expect(try tree.run(["check", "--json"]).json()["connection"] == nil, "absent for the global settings")
        #expect(try tree.run(["check", "--user", "carol", "--host", "client.example", "--addr", "198.51.100.1"]).status == 0)
        let address = try tree.run(["check", "--addr", "192.0.2.7"])
        #expect(address.status == 1)
        #expect(address.stdout.contains("  " + (try tree.reference("KbdInteractiveAuthentication no")) + " (in 'Match Address")
                || address.stdout.contains("KbdInteractiveAuthentication no (in 'Match Address 192.0.2.0/24'"), "\(address.stdout)")
    }

    /// `KbdInteractiveAuthentication no` read before the drop-in: sshd -t refuses the
    /// drop-in's AuthenticationMethods, and enable puts everything back.
    @Test func enableRollsBackWhenAnEarlierLineWins() throws {
        let tree = try SshdTree { "KbdInteractiveAuthentication no\n" + $0 }
        let before = tree.snapshot()
        let result = try tree.run(["enable"])
        #expect(result.status == 74, "\(result.stdout)\(result.stderr)")
        #expect(result.hasOneErrorLine && result.stderr.contains("removed \(tree.dropIn) again"), "\(result.stderr)")
        #expect(tree.snapshot() == before)
        let check = try tree.run(["check"])
        #expect(check.status == 1)
        #expect(check.stdout.contains("\(tree.config):1: KbdInteractiveAuthentication no"), "\(check.stdout)")

        // The same line read first while the drop-in asks for keyboard-interactive: sshd
        // refuses the whole configuration, and the line that switches it off is named.
        try tree.directory.write("AuthenticationMethods keyboard-interactive\n", to: "sshd_config.d/10-local.conf", mode: 0o644)
        let refused = try tree.run(["check"])
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("PROBLEM: sshd refused the configuration: "), "\(refused.stdout)")
        #expect(refused.stdout.contains("  \(tree.config):1: KbdInteractiveAuthentication no"), "\(refused.stdout)")

        // sshd refuses 'AuthenticationMethods any' after a first value: a later drop-in with
        // it makes sshd -t fail once the drop-in is there, so nothing is written.
        let later = try SshdTree()
        try later.directory.write("AuthenticationMethods any\n", to: "sshd_config.d/50-local.conf", mode: 0o644)
        let laterBefore = later.snapshot()
        let rolledBack = try later.run(["enable"])
        #expect(rolledBack.status == 74 && rolledBack.stderr.contains("sshd -t refuses"), "\(rolledBack.stderr)")
        #expect(later.snapshot() == laterBefore)
    }

    @Test func publicKeyOnlyAndUsePAMNoAreProblemsWithTheirLines() throws {
        let keys = try SshdTree {
            $0.replacingOccurrences(of: "KbdInteractiveAuthentication no", with: "KbdInteractiveAuthentication yes\nAuthenticationMethods publickey")
        }
        let result = try keys.run(["check"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("PROBLEM: AuthenticationMethods 'publickey'"), "\(result.stdout)")
        #expect(result.stdout.contains("  " + (try keys.reference("AuthenticationMethods publickey"))), "\(result.stdout)")
        #expect(result.stdout.contains("WARNING: public-key login bypasses PAM"))
        // The drop-in is read first: its AuthenticationMethods wins.
        #expect(try keys.run(["enable"]).status == 0)
        #expect(try keys.run(["check"]).status == 0)

        let noPAM = try SshdTree { $0.replacingOccurrences(of: "UsePAM yes", with: "UsePAM no") }
        let off = try noPAM.run(["check"])
        #expect(off.status == 1)
        #expect(off.stdout.contains("PROBLEM: UsePAM is 'no'"))
        #expect(off.stdout.contains("  " + (try noPAM.reference("UsePAM no"))), "\(off.stdout)")
    }

    /// Bad input and refusals change nothing on disk.
    @Test func refusalsChangeNothing() throws {
        let noInclude = try SshdTree { $0.replacingOccurrences(of: "Include ", with: "#Include ") }
        let before = noInclude.snapshot()
        let refused = try noInclude.run(["enable"])
        #expect(refused.status == 74 && refused.stderr.contains("has no 'Include"), "\(refused.stderr)")
        #expect(noInclude.snapshot() == before)

        let tree = try SshdTree()
        let foreign = "PasswordAuthentication yes\n"
        try tree.directory.write(foreign, to: "sshd_config.d/00-swift-2fa.conf", mode: 0o644)
        let untouched = tree.snapshot()
        for arguments in [["enable"], ["disable"]] {
            let result = try tree.run(arguments)
            #expect(result.status == 74 && result.stderr.contains("not written by"), "\(arguments): \(result.stderr)")
        }
        for (arguments, status) in [(["check", "--user", "bob,addr=192.0.2.1"], 64), (["check", "--addr", "host.example"], 64),
                                    (["check", "--host", "-x"], 64), (["enable", "--bogus"], 64)] {
            let result = try tree.run(arguments)
            #expect(result.status == Int32(status) && result.hasOneErrorLine, "\(arguments): \(result.stderr)")
        }
        let relative = try SshdTree.inNamespace(CLI.binary, ["ssh", "enable", "--sshd-config", "sshd_config"])
        #expect(relative.status == 64 && relative.stderr.contains("absolute"), "\(relative.stderr)")
        let asNobody = try CLI.run(["ssh", "enable", "--sshd-config", tree.config], asNobody: true)
        #expect(asNobody.status == 74 && asNobody.stderr.contains("needs root"), "\(asNobody.stderr)")
        #expect(tree.snapshot() == untouched)
    }
}
