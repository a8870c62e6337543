import Testing
@testable import TwoFactorCore

@Suite("otpauth:// URIs (Key Uri Format)")
struct OTPAuthURITests {
    static let secret = RFCSeeds.sha1
    static let secretText = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

    /// The query items of a URI, in order, without decoding.
    static func query(_ uri: String) -> [(String, String)] {
        guard let mark = uri.firstIndex(of: "?") else { return [] }
        return uri[uri.index(after: mark)...].split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
    }

    static func path(_ uri: String) -> String {
        String(uri.prefix { $0 != "?" })
    }

    @Test("standard parameters: exact text, no algorithm, digits or period")
    func standardText() {
        let uri = OTPAuthURI(issuer: "Example", account: "alice", secret: Self.secret, parameters: .standard)
        #expect(uri.text == "otpauth://totp/Example:alice?secret=\(Self.secretText)&issuer=Example")
        let keys = Self.query(uri.text).map(\.0)
        #expect(!keys.contains("algorithm"))
        #expect(!keys.contains("digits"))
        #expect(!keys.contains("period"))
    }

    @Test("the secret is unpadded upper-case base32")
    func secretForm() {
        let uri = OTPAuthURI(issuer: "X", account: "y", secret: Array("f".utf8), parameters: .standard)
        let secret = Self.query(uri.text).first { $0.0 == "secret" }?.1
        #expect(secret == "MY")
    }

    @Test("non-standard parameters are all written")
    func nonStandardText() {
        let parameters = OTPParameters(algorithm: .sha256, digits: 8, period: 60)
        let uri = OTPAuthURI(issuer: "Example", account: "alice", secret: Self.secret, parameters: parameters)
        let items = Self.query(uri.text)
        #expect(items.contains { $0 == ("algorithm", "SHA256") })
        #expect(items.contains { $0 == ("digits", "8") })
        #expect(items.contains { $0 == ("period", "60") })
        #expect(items.contains { $0 == ("secret", Self.secretText) })
        #expect(items.contains { $0 == ("issuer", "Example") })
    }

    @Test("each non-standard parameter alone is written, and only it")
    func singleNonStandard() {
        let sha512 = OTPAuthURI(issuer: "I", account: "a", secret: Self.secret,
                                parameters: OTPParameters(algorithm: .sha512, digits: 6, period: 30))
        #expect(Self.query(sha512.text).map(\.0).sorted() == ["algorithm", "issuer", "secret"])
        let eight = OTPAuthURI(issuer: "I", account: "a", secret: Self.secret,
                               parameters: OTPParameters(algorithm: .sha1, digits: 8, period: 30))
        #expect(Self.query(eight.text).map(\.0).sorted() == ["digits", "issuer", "secret"])
        let slow = OTPAuthURI(issuer: "I", account: "a", secret: Self.secret,
                              parameters: OTPParameters(algorithm: .sha1, digits: 6, period: 300))
        #expect(Self.query(slow.text).map(\.0).sorted() == ["issuer", "period", "secret"])
    }

    @Test("spaces, ':' and other reserved characters are percent-encoded in label and issuer")
    func percentEncoding() {
        let uri = OTPAuthURI(issuer: "ACME Co: HQ", account: "alice smith:admin@example.com",
                             secret: Self.secret, parameters: .standard)
        let text = uri.text
        #expect(Self.path(text) == "otpauth://totp/ACME%20Co%3A%20HQ:alice%20smith%3Aadmin%40example.com")
        #expect(Self.query(text).contains { $0 == ("issuer", "ACME%20Co%3A%20HQ") })
        #expect(!text.contains(" "))
        // Exactly one literal ':' after the scheme: the issuer/account separator.
        #expect(text.dropFirst("otpauth:".count).filter { $0 == ":" }.count == 1)
    }

    @Test("'&', '=', '?', '#', '+', '%' and non-ASCII are encoded; unreserved characters are kept")
    func moreEncoding() {
        #expect(OTPAuthURI.percentEncoded("a&b=c?d#e+f%g") == "a%26b%3Dc%3Fd%23e%2Bf%25g")
        #expect(OTPAuthURI.percentEncoded("Azaz09-._~") == "Azaz09-._~")
        #expect(OTPAuthURI.percentEncoded("é") == "%C3%A9")
        #expect(OTPAuthURI.percentEncoded("/") == "%2F")
    }

