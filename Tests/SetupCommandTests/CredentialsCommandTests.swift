import Foundation
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

/// Several credentials through the real command: `enroll --add`, `--hotp --seed-stdin`,
/// `credentials list|rename|remove`, `resync` and `status --json`, checked with oathtool.
@Suite(.requiresRoot("the command acts for --user root"), .requiresOathtool)
struct CredentialsCommandTests {
    static let hotpHex = "3132333435363738393031323334353637383930"

    /// Enrolls root with a first TOTP credential (pending, then confirmed); returns its base32 secret.
    static func enrollFirst(_ temp: TempStore) throws -> String {
        let started = try CLI.run(["enroll", "--pending", "--json", "--label", "phone"] + temp.args())
        #expect(started.status == 0, "\(started.stderr)")
        let secret = try #require(try started.json()["secret"] as? String)
        #expect(try started.json()["credential"] as? String == "phone")
        let confirmed = try CLI.run(["confirm", "--code", try CLI.oathtool(secret)] + temp.args())
        #expect(confirmed.status == 0, "\(confirmed.stderr)")
        return secret
    }

    static func list(_ temp: TempStore) throws -> [[String: Any]] {
        let listed = try CLI.run(["credentials", "list", "--json"] + temp.args())
        #expect(listed.status == 0, "\(listed.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
    }

    @Test("enroll --add --pending, then confirm with the new credential's code: both credentials log in")
    func addSecondPhone() throws {
        let temp = try TempStore()
        let first = try Self.enrollFirst(temp)
        let added = try CLI.run(["enroll", "--add", "--label", "tablet", "--digits", "7", "--algorithm", "SHA256",
                                 "--pending", "--json"] + temp.args())
        #expect(added.status == 0, "\(added.stderr)")
        let second = try #require(try added.json()["secret"] as? String)
        #expect((try added.json()["uri"] as? String)?.contains("digits=7") == true)
        // Pending: not yet a credential.
        #expect(try Self.list(temp).count == 1)
        let confirmed = try CLI.run(["confirm", "--code", try CLI.oathtool(second, digits: 7, algorithm: "SHA256")] + temp.args())
        #expect(confirmed.status == 0, "\(confirmed.stderr)")
        let credentials = try Self.list(temp)
        #expect(credentials.map { $0["label"] as? String } == ["phone", "tablet"])
        #expect(credentials.map { $0["id"] as? Int } == [1, 2])
        #expect(credentials[1]["digits"] as? Int == 7 && credentials[1]["algorithm"] as? String == "SHA256")
        // The backup codes stayed: still ten.
        #expect(try temp.store.readSecret(user: "root")?.backupCodes.count == 10)
        // A code of either logs in; the first one's (at the next step) too.
        let verified = try CLI.run(["verify", "--json", "--code", try CLI.oathtool(first, at: AuthenticatorApp.now() + 30)] + temp.args())
        #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
        let text = try String(contentsOfFile: temp.store.secretPath(for: "root"), encoding: .utf8)
        #expect(text.contains("version 2\n") && text.contains("label=tablet kind=totp algorithm=SHA256 digits=7"))
    }

    @Test("a hardware token's seed from stdin (never argv): HOTP, 8 digits, activated by its code; resync moves the counter")
    func hardwareTokenAndResync() throws {
        let temp = try TempStore()
        _ = try Self.enrollFirst(temp)
        let code0 = try OathTool.hotp(hex: Self.hotpHex, counter: 0, digits: 8)
        let added = try CLI.run(["enroll", "--add", "--label", "yubikey-5", "--hotp", "--digits", "8", "--seed-stdin",
                                 "--code", code0] + temp.args(), input: Self.hotpHex + "\n")
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.contains("Credential 2 (yubikey-5) added"))
        #expect(!added.stdout.contains(Self.hotpHex) && !added.stdout.lowercased().contains("gezdgnbv"), "the seed is not shown")
        var token = try #require(try Self.list(temp).first { $0["label"] as? String == "yubikey-5" })
        #expect(token["kind"] as? String == "HOTP" && token["next_counter"] as? Int == 1)

