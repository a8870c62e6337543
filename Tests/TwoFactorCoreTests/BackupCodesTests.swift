import Testing
@testable import TwoFactorCore

@Suite("Backup codes")
struct BackupCodesTests {
    static let lettersWithoutILO = Set("abcdefghjkmnpqrstuvwxyz")

    @Test("generate makes ten codes shaped abcde-fghjk from the reduced alphabet")
    func generateShape() throws {
        let codes = try #require(BackupCodes.generate())
        #expect(codes.count == 10)
        for code in codes {
            let characters = Array(code)
            #expect(characters.count == 11, "\(code)")
            #expect(characters[5] == "-", "\(code)")
            let letters = characters[0..<5] + characters[6...]
            #expect(letters.allSatisfy { Self.lettersWithoutILO.contains($0) }, "\(code)")
            #expect(!code.contains("i") && !code.contains("l") && !code.contains("o"))
        }
        #expect(Set(codes).count == codes.count, "codes repeat: \(codes)")
    }

    @Test("generate honours the count")
    func generateCount() throws {
        #expect(try #require(BackupCodes.generate(count: 0)).isEmpty)
        #expect(try #require(BackupCodes.generate(count: 1)).count == 1)
        #expect(try #require(BackupCodes.generate(count: 20)).count == 20)
    }

    @Test("generated codes use every letter of the alphabet and nothing else")
    func generateDistribution() throws {
        let codes = try #require(BackupCodes.generate(count: 300))
        var counts: [Character: Int] = [:]
        for code in codes { for character in code where character != "-" { counts[character, default: 0] += 1 } }
        #expect(Set(counts.keys) == Self.lettersWithoutILO)
        // 3000 letters over 23 symbols: about 130 each. A gross bias would leave one far off.
        for (letter, count) in counts {
            #expect((60...220).contains(count), "letter \(letter) appeared \(count) times")
        }
    }

