import Foundation
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

extension TempStore {
    /// Writes a configuration file next to the store (root-owned, `mode`) and returns its path.
    /// It is removed with the store's siblings by the caller's `defer`.
    func writeConfig(_ text: String, name: String = "conf", mode: Int = 0o600) throws -> String {
        let path = self.path + "-" + name
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }
}

/// Waits until at least 4 seconds remain in the current 30-second step, so a code computed
/// now for a neighbouring step is still that neighbour when the command checks it.
func awayFromStepBoundary() {
    let into = AuthenticatorApp.now() % 30
    if into >= 26 { Thread.sleep(forTimeInterval: Double(31 - into)) }
}

/// The configuration file (`--config`, default /etc/swift-2fa/swift-2fa.conf): the command
/// applies its policy and store as a login does, and refuses a bad or untrusted file.
@Suite(.requiresRoot("the command acts for --user root, and a file is handed to nobody"), .requiresOathtool)
struct ConfigCommandTests {
    @Test("verify applies throttle_after of the configuration file")
    func verifyUsesTheConfiguredThrottle() throws {
        let strict = try TempStore()
        let config = try strict.writeConfig("# one wrong code is enough\nthrottle_after = 1\n")
        defer { try? FileManager.default.removeItem(atPath: config) }
        _ = try strict.enroll(extra: ["--config", config])
        let plain = try TempStore()
        _ = try plain.enroll()

        for (temp, extra, second) in [(strict, ["--config", config], "throttled"), (plain, [], "rejected")] {
            let first = try CLI.run(["verify", "--json", "--code", "000000"] + temp.args() + extra)
            #expect(first.status == 1)
            #expect(try first.json()["result"] as? String == "rejected")
            let again = try CLI.run(["verify", "--json", "--code", "000000"] + temp.args() + extra)
            #expect(again.status == 1)
            #expect(try again.json()["result"] as? String == second, "\(extra)")
        }
    }

    @Test("verify applies window of the configuration file")
    func verifyUsesTheConfiguredWindow() throws {
        let temp = try TempStore()
        let config = try temp.writeConfig("window = 0\n")
        defer { try? FileManager.default.removeItem(atPath: config) }
        let (secret, _) = try temp.enroll()
        awayFromStepBoundary()
        // The next step's code: outside window 0, inside the default window 1.
        let code = try CLI.oathtool(secret, at: AuthenticatorApp.now() + 30)
        let narrow = try CLI.run(["verify", "--json", "--code", code, "--config", config] + temp.args())
        #expect(narrow.status == 1)
        #expect(try narrow.json()["result"] as? String == "rejected")
        let standard = try CLI.run(["verify", "--json", "--code", code] + temp.args())
        #expect(standard.status == 0, "\(standard.stderr)")
        #expect(try standard.json()["result"] as? String == "accepted-totp")
    }

    @Test("store = DIR in the configuration file is the store when --store is absent")
    func storeFromTheConfigurationFile() throws {
        let temp = try TempStore()
        let config = try temp.writeConfig("store = \(temp.path)\n")
        defer { try? FileManager.default.removeItem(atPath: config) }
        let started = try CLI.run(["enroll", "--pending", "--json", "--user", "root", "--config", config])
        #expect(started.status == 0, "\(started.stderr)")
        let secret = try #require(try started.json()["secret"] as? String)
        #expect(try temp.store.readPending(user: "root") != nil)
        let confirmed = try CLI.run(["confirm", "--code", try CLI.oathtool(secret), "--user", "root", "--config", config])
        #expect(confirmed.status == 0, "\(confirmed.stderr)")
        #expect(try temp.store.readSecret(user: "root") != nil)
        let status = try CLI.run(["status", "--json", "--user", "root", "--config", config])
        #expect(status.status == 0)
        #expect(try status.json()["secret_file"] as? String == temp.store.secretPath(for: "root"))
        // --store still overrides the file.
        let other = try TempStore()
        #expect(try CLI.run(["status", "--config", config] + other.args()).status == 2)
    }

    @Test("a bad line makes every subcommand fail with one line naming it, status 74, nothing changed",
          arguments: [
              ("window = 1\n# fine so far\nfrobnicate = 2\n", "line 3"),
              ("throttle_after = 3\nwindow = 99\n", "line 2"),
              ("throttle_after\n", "line 1"),
              ("store = relative/dir\n", "line 1"),
          ])
    func badLineFailsEverySubcommand(text: String, line: String) throws {
        let temp = try TempStore()
        _ = try temp.enroll()
        #expect(try CLI.run(["enroll", "--pending", "--force"] + temp.args()).status == 0)
        let config = try temp.writeConfig(text)
        let gaFile = temp.path + "-ga"
        #expect(FileManager.default.createFile(atPath: gaFile, contents: Data("JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n".utf8),
                                               attributes: [.posixPermissions: 0o600]))
        defer {
            try? FileManager.default.removeItem(atPath: config)
            try? FileManager.default.removeItem(atPath: gaFile)
        }
        let before = temp.snapshot()
        for command in [
            ["enroll", "--pending", "--force"], ["enroll", "--qr", "none", "--code", "123456", "--force"],
            ["confirm", "--force", "--code", "123456"], ["status"], ["verify", "--code", "123456"], ["backup-codes"],
            ["backup-codes", "--regenerate"], ["disable"], ["unlock"], ["reset"],
            ["import", "--force", "--google-authenticator", gaFile],
        ] {
            let result = try CLI.run(command + temp.args() + ["--config", config])
            #expect(result.status == 74, "\(command): \(result.stderr)")
            #expect(result.hasOneErrorLine, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("\(config) \(line)"), "\(command): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(command): \(result.stdout)")
        }
        #expect(temp.snapshot() == before)
    }

    @Test("settings that contradict each other are refused like a bad line")
    func contradictorySettings() throws {
        let temp = try TempStore()
        let config = try temp.writeConfig("throttle_delay = 600\nthrottle_max = 60\n")
        defer { try? FileManager.default.removeItem(atPath: config) }
        let result = try CLI.run(["enroll", "--pending"] + temp.args() + ["--config", config])
        #expect(result.status == 74)
        #expect(result.hasOneErrorLine, "\(result.stderr)")
        #expect(result.stderr.contains("configuration file \(config): throttle_max"), "\(result.stderr)")
        #expect(temp.snapshot().isEmpty)
    }

    @Test("a configuration file others could change is refused")
    func untrustedConfigurationFile() throws {
        let temp = try TempStore()
        _ = try temp.enroll()
        let before = temp.snapshot()
        let writable = try temp.writeConfig("window = 1\n", mode: 0o664)
        let foreign = try temp.writeConfig("window = 1\n", name: "conf-nobody")
        #expect(chown(foreign, 65534, 65534) == 0)
        defer {
            try? FileManager.default.removeItem(atPath: writable)
            try? FileManager.default.removeItem(atPath: foreign)
        }
        for (config, mentions) in [(writable, "writable by group or others"), (foreign, "owned by uid 65534")] {
            for command in [["status"], ["verify", "--code", "123456"]] {
                let result = try CLI.run(command + temp.args() + ["--config", config])
                #expect(result.status == 74, "\(result.stderr)")
                #expect(result.hasOneErrorLine, "\(result.stderr)")
                #expect(result.stderr.contains(mentions), "\(result.stderr)")
            }
        }
        // A missing file means the defaults.
        #expect(try CLI.run(["status", "--config", temp.path + "-none"] + temp.args()).status == 0)
        #expect(temp.snapshot() == before)
    }
}
