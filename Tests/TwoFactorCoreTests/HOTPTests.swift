import Testing
@testable import TwoFactorCore

@Suite("HOTP (RFC 4226)")
struct HOTPTests {
    /// RFC 4226 Appendix D: counter, HMAC-SHA-1 hex, truncated decimal, 6-digit HOTP.
    static let appendixD: [(counter: UInt64, hmac: String, truncated: UInt32, code: String)] = [
        (0, "cc93cf18508d94934c64b65d8ba7667fb7cde4b0", 1284755224, "755224"),
        (1, "75a48a19d4cbe100644e8ac1397eea747a2d33ab", 1094287082, "287082"),
        (2, "0bacb7fa082fef30782211938bc1c5e70416ff44", 137359152, "359152"),
        (3, "66c28227d03a2d5529262ff016a1e6ef76557ece", 1726969429, "969429"),
        (4, "a904c900a64b35909874b33e61c5938a8e15ed1c", 1640338314, "338314"),
        (5, "a37e783d7b7233c083d4f62926c7a25f238d0316", 868254676, "254676"),
        (6, "bc9cd28561042c83f219324d3c607256c03272ae", 1918287922, "287922"),
        (7, "a4fb960c0bc06e1eabb804e5b397cdc4b45596fa", 82162583, "162583"),
        (8, "1b3c89f65e6c9e883012052823443f048b4332db", 673399871, "399871"),
        (9, "1637409809a679dc698207310c8c7fc07290d9e5", 645520489, "520489"),
    ]

    static func counterMessage(_ counter: UInt64) -> [UInt8] {
        (0..<8).map { UInt8((counter >> (56 - 8 * UInt64($0))) & 0xFF) }
    }

    @Test("the 6-digit codes of Appendix D", arguments: appendixD.indices)
    func appendixDCodes(index: Int) {
        let vector = Self.appendixD[index]
        #expect(HOTP.code(secret: RFCSeeds.sha1, counter: vector.counter, digits: 6, algorithm: .sha1) == vector.code)
    }

    @Test("the HMAC-SHA-1 values of Appendix D", arguments: appendixD.indices)
    func appendixDHMAC(index: Int) {
        let vector = Self.appendixD[index]
        let mac = HashAlgorithm.sha1.hmac(key: RFCSeeds.sha1, message: Self.counterMessage(vector.counter))
        #expect(mac == bytes(hex: vector.hmac))
    }

    @Test("the dynamic-truncation values of Appendix D", arguments: appendixD.indices)
    func appendixDTruncation(index: Int) {
        let vector = Self.appendixD[index]
        #expect(HOTP.truncatedValue(secret: RFCSeeds.sha1, counter: vector.counter, algorithm: .sha1) == vector.truncated)
    }

    @Test("8-digit codes are the truncated value mod 10^8, zero-padded")
    func eightDigits() {
        for vector in Self.appendixD {
            let expected = String(vector.truncated % 100_000_000)
            let padded = String(repeating: "0", count: 8 - expected.count) + expected
            #expect(HOTP.code(secret: RFCSeeds.sha1, counter: vector.counter, digits: 8, algorithm: .sha1) == padded)
        }
        // Counter 7 truncates to 82162583: exactly 8 digits; counter 2 to 137359152 → "37359152".
        #expect(HOTP.code(secret: RFCSeeds.sha1, counter: 2, digits: 8, algorithm: .sha1) == "37359152")
    }

    @Test("codes keep their leading zeros")
    func leadingZeros() {
        // Search a few counters for a code with a leading zero; each must be 6 characters.
        var sawLeadingZero = false
        for counter in UInt64(0)..<200 {
            guard let code = HOTP.code(secret: RFCSeeds.sha1, counter: counter, digits: 6, algorithm: .sha1) else {
                Issue.record("no code for counter \(counter)")
                return
            }
            #expect(code.count == 6)
            #expect(code.allSatisfy(\.isASCII) && code.allSatisfy(\.isNumber))
            if code.first == "0" { sawLeadingZero = true }
        }
        #expect(sawLeadingZero)
    }

    @Test("digit counts outside 6...8 give nil", arguments: [-1, 0, 1, 5, 9, 10, 20])
    func invalidDigits(digits: Int) {
        #expect(HOTP.code(secret: RFCSeeds.sha1, counter: 0, digits: digits, algorithm: .sha1) == nil)
    }