    @Test("text then parse gives back the same value",
          arguments: [
            ("Example", "alice"),
            ("ACME Co", "alice smith"),
            ("Example", "alice:admin"),
            ("Ex&am=ple?", "a+b@example.com"),
            ("Société Générale", "jörg"),
            ("", "alice"),
          ])
    func roundTrip(issuer: String, account: String) throws {
        for parameters in [OTPParameters.standard, OTPParameters(algorithm: .sha512, digits: 8, period: 15)] {
            let uri = OTPAuthURI(issuer: issuer, account: account, secret: Self.secret, parameters: parameters)
            let parsed = try #require(OTPAuthURI(parsing: uri.text), "\(uri.text)")
            #expect(parsed == uri, "\(uri.text)")
        }
    }

    // Regression test: the label must be split at the literal ':' before percent-decoding,
    // or an issuer containing ':' (written as %3A) leaks into the account on parsing.
    @Test("an issuer containing ':' survives the round trip")
    func roundTripIssuerWithColon() throws {
        let uri = OTPAuthURI(issuer: "ACME:HQ", account: "alice", secret: Self.secret, parameters: .standard)
        let parsed = try #require(OTPAuthURI(parsing: uri.text), "\(uri.text)")
        #expect(parsed.issuer == "ACME:HQ")
        #expect(parsed.account == "alice", "issuer ':' leaked into the account")
    }