    @Test("generated codes normalize to ten lower-case letters")
    func generateNormalizes() throws {
        for code in try #require(BackupCodes.generate()) {
            let normalized = try #require(BackupCodes.normalize(code))
            #expect(normalized == code.replacingOccurrencesOfDash())
            #expect(normalized.count == 10)
        }
    }

    @Test("normalize: case, spaces, dashes and tabs", arguments: [
        ("abcde-fghjk", "abcdefghjk"),
        ("ABCDE-FGHJK", "abcdefghjk"),
        ("AbCdE fGhJk", "abcdefghjk"),
        (" abcde - fghjk ", "abcdefghjk"),
        ("a-b-c-d-e-f-g-h-j-k", "abcdefghjk"),
        ("abcde\tfghjk", "abcdefghjk"),
        ("12345678", "12345678"),
        ("1234-5678", "12345678"),
        ("abcdefghjkmnpqrs", "abcdefghjkmnpqrs"),
    ])
    func normalize(typed: String, expected: String) {
        #expect(BackupCodes.normalize(typed) == expected)
    }

    @Test("normalize refuses what cannot be a backup code", arguments: [
        "", "abcdefg", "1234567", "abcdefghjkmnpqrst", "- - - -", "abcde_fghjk", "abcde.fghjk",
        "abcdé-fghjk", "abcde\nfghjk", "abcde\u{0}fghjk", "123456", String(repeating: "a", count: 1000),
    ])
    func normalizeRefuses(typed: String) {
        #expect(BackupCodes.normalize(typed) == nil)
    }

    @Test("the hash matches a PBKDF2-HMAC-SHA256 value computed independently (Python hashlib)")
    func knownPBKDF2() throws {
        let salt = (0..<16).map { UInt8($0) }
        let hash = bytes(hex: "7142a8dee26963850eefbef3649a7619525e5d744a860bf957c2695f03783d2e")
        let entry = try #require(BackupCodeHash(iterations: 1000, salt: salt, hash: hash))
        #expect(entry.matches(normalizedCode: "abcdefghjk"))
        #expect(!entry.matches(normalizedCode: "abcdefghjm"))
        #expect(!entry.matches(normalizedCode: "ABCDEFGHJK"), "matching takes the normalized form")
        #expect(entry.serialized == "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$" + hexString(hash))

        let digits = try #require(BackupCodeHash(
            iterations: 2, salt: salt,
            hash: bytes(hex: "82d75c41a62c160f130217aae99cd8e7cda45570d61ccf9d53adf8d9e42c815a")))
        #expect(digits.matches(normalizedCode: "12345678"))
        #expect(!digits.matches(normalizedCode: "12345679"))
    }

    @Test("make hashes the normalized code with a fresh salt")
    func make() throws {
        let first = try #require(BackupCodeHash.make(code: "ABCDE-FGHJK", iterations: 1000))
        let second = try #require(BackupCodeHash.make(code: "abcde-fghjk", iterations: 1000))
        #expect(first.iterations == 1000)
        #expect(first.salt.count == 16)
        #expect(first.hash.count == 32)
        #expect(first.salt != second.salt)
        #expect(first.hash != second.hash)
        #expect(first.matches(normalizedCode: "abcdefghjk"))
        #expect(second.matches(normalizedCode: "abcdefghjk"))
        #expect(!first.matches(normalizedCode: "abcdefghjm"))
        #expect(BackupCodeHash.make(code: "short", iterations: 1000) == nil)
        #expect(BackupCodeHash.make(code: "abcde-fghjk", iterations: 0) == nil)
        #expect(BackupCodeHash.make(code: "abcde-fghjk", iterations: BackupCodeHash.maximumIterations + 1) == nil)
    }

    @Test("the default iteration count is used when none is given")
    func defaultIterations() throws {
        let entry = try #require(BackupCodeHash.make(code: "12345678"))
        #expect(entry.iterations == BackupCodeHash.defaultIterations)
        #expect(BackupCodeHash.defaultIterations >= 10_000)
    }

    @Test("serialized form round trips")
    func serializedRoundTrip() throws {
        let entry = try #require(BackupCodeHash.make(code: "abcde-fghjk", iterations: 1234))
        let text = entry.serialized
        #expect(text.hasPrefix("pbkdf2-sha256$1234$"))
        #expect(text.split(separator: "$").count == 4)
        #expect(text == "pbkdf2-sha256$1234$\(hexString(entry.salt))$\(hexString(entry.hash))")
        #expect(BackupCodeHash(serialized: Substring(text)) == entry)
        // Upper-case hex is read too.
        let upper = "pbkdf2-sha256$1234$\(hexString(entry.salt).uppercased())$\(hexString(entry.hash).uppercased())"
        #expect(BackupCodeHash(serialized: Substring(upper)) == entry)
    }

    static let goodSalt = String(repeating: "ab", count: 16)
    static let goodHash = String(repeating: "cd", count: 32)

    @Test("malformed serialized forms are refused", arguments: [
        "",
        "pbkdf2-sha256",
        "pbkdf2-sha256$1000$\(goodSalt)",
        "pbkdf2-sha1$1000$\(goodSalt)$\(goodHash)",
        "PBKDF2-SHA256$1000$\(goodSalt)$\(goodHash)",
        "pbkdf2-sha256$0$\(goodSalt)$\(goodHash)",
        "pbkdf2-sha256$-1$\(goodSalt)$\(goodHash)",
        "pbkdf2-sha256$1000001$\(goodSalt)$\(goodHash)",
        "pbkdf2-sha256$99999999999$\(goodSalt)$\(goodHash)",
        "pbkdf2-sha256$$\(goodSalt)$\(goodHash)",
        "pbkdf2-sha256$1e3$\(goodSalt)$\(goodHash)",
        "pbkdf2-sha256$1000$\(goodSalt)ab$\(goodHash)",
        "pbkdf2-sha256$1000$\(goodSalt.dropLast(2))$\(goodHash)",
        "pbkdf2-sha256$1000$\(goodSalt)$\(goodHash)ab",
        "pbkdf2-sha256$1000$\(goodSalt)$\(goodHash.dropLast(2))",
        "pbkdf2-sha256$1000$\(goodSalt.dropLast(1))g$\(goodHash)",
        "pbkdf2-sha256$1000$\(goodSalt)$\(goodHash)$",
        "pbkdf2-sha256$1000$\(goodSalt)$\(goodHash)$extra",
        "pbkdf2-sha256 1000 \(goodSalt) \(goodHash)",
    ])
    func malformedSerialized(text: String) {
        #expect(BackupCodeHash(serialized: Substring(text)) == nil)
    }

    @Test("the edges of the iteration range are accepted")
    func iterationEdges() {
        #expect(BackupCodeHash(serialized: Substring("pbkdf2-sha256$1$\(Self.goodSalt)$\(Self.goodHash)")) != nil)
        #expect(BackupCodeHash(serialized: Substring("pbkdf2-sha256$1000000$\(Self.goodSalt)$\(Self.goodHash)")) != nil)
    }

    @Test("the memberwise initializer checks lengths and iterations")
    func memberwiseChecks() {
        let salt = [UInt8](repeating: 1, count: 16)
        let hash = [UInt8](repeating: 2, count: 32)
        #expect(BackupCodeHash(iterations: 1, salt: salt, hash: hash) != nil)
        #expect(BackupCodeHash(iterations: 0, salt: salt, hash: hash) == nil)
        #expect(BackupCodeHash(iterations: 1_000_001, salt: salt, hash: hash) == nil)
        #expect(BackupCodeHash(iterations: 1, salt: Array(salt.dropLast()), hash: hash) == nil)
        #expect(BackupCodeHash(iterations: 1, salt: salt, hash: hash + [0]) == nil)
    }
}

private extension String {
    func replacingOccurrencesOfDash() -> String { String(filter { $0 != "-" }) }
}
