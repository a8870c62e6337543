import Foundation
import TestSupport
import Testing
@testable import TwoFactorCore

/// Compares our TOTP codes with oath-toolkit's `oathtool`, an independent implementation.
/// Without oathtool the suite is skipped with the reason, never in silence (and test.sh,
/// which installs it, fails on any skip).
@Suite("oathtool cross-check", .requires("/usr/bin/oathtool", package: "oathtool"))
struct OathtoolCrossCheckTests {
    static let oathtoolPath = "/usr/bin/oathtool"

    struct Case: CustomStringConvertible {
        let secret: [UInt8]
        let algorithm: HashAlgorithm
        let digits: Int
        let period: Int
        let time: Int64

        var description: String {
            "\(algorithm.rawValue)/\(digits)/\(period)s at @\(time), \(secret.count)-byte secret \(hexString(secret))"
        }
    }

    /// Runs oathtool and returns its trimmed standard output, or records why it could not.
    static func oathtool(_ arguments: [String]) throws -> String {
        let run = try Program.run(oathtoolPath, arguments)
        guard run.status == 0 else {
            throw OathtoolError(message: "oathtool \(arguments.joined(separator: " ")) exited with \(run.status): \(run.stderr)")
        }
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    struct OathtoolError: Error, CustomStringConvertible { let message: String; var description: String { message } }

    static func randomCases() -> [Case] {
        var generator = SeededGenerator(seed: 0x0A7_4700_1)
        var cases: [Case] = []
        for index in 0..<32 {
            let length = Int.random(in: 10...64, using: &generator)
            let algorithm = HashAlgorithm.allCases.randomElement(using: &generator)!
            let digits = [6, 8].randomElement(using: &generator)!
            let period = [15, 30, 60, 300].randomElement(using: &generator)!
            // Mostly present-day times, some near 0 and some past 2^32 seconds.
            let time: Int64
            switch index % 4 {
            case 0: time = Int64.random(in: 0...100_000, using: &generator)
            case 1: time = Int64.random(in: 4_294_967_296...20_000_000_000, using: &generator)
            default: time = Int64.random(in: 1_500_000_000...2_100_000_000, using: &generator)
            }
            cases.append(Case(secret: generator.bytes(length), algorithm: algorithm, digits: digits,
                              period: period, time: time))
        }
        // Make sure every algorithm, both digit counts and every period appear at least once.
        let secret = generator.bytes(20)
        for algorithm in HashAlgorithm.allCases {
            for (digits, period) in [(6, 15), (8, 30), (6, 60), (8, 300)] {
                cases.append(Case(secret: secret, algorithm: algorithm, digits: digits, period: period,
                                  time: 1_764_456_000))
            }
        }
        return cases
    }

    @Test("oathtool reproduces an RFC 6238 vector, so the flags used here are right")
    func oathtoolSanity() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.oathtoolPath), "oathtool is missing")
        let code = try Self.oathtool(["--totp=SHA256", "--digits=8", "--time-step-size=30s", "--now=@1111111109",
                                      hexString(RFCSeeds.sha256)])
        #expect(code == "68084774")
    }

    @Test("random secrets, algorithms, digits, periods and times agree with oathtool")
    func randomSecrets() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.oathtoolPath),
                     "oathtool is missing: install the Debian package oathtool")
        let cases = Self.randomCases()
        #expect(cases.count >= 30)
        for testCase in cases {
            let expected = try Self.oathtool([
                "--totp=\(testCase.algorithm.rawValue)",
                "--digits=\(testCase.digits)",
                "--time-step-size=\(testCase.period)s",
                "--now=@\(testCase.time)",
                hexString(testCase.secret),
            ])
            #expect(expected.count == testCase.digits, "oathtool output '\(expected)' for \(testCase)")
            let parameters = OTPParameters(algorithm: testCase.algorithm, digits: testCase.digits, period: testCase.period)
            let totp = try #require(TOTP(secret: testCase.secret, parameters: parameters), "\(testCase)")
            #expect(totp.code(at: testCase.time) == expected, "\(testCase)")
        }
    }

    @Test("base32 input to oathtool gives the same code as our decoded secret")
    func base32Agreement() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.oathtoolPath), "oathtool is missing")
        var generator = SeededGenerator(seed: 0xBA5E_32)
        for _ in 0..<3 {
            // oathtool wants whole 8-character base32 groups when there is no padding.
            let secret = generator.bytes(5 * Int.random(in: 2...8, using: &generator))
            let text = Base32.encode(secret)
            let expected = try Self.oathtool(["--totp", "--base32", "--now=@1700000000", text])
            let decoded = try #require(Base32.decode(text))
            let totp = try #require(TOTP(secret: decoded, parameters: .standard))
            #expect(totp.code(at: 1_700_000_000) == expected)
        }
    }
}
