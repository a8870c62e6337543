import Foundation
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

/// The two-phase enrollment panels use: `enroll --pending --json`, then `confirm`.
@Suite(.requiresRoot("the command acts for --user root"), .requiresOathtool)
struct PendingFlowTests {
    @Test func pendingEnrollmentIsIgnoredUntilConfirmedWithAnOathtoolCode() throws {
        let temp = try TempStore()
        let started = try CLI.run(["enroll", "--pending", "--json", "--issuer", "Panel"] + temp.args())
        #expect(started.status == 0, "\(started.stderr)")
        let object = try started.json()
        let secret = try #require(object["secret"] as? String)
        let uri = try #require(object["uri"] as? String)
        #expect(object["user"] as? String == "root")
        #expect(uri == "otpauth://totp/Panel:root?secret=\(secret)&issuer=Panel")
        #expect((object["qr_svg"] as? String)?.hasPrefix("<?xml") == true)
        #expect((object["expires"] as? String)?.hasSuffix("Z") == true)

        // Logins read only <user>.secret: nothing there yet.
        #expect(try temp.store.readSecret(user: "root") == nil)
        let pending = try #require(try temp.store.readPending(user: "root"))
        let until = try #require(pending.pendingUntil)
        #expect(until - AuthenticatorApp.now() <= 600 && until - AuthenticatorApp.now() >= 590)
        #expect(try CLI.run(["verify", "--code", try CLI.oathtool(secret)] + temp.args()).status == 2)

        let code = try CLI.oathtool(secret)
        #expect(try CLI.run(["confirm", "--json"] + temp.args()).status == 1, "no code: nothing entered")
        // Without --code, the first line of standard input: a page's code is never on a command line.
        let confirmed = try CLI.run(["confirm", "--json"] + temp.args(), input: code + "\n")
        #expect(confirmed.status == 0, "\(confirmed.stderr)")
        let codes = try #require(try confirmed.json()["backup_codes"] as? [String])
        #expect(codes.count == 10)
        #expect(codes.allSatisfy { $0.count == 11 && $0.contains("-") })

        let record = try #require(try temp.store.readSecret(user: "root"))
        #expect(Base32.encode(record.secret) == secret)
        #expect(record.pendingUntil == nil)
        #expect(record.backupCodes.count == 10)
        let text = try String(contentsOfFile: temp.store.secretPath(for: "root"), encoding: .utf8)
        #expect(codes.allSatisfy { !text.contains($0) && !text.contains($0.replacingOccurrences(of: "-", with: "")) })
        #expect(try temp.store.readPending(user: "root") == nil)
        // The confirming code is spent: a login with it would be a replay.
        let replay = try CLI.run(["verify", "--json", "--code", code] + temp.args())
        #expect(replay.status == 1)
        #expect(try replay.json()["result"] as? String == "replayed")
    }

    @Test func wrongCodeKeepsItPending() throws {
        let temp = try TempStore()
        let started = try CLI.run(["enroll", "--pending", "--json"] + temp.args())
        let secret = try #require(try started.json()["secret"] as? String)
        let right = try CLI.oathtool(secret)
        let wrong = right == "123456" ? "654321" : "123456"
        let before = temp.snapshot()
        let refused = try CLI.run(["confirm", "--code", wrong] + temp.args())
        #expect(refused.status == 1)
        #expect(refused.hasOneErrorLine)
        #expect(refused.stderr.contains("still pending"))
        #expect(temp.snapshot() == before)
        #expect(try CLI.run(["confirm", "--code", try CLI.oathtool(secret)] + temp.args()).status == 0)
    }

    @Test func expiredPendingEnrollmentIsRefused() throws {
        let temp = try TempStore()
        guard let secret = SecureRandom.bytes(20) else { Issue.record("no random bytes"); return }
        let record = SecretRecord(secret: secret, parameters: .standard, created: AuthenticatorApp.now() - 700,
                                  pendingUntil: AuthenticatorApp.now() - 100)
        try Store.writeSecret(record, to: temp.store.pendingPath(for: "root"))
        let before = temp.snapshot()
        let result = try CLI.run(["confirm", "--code", try CLI.oathtool(Base32.encode(secret))] + temp.args())
        #expect(result.status == 2)
        #expect(result.hasOneErrorLine)
        #expect(result.stderr.contains("expired"))
        #expect(temp.snapshot() == before)
        let status = try CLI.run(["status", "--json"] + temp.args())
        #expect(status.status == 2)
        #expect(try status.json()["status"] as? String == "not enrolled")
    }

    @Test func confirmWithNothingPending() throws {
        let temp = try TempStore()
        let result = try CLI.run(["confirm", "--code", "123456"] + temp.args())
        #expect(result.status == 2)
        #expect(result.hasOneErrorLine)
        #expect(temp.snapshot().isEmpty)
    }

