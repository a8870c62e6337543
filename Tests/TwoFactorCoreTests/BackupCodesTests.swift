import Testing
@testable import TwoFactorCore

@Suite("Backup codes")
struct BackupCodesTests {
    static let lettersWithoutILO = Set("abcdefghjkmnpqrstuvwxyz")

    /// `generate` with cheap hashes (the iteration count does not change what is tested).
    static func generate(count: Int = BackupCodes.count) -> (codes: [String], hashes: [BackupCodeHash])? {
        BackupCodes.generate(count: count, secret: policySecret, iterations: 1)
    }

    @Test("generate makes ten codes shaped abcde-fghjk from the reduced alphabet")
    func generateShape() throws {
        let codes = try #require(Self.generate()).codes
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
        #expect(try #require(Self.generate(count: 0)).codes.isEmpty)
        #expect(try #require(Self.generate(count: 1)).codes.count == 1)
        let twenty = try #require(Self.generate(count: 20))
        #expect(twenty.codes.count == 20)
        #expect(twenty.hashes.count == 20)
    }

    @Test("generate hashes each code, tagged for the secret, with distinct tags")
    func generateHashes() throws {
        let generated = try #require(BackupCodes.generate(secret: policySecret, iterations: 1000))
        #expect(generated.hashes.count == generated.codes.count)
        for (code, hash) in zip(generated.codes, generated.hashes) {
            let normalized = try #require(BackupCodes.normalize(code))
            #expect(hash.iterations == 1000)
            #expect(hash.matches(normalizedCode: normalized))
            #expect(hash.tag == BackupCodeHash.tag(normalizedCode: normalized, secret: policySecret))
        }
        #expect(Set(generated.hashes.compactMap(\.tag)).count == generated.codes.count)
        #expect(BackupCodes.generate(secret: policySecret).map { $0.hashes.allSatisfy {
            $0.iterations == BackupCodeHash.defaultIterations } } == true)
    }

    /// Random bytes that make `generate` draw `code` (letter indices; the rest is ignored).
    static func randomBytes(drawing code: String) -> [UInt8] {
        let indices = code.utf8.map { letter in UInt8(BackupCodes.alphabet.firstIndex(of: letter) ?? 0) }
        return indices + [UInt8](repeating: 0, count: 64 - indices.count)
    }

    /// Two letter codes whose tags under `policySecret` are equal (found by a birthday
    /// search, checked with Python's hmac module: tag 205fc977).
    static let collidingLetters = ("jstaaaaaaa", "cvacaaaaaa")

    @Test("generate draws a code again when its tag is already taken by the set")
    func generateAvoidsTagCollisions() throws {
        let (first, second) = Self.collidingLetters
        let firstTag = try #require(BackupCodeHash.tag(normalizedCode: first, secret: policySecret))
        #expect(hexString(firstTag) == "205fc977")
        #expect(BackupCodeHash.tag(normalizedCode: second, secret: policySecret) == firstTag)
        // The source draws the first code, then the colliding one, the first again, then a third.
        var script = [first, second, first, "mnpqrstuvw"].map(Self.randomBytes(drawing:))
        let generated = try #require(BackupCodes.generate(count: 2, secret: policySecret, iterations: 1) { _ in
            script.isEmpty ? nil : script.removeFirst()
        })
        #expect(generated.codes == ["jstaa-aaaaa", "mnpqr-stuvw"])
        #expect(script.isEmpty)
        #expect(Set(generated.hashes.compactMap(\.tag)).count == 2)
        // A source that fails ends generation.
        #expect(BackupCodes.generate(count: 1, secret: policySecret, iterations: 1) { _ in nil } == nil)
    }

    @Test("imported codes are tagged; of two with the same tag (or a repeated code) one is dropped")
    func importedTags() throws {
        // 00044530 and 00052926 have the same tag under policySecret (19cd2ad1, Python's hmac).
        let codes = ["12345678", "00044530", "87654321", "00052926", "12345678"]
        let result = try #require(BackupCodes.hashes(for: codes, secret: policySecret, iterations: 1))
        #expect(result.dropped == 2)
        #expect(result.hashes.count == 3)
        let kept = ["12345678", "00044530", "87654321"]
        #expect(result.kept == kept)
        for (code, hash) in zip(kept, result.hashes) {
            #expect(hash.matches(normalizedCode: code))
            #expect(hash.tag == BackupCodeHash.tag(normalizedCode: code, secret: policySecret))
        }
        #expect(hexString(result.hashes[1].tag ?? []) == "19cd2ad1")
        #expect(try #require(BackupCodes.hashes(for: [], secret: policySecret)).dropped == 0)
        #expect(BackupCodes.hashes(for: ["1234"], secret: policySecret, iterations: 1) == nil)
    }

    @Test("the tag is HMAC-SHA256 of the label and the normalized code under the secret (Python hmac)")
    func knownTag() {
        #expect(BackupCodeHash.tag(normalizedCode: "abcdefghjk", secret: policySecret).map(hexString) == "62a5e354")
        #expect(BackupCodeHash.tag(normalizedCode: "12345678", secret: policySecret).map(hexString) == "2af46525")
        #expect(BackupCodeHash.tag(normalizedCode: "abcdefghjk", secret: Array("another secret 12345".utf8))
                != BackupCodeHash.tag(normalizedCode: "abcdefghjk", secret: policySecret))
    }

    @Test("generated codes use every letter of the alphabet and nothing else")
    func generateDistribution() throws {
        let codes = try #require(Self.generate(count: 300)).codes
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
        for code in try #require(Self.generate()).codes {
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
        let entry = try #require(BackupCodeHash(iterations: 1000, salt: salt, hash: hash, tag: nil))
        #expect(entry.matches(normalizedCode: "abcdefghjk"))
        #expect(!entry.matches(normalizedCode: "abcdefghjm"))
        #expect(!entry.matches(normalizedCode: "ABCDEFGHJK"), "matching takes the normalized form")
        #expect(entry.serialized == "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$" + hexString(hash))

        let digits = try #require(BackupCodeHash(
            iterations: 2, salt: salt,
            hash: bytes(hex: "82d75c41a62c160f130217aae99cd8e7cda45570d61ccf9d53adf8d9e42c815a"), tag: nil))
        #expect(digits.matches(normalizedCode: "12345678"))
        #expect(!digits.matches(normalizedCode: "12345679"))
    }

    @Test("make hashes the normalized code with a fresh salt and tags it")
    func make() throws {
        let first = try #require(BackupCodeHash.make(code: "ABCDE-FGHJK", secret: policySecret, iterations: 1000))
        let second = try #require(BackupCodeHash.make(code: "abcde-fghjk", secret: policySecret, iterations: 1000))
        #expect(first.tag.map(hexString) == "62a5e354")
        #expect(second.tag == first.tag, "the tag depends on the code and the secret only")
        #expect(first.iterations == 1000)
        #expect(first.salt.count == 16)
        #expect(first.hash.count == 32)
        #expect(first.salt != second.salt)
        #expect(first.hash != second.hash)
        #expect(first.matches(normalizedCode: "abcdefghjk"))
        #expect(second.matches(normalizedCode: "abcdefghjk"))
        #expect(!first.matches(normalizedCode: "abcdefghjm"))
        #expect(BackupCodeHash.make(code: "short", secret: policySecret, iterations: 1000) == nil)
        #expect(BackupCodeHash.make(code: "abcde-fghjk", secret: policySecret, iterations: 0) == nil)
        #expect(BackupCodeHash.make(code: "abcde-fghjk", secret: policySecret,
                                    iterations: BackupCodeHash.maximumIterations + 1) == nil)
    }

    @Test("the default iteration count is used when none is given")
    func defaultIterations() throws {
        let entry = try #require(BackupCodeHash.make(code: "12345678", secret: policySecret))
        #expect(entry.iterations == BackupCodeHash.defaultIterations)
        #expect(BackupCodeHash.defaultIterations >= 10_000)
    }

    @Test("serialized form round trips, with the tag as a fifth field")
    func serializedRoundTrip() throws {
        let entry = try #require(BackupCodeHash.make(code: "abcde-fghjk", secret: policySecret, iterations: 1234))
        let text = entry.serialized
        #expect(text.hasPrefix("pbkdf2-sha256$1234$"))
        #expect(text.split(separator: "$").count == 5)
        #expect(text == "pbkdf2-sha256$1234$\(hexString(entry.salt))$\(hexString(entry.hash))$62a5e354")
        #expect(BackupCodeHash(serialized: Substring(text)) == entry)
        // Upper-case hex is read too.
        let upper = "pbkdf2-sha256$1234$\(hexString(entry.salt).uppercased())$\(hexString(entry.hash).uppercased())$62A5E354"
        #expect(BackupCodeHash(serialized: Substring(upper)) == entry)
    }

    @Test("an untagged line, as written before tags, is still read and written back unchanged")
    func untaggedLine() throws {
        let text = "pbkdf2-sha256$1000$\(Self.goodSalt)$\(Self.goodHash)"
        let entry = try #require(BackupCodeHash(serialized: Substring(text)))
        #expect(entry.tag == nil)
        #expect(entry.serialized == text)
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
        "pbkdf2-sha256$1000$\(goodSalt)$\(goodHash)$0a0b0c",
        "pbkdf2-sha256$1000$\(goodSalt)$\(goodHash)$0a0b0c0d0e",
        "pbkdf2-sha256$1000$\(goodSalt)$\(goodHash)$0a0b0c0g",
        "pbkdf2-sha256$1000$\(goodSalt)$\(goodHash)$0a0b0c0d$",
        "pbkdf2-sha256$1000$\(goodSalt)$\(goodHash)$0a0b0c0d$0a0b0c0d",
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
        #expect(BackupCodeHash(iterations: 1, salt: salt, hash: hash, tag: nil) != nil)
        #expect(BackupCodeHash(iterations: 1, salt: salt, hash: hash, tag: [1, 2, 3, 4]) != nil)
        #expect(BackupCodeHash(iterations: 0, salt: salt, hash: hash, tag: nil) == nil)
        #expect(BackupCodeHash(iterations: 1_000_001, salt: salt, hash: hash, tag: nil) == nil)
        #expect(BackupCodeHash(iterations: 1, salt: Array(salt.dropLast()), hash: hash, tag: nil) == nil)
        #expect(BackupCodeHash(iterations: 1, salt: salt, hash: hash + [0], tag: nil) == nil)
        #expect(BackupCodeHash(iterations: 1, salt: salt, hash: hash, tag: [1, 2, 3]) == nil)
        #expect(BackupCodeHash(iterations: 1, salt: salt, hash: hash, tag: [1, 2, 3, 4, 5]) == nil)
    }
}

private extension String {
    func replacingOccurrencesOfDash() -> String { String(filter { $0 != "-" }) }
}
