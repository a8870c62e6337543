import Testing
@testable import TwoFactorCore

@Suite("Base32 (RFC 4648)")
struct Base32Tests {
    /// RFC 4648 §10 test vectors, with the padding an encoder produces.
    static let vectors: [(plain: String, padded: String)] = [
        ("", ""),
        ("f", "MY======"),
        ("fo", "MZXQ===="),
        ("foo", "MZXW6==="),
        ("foob", "MZXW6YQ="),
        ("fooba", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI======"),
    ]

    static func unpadded(_ text: String) -> String { String(text.filter { $0 != "=" }) }

    @Test("encode gives the RFC 4648 vectors without padding", arguments: vectors.indices)
    func encodesRFCVectors(index: Int) {
        let vector = Self.vectors[index]
        #expect(Base32.encode(Array(vector.plain.utf8)) == Self.unpadded(vector.padded))
    }

    @Test("decode accepts the RFC 4648 vectors with and without padding", arguments: vectors.indices)
    func decodesRFCVectors(index: Int) {
        let vector = Self.vectors[index]
        let plain = Array(vector.plain.utf8)
        #expect(Base32.decode(vector.padded) == plain)
        #expect(Base32.decode(Self.unpadded(vector.padded)) == plain)
    }

    @Test("the well-known RFC 6238 seed encodes as GEZDGNBVGY3TQOJQ...")
    func encodesRFCSeed() {
        #expect(Base32.encode(RFCSeeds.sha1) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        #expect(Base32.decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") == RFCSeeds.sha1)
    }

    @Test("decode is case-insensitive")
    func caseInsensitive() {
        #expect(Base32.decode("mzxw6ytboi") == Array("foobar".utf8))
        #expect(Base32.decode("MzXw6YtBoI") == Array("foobar".utf8))
        #expect(Base32.decode("gezdgnbvgy3tqojqgezdgnbvgy3tqojq") == RFCSeeds.sha1)
    }

    @Test("spaces, dashes and tabs are ignored anywhere")
    func separatorsTolerated() {
        let expected = RFCSeeds.sha1
        #expect(Base32.decode("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ") == expected)
        #expect(Base32.decode("gezd-gnbv-gy3t-qojq-gezd-gnbv-gy3t-qojq") == expected)
        #expect(Base32.decode(" GEZDGNBVGY3TQOJQ\tGEZDGNBVGY3TQOJQ ") == expected)
        #expect(Base32.decode("MZXW6 YQ=") == Array("foob".utf8))
        #expect(Base32.decode("MY-======") == Array("f".utf8))
    }

    @Test("missing or partial padding is tolerated")
    func missingPadding() {
        #expect(Base32.decode("MY") == Array("f".utf8))
        #expect(Base32.decode("MY==") == Array("f".utf8))
        #expect(Base32.decode("MZXW6") == Array("foo".utf8))
        #expect(Base32.decode("MZXW6YQ") == Array("foob".utf8))
    }

    @Test("characters outside the alphabet are rejected",
          arguments: ["MZXW6YT0", "MZXW6YT1", "MZXW6YT8", "MZXW6YT9", "MZXW6YT!", "MZXW6YT_",
                      "MZXW6YT.", "MZXW6YT\n", "MZXW6YTÉ", "MZXW6YT\u{0}", "MZXW+YTB", "MZXW/YTB"])
    func invalidCharacters(text: String) {
        #expect(Base32.decode(text) == nil)
    }

    @Test("padding followed by data is rejected", arguments: ["MY==MY", "M=Y", "=MY", "MZXW6===YTB"])
    func paddingInTheMiddle(text: String) {
        #expect(Base32.decode(text) == nil)
    }

    @Test("lengths no encoder produces (1, 3 or 6 mod 8) are rejected",
          arguments: ["A", "ABC", "ABCDEF", "ABCDEFGHA", "ABCDEFGHABC", "ABCDEFGHABCDEF", "A=======", "ABC====="])
    func impossibleLengths(text: String) {
        #expect(Base32.decode(text) == nil)
    }

    @Test("possible lengths (0, 2, 4, 5, 7 mod 8) decode to the right number of bytes")
    func possibleLengths() {
        let expected: [Int: Int] = [0: 0, 2: 1, 4: 2, 5: 3, 7: 4, 8: 5, 10: 6, 16: 10]
        for (characters, byteCount) in expected {
            let text = String(repeating: "A", count: characters)
            #expect(Base32.decode(text)?.count == byteCount, "length \(characters)")
            #expect(Base32.decode(text).map { $0.allSatisfy { $0 == 0 } } == true)
        }
    }

    @Test("encode output uses only the upper-case alphabet and has the expected length")
    func encodeShape() {
        var generator = SeededGenerator(seed: 0xB32)
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        for length in 0...70 {
            let data = generator.bytes(length)
            let text = Base32.encode(data)
            #expect(text.count == (length * 8 + 4) / 5, "length \(length)")
            #expect(text.allSatisfy { alphabet.contains($0) })
        }
    }

    @Test("random bytes survive encode then decode, also in lower case and grouped")
    func randomRoundTrip() {
        var generator = SeededGenerator(seed: 0x5EED_B32)
        for iteration in 0..<500 {
            let data = generator.bytes(Int.random(in: 0...200, using: &generator))
            let text = Base32.encode(data)
            #expect(Base32.decode(text) == data, "iteration \(iteration)")
            #expect(Base32.decode(text.lowercased()) == data, "iteration \(iteration)")
            // Group in fours with spaces, like authenticator setup screens do.
            var grouped = ""
            for (index, character) in text.enumerated() {
                if index > 0 && index % 4 == 0 { grouped.append(" ") }
                grouped.append(character)
            }
            #expect(Base32.decode(grouped) == data, "iteration \(iteration)")
        }
    }

    @Test("every single-byte value round trips")
    func allSingleBytes() {
        for value in 0...255 {
            let data = [UInt8(value)]
            #expect(Base32.decode(Base32.encode(data)) == data)
        }
    }
}
