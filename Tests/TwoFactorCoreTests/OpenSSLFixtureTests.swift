import Foundation
import Testing
@testable import TwoFactorCore

/// A secret file written by the OpenSSL build of swift-2fa-setup (Tests/Fixtures/README.md)
/// still works with the current crypto: same backup-code hashes, same TOTP codes.
@Suite("Secret file written by the OpenSSL build")
struct OpenSSLFixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
    }

    static func record() throws -> SecretRecord {
        try SecretRecord.parse(try text("openssl-build.secret"))
    }

    /// The ten backup codes that enrollment showed, from its `confirm --json` output.
    static func backupCodes() throws -> [String] {
        let json = try JSONSerialization.jsonObject(with: Data(try text("openssl-build.confirm.json").utf8))
        return try #require((json as? [String: Any])?["backup_codes"] as? [String])
    }

    @Test("the version 1 file parses, and its version 2 form reads back as the same record")
    func roundTrip() throws {
        let record = try Self.record()
        #expect(record.backupCodes.count == 10)
        #expect((try Self.text("openssl-build.secret")).contains("version 1\n"))
        let upgraded = record.serialized()
        #expect(upgraded.contains("version 2\n"))
        #expect(try SecretRecord.parse(upgraded) == record)
    }

    @Test("each backup code shown at enrollment matches exactly one stored hash")
    func backupCodesVerify() throws {
        let record = try Self.record()
        let codes = try Self.backupCodes()
        #expect(codes.count == 10)
        for code in codes {
            let normalized = try #require(BackupCodes.normalize(code))
            let matching = record.backupCodes.filter { $0.matches(normalizedCode: normalized) }
            #expect(matching.count == 1, "\(code)")
        }
        // A code that was never issued matches none (one letter changed).
        let wrong = try #require(BackupCodes.normalize(String(codes[0].dropLast()) + (codes[0].hasSuffix("a") ? "b" : "a")))
        #expect(!record.backupCodes.contains { $0.matches(normalizedCode: wrong) })
    }

    /// Codes of the fixture's secret from oathtool 2.6.7 (`oathtool --totp -b SECRET -N @TIME`).
    @Test("TOTP codes of the secret match oathtool's", arguments: [
        (Int64(1_796_192_757), "936704"),
        (Int64(2_000_000_000), "447310"),
        (Int64(1_111_111_109), "665051"),
    ])
    func totpCodes(time: Int64, expected: String) throws {
        let totp = try #require(try Self.record().totp)
        #expect(totp.code(at: time) == expected)
    }
}