        // The token was pressed far ahead: counter 60 is beyond the look-ahead.
        let far = try OathTool.hotp(hex: Self.hotpHex, counter: 60, digits: 8)
        #expect(try CLI.run(["verify", "--code", far] + temp.args()).status == 1)
        let resynced = try CLI.run(["resync", "--credential", "yubikey-5",
                                    "--first-code", try OathTool.hotp(hex: Self.hotpHex, counter: 61, digits: 8),
                                    "--second-code", try OathTool.hotp(hex: Self.hotpHex, counter: 62, digits: 8)] + temp.args())
        #expect(resynced.status == 0, "\(resynced.stderr)")
        token = try #require(try Self.list(temp).first { $0["label"] as? String == "yubikey-5" })
        #expect(token["next_counter"] as? Int == 63)
        // The resync codes are used up; the next one logs in.
        #expect(try CLI.run(["verify", "--code", try OathTool.hotp(hex: Self.hotpHex, counter: 62, digits: 8)] + temp.args()).status == 1)
        #expect(try CLI.run(["verify", "--code", try OathTool.hotp(hex: Self.hotpHex, counter: 63, digits: 8)] + temp.args()).status == 0)
        // Two codes that do not follow each other change nothing.
        let before = temp.snapshot()
        let refused = try CLI.run(["resync", "--credential", "2",
                                   "--first-code", try OathTool.hotp(hex: Self.hotpHex, counter: 70, digits: 8),
                                   "--second-code", try OathTool.hotp(hex: Self.hotpHex, counter: 72, digits: 8)] + temp.args())
        #expect(refused.status == 64 && refused.hasOneErrorLine, "\(refused.stderr)")
        #expect(temp.snapshot() == before)
    }

    @Test("a seed on the command line does not exist; a bad seed or a wrong code writes nothing")
    func seedInputRules() throws {
        let temp = try TempStore()
        _ = try Self.enrollFirst(temp)
        let before = temp.snapshot()
        let noCode = try CLI.run(["enroll", "--add", "--label", "t", "--hotp", "--seed-stdin"] + temp.args(), input: Self.hotpHex)
        #expect(noCode.status == 64 && noCode.stderr.contains("--code"))
        let badSeed = try CLI.run(["enroll", "--add", "--label", "t", "--hotp", "--seed-stdin", "--code", "755224"] + temp.args(),
                                  input: "not a seed!\n")
        #expect(badSeed.status == 64 && badSeed.hasOneErrorLine, "\(badSeed.stderr)")
        let wrongCode = try CLI.run(["enroll", "--add", "--label", "t", "--hotp", "--seed-stdin", "--code", "000000"] + temp.args(),
                                    input: Self.hotpHex)
        #expect(wrongCode.status == 1)
        #expect(try CLI.run(["enroll", "--add", "--pending"] + temp.args()).status == 64, "--add needs --label")
        #expect(temp.snapshot() == before)
    }

    @Test("rename and remove; the last credential stays unless --force, which removes the enrollment")
    func renameAndRemove() throws {
        let temp = try TempStore()
        _ = try Self.enrollFirst(temp)
        let code0 = try OathTool.hotp(hex: Self.hotpHex, counter: 0)
        #expect(try CLI.run(["enroll", "--add", "--label", "token", "--hotp", "--seed-stdin", "--code", code0] + temp.args(),
                            input: Self.hotpHex).status == 0)
        #expect(try CLI.run(["credentials", "rename", "2", "old-token"] + temp.args()).status == 0)
        #expect(try Self.list(temp).map { $0["label"] as? String } == ["phone", "old-token"])
        #expect(try CLI.run(["credentials", "rename", "2", "phone"] + temp.args()).status == 64, "labels are unique")
        #expect(try CLI.run(["credentials", "rename", "2", "bad label"] + temp.args()).status == 64)
        let removed = try CLI.run(["credentials", "remove", "phone"] + temp.args())
        #expect(removed.status == 0 && removed.stdout.contains("removed credential 1 (phone)"), "\(removed.stderr)")
        let last = try CLI.run(["credentials", "remove", "old-token"] + temp.args())
        #expect(last.status == 64 && last.stderr.contains("disable"), "\(last.stderr)")
        #expect(try Self.list(temp).count == 1)
        let forced = try CLI.run(["credentials", "remove", "--force", "old-token"] + temp.args())
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try temp.store.readSecret(user: "root") == nil)
        #expect(try CLI.run(["credentials", "list"] + temp.args()).status == 2)
    }

    @Test("status --json lists the credentials and the last clock drift a check found")
    func statusShowsCredentialsAndDrift() throws {
        let temp = try TempStore()
        let secret = try Self.enrollFirst(temp)
        let ahead = try CLI.oathtool(secret, at: AuthenticatorApp.now() + 150)
        #expect(try CLI.run(["verify", "--code", ahead] + temp.args()).status == 1)
        let status = try CLI.run(["status", "--json"] + temp.args())
        let object = try status.json()
        let credentials = try #require(object["credentials"] as? [[String: Any]])
        #expect(credentials.count == 1 && credentials[0]["label"] as? String == "phone" && credentials[0]["kind"] as? String == "TOTP")
        let drift = try #require(object["last_drift"] as? [String: Any])
        #expect(drift["credential"] as? String == "phone")
        #expect((drift["finding"] as? String)?.hasPrefix("code matches step 5") == true || (drift["finding"] as? String)?.hasPrefix("code matches step 4") == true,
                "\(drift)")
        let text = try CLI.run(["status"] + temp.args())
        #expect(text.stdout.contains("last drift:") && text.stdout.contains("resync --credential phone"))
    }
}
