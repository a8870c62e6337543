import Testing
@testable import TwoFactorCore

@Suite("TOTP (RFC 6238)")
struct TOTPTests {
    /// RFC 6238 Appendix B: time, T (hex), and the 8-digit codes for SHA1 / SHA256 / SHA512.
    static let appendixB: [(time: Int64, step: UInt64, sha1: String, sha256: String, sha512: String)] = [
        (59, 0x1, "94287082", "46119246", "90693936"),
        (1_111_111_109, 0x23523EC, "07081804", "68084774", "25091201"),
        (1_111_111_111, 0x23523ED, "14050471", "67062674", "99943326"),
        (1_234_567_890, 0x273EF07, "89005924", "91819424", "93441116"),
        (2_000_000_000, 0x3F940AA, "69279037", "90698825", "38618901"),
        (20_000_000_000, 0x27BC86AA, "65353130", "77737706", "47863826"),
    ]

    static func totp(_ algorithm: HashAlgorithm, digits: Int = 8, period: Int = 30) -> TOTP {
        let seed: [UInt8]
        switch algorithm {
        case .sha1: seed = RFCSeeds.sha1
        case .sha256: seed = RFCSeeds.sha256
        case .sha512: seed = RFCSeeds.sha512
        }
        return TOTP(secret: seed, parameters: OTPParameters(algorithm: algorithm, digits: digits, period: period))!
    }

    @Test("the seeds are the ones RFC 6238 describes")
    func seeds() {
        #expect(RFCSeeds.sha1 == Array("12345678901234567890".utf8))
        #expect(RFCSeeds.sha256 == Array("12345678901234567890123456789012".utf8))
        #expect(RFCSeeds.sha512 == Array(("12345678901234567890123456789012345678901234567890"
                                          + "12345678901234").utf8))
    }

    @Test("Appendix B, SHA1", arguments: appendixB.indices)
    func sha1(index: Int) {
        let vector = Self.appendixB[index]
        #expect(Self.totp(.sha1).code(at: vector.time) == vector.sha1)
    }

    @Test("Appendix B, SHA256", arguments: appendixB.indices)
    func sha256(index: Int) {
        let vector = Self.appendixB[index]
        #expect(Self.totp(.sha256).code(at: vector.time) == vector.sha256)
    }

    @Test("Appendix B, SHA512", arguments: appendixB.indices)
    func sha512(index: Int) {
        let vector = Self.appendixB[index]
        #expect(Self.totp(.sha512).code(at: vector.time) == vector.sha512)
    }

    @Test("Appendix B time steps, including T wider than 32 bits", arguments: appendixB.indices)
    func steps(index: Int) {
        let vector = Self.appendixB[index]
        #expect(Self.totp(.sha1).step(at: vector.time) == vector.step)
    }

    @Test("time 20000000000 (past 2^32 seconds) and counters past 2^32 use the full 64-bit counter")
    func wideTime() {
        let totp = Self.totp(.sha1)
        #expect(totp.step(at: 20_000_000_000) == 666_666_666)
        // Time well past 2^32 steps: the counter 2^32 + 1 must differ from counter 1.
        let wide = UInt64(1) << 32 | 1
        #expect(totp.code(forStep: wide) != totp.code(forStep: 1))
        #expect(totp.code(at: Int64(wide) * 30) == totp.code(forStep: wide))
    }

    @Test("code(forStep:) agrees with code(at:) and HOTP")
    func stepConsistency() {
        for algorithm in HashAlgorithm.allCases {
            let totp = Self.totp(algorithm)
            for vector in Self.appendixB {
                #expect(totp.code(forStep: vector.step) == totp.code(at: vector.time))
                #expect(totp.code(forStep: vector.step)
                        == HOTP.code(secret: totp.secret, counter: vector.step, digits: 8, algorithm: algorithm))
            }
        }
    }

    @Test("6-digit codes are the last six digits of the 8-digit Appendix B codes")
    func sixDigits() {
        for vector in Self.appendixB {
            #expect(Self.totp(.sha1, digits: 6).code(at: vector.time) == String(vector.sha1.suffix(6)))
            #expect(Self.totp(.sha256, digits: 6).code(at: vector.time) == String(vector.sha256.suffix(6)))
            #expect(Self.totp(.sha512, digits: 6).code(at: vector.time) == String(vector.sha512.suffix(6)))
        }
    }

    @Test("a code is constant within a step and changes at the boundary")
    func stepBoundaries() {
        let totp = Self.totp(.sha1)
        // 59 is the last second of step 1; 60 starts step 2.
        #expect(totp.step(at: 30) == 1)
        #expect(totp.step(at: 59) == 1)
        #expect(totp.step(at: 60) == 2)
        #expect(totp.step(at: 29) == 0)
        #expect(totp.step(at: 0) == 0)
        #expect(totp.code(at: 30) == "94287082")
        #expect(totp.code(at: 60) != "94287082")
        // The RFC 4226 counter-1 value again: step 1 of a 30 s TOTP is HOTP counter 1.
        #expect(Self.totp(.sha1, digits: 6).code(at: 45) == "287082")
    }

    @Test("the period changes the step", arguments: [15, 30, 60, 300])
    func periods(period: Int) {
        let totp = Self.totp(.sha1, period: period)
        #expect(totp.step(at: 1_234_567_890) == UInt64(1_234_567_890 / period))
        #expect(totp.step(at: Int64(period) - 1) == 0)
        #expect(totp.step(at: Int64(period)) == 1)
    }

    @Test("a time before 1970 has no step and no code")
    func negativeTime() {
        let totp = Self.totp(.sha1)
        #expect(totp.step(at: -1) == nil)
        #expect(totp.code(at: -1) == nil)
        #expect(totp.code(at: .min) == nil)
        #expect(totp.step(at: .max) == UInt64(Int64.max) / 30)
        #expect(totp.code(at: .max) != nil)
    }

    @Test("invalid parameters are refused by the initializer",
          arguments: [(6, 14), (6, 301), (6, 0), (6, -30), (7, 14), (5, 30), (9, 30), (10, 30), (0, 30)])
    func invalidParameters(digits: Int, period: Int) {
        let parameters = OTPParameters(algorithm: .sha1, digits: digits, period: period)
        #expect(!parameters.isValid)
        #expect(TOTP(secret: RFCSeeds.sha1, parameters: parameters) == nil)
    }

    @Test("valid parameters at the edges are accepted",
          arguments: [(6, 15), (6, 300), (8, 15), (8, 300), (6, 30), (7, 30), (8, 60)])
    func validParameters(digits: Int, period: Int) {
        let parameters = OTPParameters(algorithm: .sha256, digits: digits, period: period)
        #expect(parameters.isValid)
        #expect(TOTP(secret: RFCSeeds.sha1, parameters: parameters) != nil)
    }

    @Test("only SHA1 / 6 / 30 is standard")
    func standard() {
        #expect(OTPParameters.standard == OTPParameters(algorithm: .sha1, digits: 6, period: 30))
        #expect(OTPParameters.standard.isStandard)
        #expect(!OTPParameters(algorithm: .sha256, digits: 6, period: 30).isStandard)
        #expect(!OTPParameters(algorithm: .sha1, digits: 8, period: 30).isStandard)
        #expect(!OTPParameters(algorithm: .sha1, digits: 6, period: 60).isStandard)
    }
}