    @Test("the whole 64-bit counter is used")
    func wideCounter() {
        // Counters that differ only above bit 32 must give different MACs.
        let low = HashAlgorithm.sha1.hmac(key: RFCSeeds.sha1, message: Self.counterMessage(1))
        let high = HashAlgorithm.sha1.hmac(key: RFCSeeds.sha1, message: Self.counterMessage(1 | (1 << 40)))
        #expect(low != high)
        #expect(HOTP.truncatedValue(secret: RFCSeeds.sha1, counter: .max, algorithm: .sha1) != nil)
    }
}

@Suite("HMAC through GNU Nettle (RFC 2202 / RFC 4231)")
struct HMACTests {
    static let key = Array("Jefe".utf8)
    static let message = Array("what do ya want for nothing?".utf8)

    @Test("RFC 2202 test case 2, HMAC-SHA-1")
    func sha1() {
        #expect(HashAlgorithm.sha1.hmac(key: Self.key, message: Self.message)
                == bytes(hex: "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"))
    }

    @Test("RFC 4231 test case 2, HMAC-SHA-256")
    func sha256() {
        #expect(HashAlgorithm.sha256.hmac(key: Self.key, message: Self.message)
                == bytes(hex: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"))
    }

    @Test("RFC 4231 test case 2, HMAC-SHA-512")
    func sha512() {
        #expect(HashAlgorithm.sha512.hmac(key: Self.key, message: Self.message)
                == bytes(hex: "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"))
    }

    @Test("an empty key and message still give a full-length MAC")
    func emptyInputs() {
        #expect(HashAlgorithm.sha1.hmac(key: [], message: [])?.count == 20)
        #expect(HashAlgorithm.sha256.hmac(key: [], message: [])?.count == 32)
        #expect(HashAlgorithm.sha512.hmac(key: [], message: [])?.count == 64)
    }

    @Test("algorithm names parse in common spellings")
    func algorithmNames() {
        #expect(HashAlgorithm(name: "SHA1") == .sha1)
        #expect(HashAlgorithm(name: "sha1") == .sha1)
        #expect(HashAlgorithm(name: "SHA-1") == .sha1)
        #expect(HashAlgorithm(name: "sha-256") == .sha256)
        #expect(HashAlgorithm(name: "Sha256") == .sha256)
        #expect(HashAlgorithm(name: "SHA512") == .sha512)
        #expect(HashAlgorithm(name: "MD5") == nil)
        #expect(HashAlgorithm(name: "") == nil)
        #expect(HashAlgorithm(name: "SHA384") == nil)
        #expect(HashAlgorithm(rawValue: "sha1") == nil, "the raw value used in files is upper case only")
    }
}

@Suite("Hex and constant-time comparison")
struct HexAndCompareTests {
    @Test("hex encodes lower case and decodes either case")
    func hexRoundTrip() {
        #expect(Hex.encode([0x00, 0x01, 0xAB, 0xFF]) == "0001abff")
        #expect(Hex.encode([]) == "")
        #expect(Hex.decode("0001abff") == [0x00, 0x01, 0xAB, 0xFF])
        #expect(Hex.decode("0001ABFF") == [0x00, 0x01, 0xAB, 0xFF])
        #expect(Hex.decode("") == [])
        var generator = SeededGenerator(seed: 0x4E7)
        for _ in 0..<200 {
            let data = generator.bytes(Int.random(in: 0...40, using: &generator))
            #expect(Hex.encode(data) == hexString(data))
            #expect(Hex.decode(Substring(hexString(data).uppercased())) == data)
        }
    }

    @Test("hex rejects odd lengths and non-hex characters", arguments: ["0", "abc", "0g", "zz", " 00", "0x00", "é0"])
    func hexRejects(text: String) {
        #expect(Hex.decode(Substring(text)) == nil)
    }

    @Test("constant-time equality")
    func constantTimeEqual() {
        #expect(ConstantTime.equal([], []))
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2]))
        #expect(!ConstantTime.equal([0], []))
        #expect(!ConstantTime.equal(Array("123456".utf8), Array("123457".utf8)))
    }

    @Test("SecureRandom returns the requested count and varies")
    func secureRandom() {
        #expect(SecureRandom.bytes(0) == [])
        #expect(SecureRandom.bytes(-1) == nil)
        let a = SecureRandom.bytes(32)
        let b = SecureRandom.bytes(32)
        #expect(a?.count == 32)
        #expect(b?.count == 32)
        #expect(a != b)
    }
}