    // Regression test: the Key Uri Format allows the issuer/account separator to be a literal
    // ':' or "%3A"; splitting only at a literal ':' lost the issuer prefix of such labels.
    @Test("an encoded ':' (%3A) is also accepted as the issuer/account separator")
    func encodedSeparator() throws {
        let withIssuer = try #require(OTPAuthURI(parsing:
            "otpauth://totp/ACME%3Ajohn@example.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME"))
        #expect(withIssuer.issuer == "ACME")
        #expect(withIssuer.account == "john@example.com", "%3A separator not recognised")
        let withoutIssuerParameter = try #require(OTPAuthURI(parsing:
            "otpauth://totp/ACME%3A%20john?secret=JBSWY3DPEHPK3PXP"))
        #expect(withoutIssuerParameter.issuer == "ACME", "%3A separator not recognised")
        #expect(withoutIssuerParameter.account == "john", "%3A separator not recognised")
    }

    @Test("random secrets and parameters round trip")
    func randomRoundTrip() throws {
        var generator = SeededGenerator(seed: 0x07A)
        for _ in 0..<100 {
            let secret = generator.bytes(Int.random(in: 1...64, using: &generator))
            let parameters = OTPParameters(algorithm: HashAlgorithm.allCases.randomElement(using: &generator)!,
                                           digits: [6, 8].randomElement(using: &generator)!,
                                           period: Int.random(in: 15...300, using: &generator))
            let uri = OTPAuthURI(issuer: "Host \(secret.count)", account: "user\(secret.first ?? 0)",
                                 secret: secret, parameters: parameters)
            #expect(OTPAuthURI(parsing: uri.text) == uri)
        }
    }

    @Test("parsing URIs written by other tools")
    func parsesForeignURIs() throws {
        // The Google Authenticator wiki example, with an encoded ':' in the label.
        let google = try #require(OTPAuthURI(parsing:
            "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example"))
        #expect(google.issuer == "Example")
        #expect(google.account == "alice@google.com")
        #expect(google.secret == Base32.decode("JBSWY3DPEHPK3PXP"))
        #expect(google.parameters == .standard)

        // No issuer at all: the label is the account.
        let bare = try #require(OTPAuthURI(parsing: "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP"))
        #expect(bare.issuer == "")
        #expect(bare.account == "alice")

        // The issuer parameter wins over the label prefix; a space after ':' is dropped.
        let spaced = try #require(OTPAuthURI(parsing: "otpauth://totp/Big%20Corp:%20bob?issuer=BigCorp&secret=jbswy3dpehpk3pxp"))
        #expect(spaced.issuer == "BigCorp")
        #expect(spaced.account == "bob")
        #expect(spaced.secret == Base32.decode("JBSWY3DPEHPK3PXP"))

        // Parameters in any order and case, '+' for a space, lower-case algorithm with a dash.
        let full = try #require(OTPAuthURI(parsing:
            "OTPAUTH://TOTP/ACME:john+doe?period=60&digits=8&algorithm=sha-256&secret=GEZDGNBVGY3TQOJQ&extra=1"))
        #expect(full.account == "john doe")
        #expect(full.parameters == OTPParameters(algorithm: .sha256, digits: 8, period: 60))
        #expect(full.secret == Array("1234567890".utf8))

        // Padded secret is accepted too.
        let padded = try #require(OTPAuthURI(parsing: "otpauth://totp/a?secret=MZXW6YQ%3D"))
        #expect(padded.secret == Array("foob".utf8))
    }

    @Test("malformed URIs are rejected", arguments: [
        "",
        "otpauth://",
        "otpauth://totp/",
        "https://totp/Example:alice?secret=JBSWY3DPEHPK3PXP",
        "otpauth:/totp/Example:alice?secret=JBSWY3DPEHPK3PXP",
        "otpauth://hotp/Example:alice?secret=JBSWY3DPEHPK3PXP&counter=0",
        "otpauth://totp/Example:alice",
        "otpauth://totp/Example:alice?issuer=Example",
        "otpauth://totp/Example:alice?secret=",
        "otpauth://totp/Example:alice?secret=JBSWY3DP0HPK3PXP",
        "otpauth://totp/Example:alice?secret=A",
        "otpauth://totp/Ex%2:alice?secret=JBSWY3DPEHPK3PXP",
        "otpauth://totp/Ex%ZZample:alice?secret=JBSWY3DPEHPK3PXP",
        "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Ex%",
        "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=%FF",
        "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&digits=9",
        "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&digits=5",
        "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&digits=six",
        "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&digits=00006",
        "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&period=14",
        "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&period=301",
        "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&period=0",
        "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&period=-30",
        "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
        "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&digits",
    ])
    func malformed(text: String) {
        #expect(OTPAuthURI(parsing: text) == nil)
    }

    @Test("overlong URIs are rejected")
    func overlong() {
        let long = "otpauth://totp/" + String(repeating: "a", count: 4096) + "?secret=JBSWY3DPEHPK3PXP"
        #expect(OTPAuthURI(parsing: long) == nil)
        let ok = "otpauth://totp/" + String(repeating: "a", count: 100) + "?secret=JBSWY3DPEHPK3PXP"
        #expect(OTPAuthURI(parsing: ok) != nil)
    }

    @Test("percent-decoding of escapes")
    func percentDecoding() {
        #expect(OTPAuthURI.percentDecoded("a%20b") == "a b")
        #expect(OTPAuthURI.percentDecoded("a+b") == "a b")
        #expect(OTPAuthURI.percentDecoded("%3a%3A") == "::")
        #expect(OTPAuthURI.percentDecoded("%C3%A9") == "é")
        #expect(OTPAuthURI.percentDecoded("%") == nil)
        #expect(OTPAuthURI.percentDecoded("%4") == nil)
        #expect(OTPAuthURI.percentDecoded("%4G") == nil)
        #expect(OTPAuthURI.percentDecoded("%C3") == nil, "invalid UTF-8 is refused")
        #expect(OTPAuthURI.percentDecoded("") == "")
    }
}

extension OTPAuthURITests {
    /// Regression (Fuzz/regressions/otpauth_uri/roundtrip-over-4096): a long non-ASCII label
    /// used to parse, but its re-encoded text was longer than the parser accepts.
    @Test("every URI that parses re-encodes to text that parses again")
    func longLabelsRoundTrip() throws {
        let name = String(repeating: "é", count: OTPAuthURI.maximumNameLength / 2)
        let uri = "otpauth://totp/\(name):\(name)?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=\(name)"
        let parsed = try #require(OTPAuthURI(parsing: uri))
        #expect(OTPAuthURI(parsing: parsed.text) == parsed)
        let tooLong = String(repeating: "é", count: OTPAuthURI.maximumNameLength)
        #expect(OTPAuthURI(parsing: "otpauth://totp/\(tooLong)?secret=JBSWY3DPEHPK3PXP") == nil)
    }
}
