import Foundation
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

/// `import --pskc`: the PSKC files python-pskc wrote (Tests/Fixtures/pskc), plain and
/// encrypted, into a private store; the codes computed by oathtool.
@Suite(.requiresRoot("the command imports for --user root"), .requiresOathtool)
struct PSKCImportTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pskc")
    /// RFC 4226's seed: the fixtures' HOTP key `hotp-1` (8 digits, counter 42).
    static let hotpSecret = "3132333435363738393031323334353637383930"
    /// The fixtures' TOTP key `totp-sha256` (7 digits, 60 s).
    static let totpSHA256Secret = "3132333435363738393031323334353637383930313233343536373839303132"
    /// The fixtures' TOTP key `totp-sha1` (6 digits, 30 s).
    static let totpSHA1Secret = "0a0b0c0d0e0f101112131415161718191a1b1c1d"
    static let preSharedKey128 = "12345678901234567890123456789012"
    static let preSharedKey256 = "00112233445566778899aabbccddeeff0123456789abcdef0123456789abcdef"

    /// Imports a private, root-owned copy of the fixture `name` for root with `options` and
    /// `input` on standard input.
    private func importFile(_ name: String, _ temp: TempStore, options: [String] = [], input: String = "") throws -> ProgramResult {
        let path = temp.privateFile(name, contents: try Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try CLI.run(["import", "--json", "--pskc", path] + options + temp.args(), input: input)
    }

    /// The four keys as credentials, labelled by serial number or key id, and oathtool's
    /// codes of the HOTP key and both TOTP keys log in.
    private func expectImported(_ result: ProgramResult, _ temp: TempStore) throws {
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("a clock drift of -2 time steps is not carried over"), "\(result.stderr)")
        let users = try #require(try result.json()["users"] as? [[String: Any]])
        let credentials = try #require(users.first?["credentials"] as? [[String: Any]])
        #expect(credentials.map { $0["label"] as? String } == ["987654321", "TOTP-256", "totp-sha1", "hotp-sha512"])
        #expect(credentials.map { $0["kind"] as? String } == ["HOTP", "TOTP", "TOTP", "HOTP"])
        #expect(credentials.map { $0["digits"] as? Int } == [8, 7, 6, 6])
        #expect(credentials.map { $0["algorithm"] as? String } == ["SHA1", "SHA256", "SHA1", "SHA512"])
        #expect(credentials.first?["next_counter"] as? Int == 42)
        let args = temp.args()
        #expect(try CLI.verifyResult(try OathTool.hotp(hex: Self.hotpSecret, counter: 42, digits: 8), args) == "accepted-hotp")
        let sha256 = try CLI.oathtool(try CLI.base32(hex: Self.totpSHA256Secret), digits: 7, algorithm: "SHA256", period: 60)
        #expect(try CLI.verifyResult(sha256, args) == "accepted-totp")
        #expect(try CLI.verifyResult(try CLI.oathtool(try CLI.base32(hex: Self.totpSHA1Secret)), args) == "accepted-totp")
    }

    @Test func plainFile() throws {
        let temp = try TempStore()
        try expectImported(try importFile("plain.pskcxml", temp), temp)
    }

    @Test("a pre-shared key on standard input", arguments: [
        ("psk-aes128-hmac-sha1.pskcxml", preSharedKey128), ("psk-aes256-hmac-sha256.pskcxml", preSharedKey256),
    ])
    func preSharedKey(name: String, key: String) throws {
        let temp = try TempStore()
        try expectImported(try importFile(name, temp, options: ["--pskc-key-stdin"], input: key + "\n"), temp)
    }

    @Test("a password on standard input (PBKDF2)", arguments: ["pbkdf2-sha1-aes128.pskcxml", "pbkdf2-sha256-aes256.pskcxml"])
    func password(name: String) throws {
        let temp = try TempStore()
        try expectImported(try importFile(name, temp, options: ["--pskc-password-stdin"], input: "qwerty\n"), temp)
    }

    @Test("a wrong key or password, or none: status 64 naming the element, nothing written")
    func wrongKeyWritesNothing() throws {
        let temp = try TempStore()
        let wrongKey = try importFile("psk-aes128-hmac-sha1.pskcxml", temp, options: ["--pskc-key-stdin"],
                                      input: Self.preSharedKey256.prefix(32) + "\n")
        #expect(wrongKey.status == 64, "\(wrongKey.stderr)")
        #expect(wrongKey.hasOneErrorLine, "\(wrongKey.stderr)")
        #expect(wrongKey.stderr.contains("MACMethod"), "\(wrongKey.stderr)")
        let wrongPassword = try importFile("pbkdf2-sha1-aes128.pskcxml", temp, options: ["--pskc-password-stdin"],
                                           input: "qwertz\n")
        #expect(wrongPassword.status == 64, "\(wrongPassword.stderr)")
        #expect(wrongPassword.stderr.contains("MACKey: cannot decrypt"), "\(wrongPassword.stderr)")
        let none = try importFile("psk-aes256-hmac-sha256.pskcxml", temp)
        #expect(none.status == 64, "\(none.stderr)")
        #expect(none.stderr.contains("--pskc-key-stdin"), "\(none.stderr)")
        #expect(temp.snapshot().isEmpty)
    }

    @Test("an enrolled user is refused without --force or --add; --add adds and keeps the backup codes, up to 8")
    func existingEnrollment() throws {
        let temp = try TempStore()
        _ = try temp.enroll()
        let before = temp.snapshot()
        let refused = try importFile("plain.pskcxml", temp)
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr.contains("root is already enrolled (KeyPackage 1 (Key \"hotp-1\")"), "\(refused.stderr)")
        #expect(temp.snapshot() == before)
        let added = try importFile("plain.pskcxml", temp, options: ["--add"])
        #expect(added.status == 0, "\(added.stderr)")
        let status = try CLI.run(["status", "--json"] + temp.args())
        let credentials = try #require(try status.json()["credentials"] as? [[String: Any]])
        #expect(credentials.map { $0["id"] as? Int } == [1, 2, 3, 4, 5])
        #expect(try status.json()["backup_codes_left"] as? Int == BackupCodes.count, "the backup codes stay")
        let again = try importFile("plain.pskcxml", temp, options: ["--add"])
        #expect(again.status == 64, "\(again.stderr)")
        #expect(again.stderr.contains("holds 5 credentials and would hold 9"), "\(again.stderr)")
    }
}