    @Test func pendingDoesNotReplaceAnEnrollmentWithoutForce() throws {
        let temp = try TempStore()
        let first = try temp.enroll()
        let before = temp.snapshot()
        let refused = try CLI.run(["enroll", "--pending", "--json"] + temp.args())
        #expect(refused.status == 64)
        #expect(refused.hasOneErrorLine)
        #expect(refused.stderr.contains("--force"))
        #expect(temp.snapshot() == before)

        let second = try temp.enroll(extra: ["--force"])
        #expect(second.secret != first.secret)
        let record = try #require(try temp.store.readSecret(user: "root"))
        #expect(Base32.encode(record.secret) == second.secret)
    }

    @Test func confirmRefusesToReplaceWithoutForce() throws {
        let temp = try TempStore()
        _ = try temp.enroll()
        let started = try CLI.run(["enroll", "--pending", "--json", "--force"] + temp.args())
        let secret = try #require(try started.json()["secret"] as? String)
        let before = temp.snapshot()
        let refused = try CLI.run(["confirm", "--code", try CLI.oathtool(secret)] + temp.args())
        #expect(refused.status == 64)
        #expect(temp.snapshot() == before)
        #expect(try CLI.run(["confirm", "--force", "--code", try CLI.oathtool(secret)] + temp.args()).status == 0)
    }

    @Test("a ':' in --issuer or --account is refused (Key Uri Format)")
    func colonInIssuerOrLabel() throws {
        let temp = try TempStore()
        for (option, value) in [("--issuer", "Acme:Corp"), ("--account", "alice:work"), ("--issuer", ":")] {
            for mode in [["--pending", "--json"], ["--qr", "none", "--code", "123456"]] {
                let result = try CLI.run(["enroll", option, value] + mode + temp.args())
                #expect(result.status == 64, "\(option) \(value): \(result.stderr)")
                #expect(result.hasOneErrorLine, "\(result.stderr)")
                #expect(result.stderr.contains(option) && result.stderr.contains("':'"), "\(result.stderr)")
                #expect(result.stdout.isEmpty)
            }
        }
        #expect(temp.snapshot().isEmpty)
        // Other punctuation is fine and is percent-encoded in the URI.
        let fine = try CLI.run(["enroll", "--pending", "--json", "--issuer", "Acme Corp.", "--account", "alice@example.org"] + temp.args())
        #expect(fine.status == 0, "\(fine.stderr)")
        #expect((try fine.json()["uri"] as? String)?.hasPrefix("otpauth://totp/Acme%20Corp.:alice%40example.org?") == true)
    }

    @Test("the confirm hint of enroll --pending repeats a non-default --store and --config, and works")
    func pendingHintRepeatsStoreAndConfig() throws {
        let temp = try TempStore()
        let config = try temp.writeConfig("window = 1\n", name: "my conf")
        defer { try? FileManager.default.removeItem(atPath: config) }
        let started = try CLI.run(["enroll", "--pending", "--qr", "none", "--config", config] + temp.args())
        #expect(started.status == 0, "\(started.stderr)")
        let hint = try #require(started.stdout.components(separatedBy: "\n").first { $0.contains("swift-2fa-setup confirm") })
        #expect(hint == "    swift-2fa-setup confirm --user root --config '\(config)' --store \(temp.path) --code CODE")
        let secret = try #require(try temp.store.readPending(user: "root")).secret
        // Run the hint as a shell would, with the code in place of CODE.
        let line = hint.trimmingCharacters(in: .whitespaces)
            .replacingOccurrences(of: "swift-2fa-setup ", with: "\"$0\" ")
            .replacingOccurrences(of: "CODE", with: try CLI.oathtool(Base32.encode(secret)))
        let confirmed = try Program.run("/bin/sh", ["-c", line, CLI.binary])
        #expect(confirmed.status == 0, "\(line): \(confirmed.stderr)")
        #expect(try temp.store.readSecret(user: "root") != nil)
    }

    @Test("the warning for non-default parameters promises a code check only when one follows")
    func parameterWarningUnderPending() throws {
        let temp = try TempStore()
        let pending = try CLI.run(["enroll", "--pending", "--qr", "none", "--algorithm", "SHA256", "--digits", "8"] + temp.args())
        #expect(pending.status == 0, "\(pending.stderr)")
        #expect(pending.stdout.contains("Warning: this enrollment does not use SHA1"))
        #expect(!pending.stdout.contains("code check"), "\(pending.stdout)")
        #expect(!pending.stdout.contains("below"), "\(pending.stdout)")
        let interactive = try CLI.run(["enroll", "--qr", "none", "--period", "60", "--force", "--code", "000000"] + temp.args())
        #expect(interactive.status == 1)
        #expect(interactive.stdout.contains("the code check below catches that"), "\(interactive.stdout)")
    }
}
