import PolicySimulation
import Testing
@testable import TwoFactorCore

/// The seeded generator of every randomized test (shared with the fleet tests).
typealias SeededGenerator = PolicySimulation.SeededGenerator

/// Test-side hex decoding, written independently of `Hex` so expected values do not
/// depend on the code under test.
func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    precondition(digits.count % 2 == 0, "odd hex in test data")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: preconditionFailure("bad hex in test data")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

/// Test-side lower-case hex encoding, independent of `Hex`.
func hexString(_ data: [UInt8]) -> String {
    let table = Array("0123456789abcdef")
    var out = ""
    for byte in data {
        out.append(table[Int(byte >> 4)])
        out.append(table[Int(byte & 0x0F)])
    }
    return out
}

/// The RFC 6238 Appendix B seeds: ASCII "12345678901234567890" repeated to 20, 32 and 64 bytes.
enum RFCSeeds {
    static let ascii20: [UInt8] = Array("12345678901234567890".utf8)
    static func seed(length: Int) -> [UInt8] {
        (0..<length).map { ascii20[$0 % ascii20.count] }
    }
    static let sha1 = seed(length: 20)
    static let sha256 = seed(length: 32)
    static let sha512 = seed(length: 64)
}

/// A fixed 20-byte secret used by the policy tests.
let policySecret: [UInt8] = Array("swift-2fa-test-key!!".utf8)

/// A secret record built directly, without going through the file format.
func makeRecord(digits: Int = 6, period: Int = 30, algorithm: HashAlgorithm = .sha1,
                backupCodes: [BackupCodeHash] = []) -> SecretRecord {
    SecretRecord(secret: policySecret,
                 parameters: OTPParameters(algorithm: algorithm, digits: digits, period: period),
                 created: 1_700_000_000, backupCodes: backupCodes)
}
