import Foundation
import TestSupport
import Testing
@testable import TwoFactorCore

/// PSKC files (`import --pskc`): files written by python-pskc (Tests/Fixtures/pskc/generate.py,
/// an independent implementation) and RFC 6030's own examples.
@Suite("PSKCFile")
struct PSKCFileTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pskc")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    /// What generate.py put into every file (its expected.json).
    struct Expected: Decodable {
        struct Key: Decodable {
            let id: String
            let serial: String?
            let algorithm: String
            let suite: String
            let secret: String
            let counter: UInt64?
            let period: Int?
            let drift: Int?
            let digits: Int
        }
        let pre_shared_key_128: String
        let pre_shared_key_256: String
        let password: String
        let files: [String]
        let keys: [Key]
    }

    static func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(try text("expected.json").utf8))
    }

    /// The key material each generated file needs, from expected.json.
    static func material(for file: String, _ expected: Expected) -> PSKCFile.KeyMaterial {
        if file.hasPrefix("pbkdf2") { return .password(Array(expected.password.utf8)) }
        if file.hasPrefix("psk-aes128") { return .key(bytes(hex: expected.pre_shared_key_128)) }
        if file.hasPrefix("psk-") { return .key(bytes(hex: expected.pre_shared_key_256)) }
        return .none
    }

    static func parseError(_ text: String, _ material: PSKCFile.KeyMaterial,
                           limits: PSKCFile.Limits = .standard) -> String? {
        do throws(PSKCFile.ParseError) {
            _ = try PSKCFile.parse(text, keyMaterial: material, limits: limits)
            return nil
        } catch {
            return error.message
        }
    }

    static let generatedFiles = [
        "pbkdf2-sha1-aes128.pskcxml", "pbkdf2-sha256-aes256.pskcxml", "pbkdf2-sha512-kw-aes128-hmac-sha512.pskcxml",
        "plain.pskcxml", "psk-aes128-hmac-sha1.pskcxml", "psk-aes256-hmac-sha256.pskcxml", "psk-kw-aes256.pskcxml",
    ]

    @Test("the tests cover every file generate.py writes")
    func everyFile() throws {
        #expect(try Self.expected().files == Self.generatedFiles)
    }

    @Test("every generated file gives back the keys python-pskc was given", arguments: generatedFiles)
    func generatedFile(name: String) throws {
        let expected = try Self.expected()
        let file = try PSKCFile.parse(try Self.text(name), keyMaterial: Self.material(for: name, expected))
        #expect(file.entries.count == expected.keys.count)
        for (entry, key) in zip(file.entries, expected.keys) {
            #expect(entry.keyID == key.id)
            #expect(entry.serialNumber == key.serial)
            #expect(entry.credential.label == key.serial ?? key.id)
            #expect(hexString(entry.credential.secret) == key.secret)
            #expect(entry.credential.digits == key.digits)
            #expect("HMAC-" + entry.credential.algorithm.rawValue == key.suite)
            switch entry.credential.kind {
            case .hotp(let counter):
                #expect(key.algorithm == "hotp")
                #expect(counter == key.counter ?? 0)
            case .totp(let period, let lastUsedStep):
                #expect(key.algorithm == "totp")
                #expect(period == key.period)
                #expect(lastUsedStep == nil)
            }
        }
        // The one key with a drift is reported; the others are not.
        let drifting = expected.keys.filter { ($0.drift ?? 0) != 0 }.map(\.id)
        #expect(file.findings.count == drifting.count)
        for (finding, id) in zip(file.findings, drifting) {
            #expect(finding.contains("Key \"\(id)\"") && finding.contains("drift of -2"))
        }
    }

    @Test("the protection each file announces")
    func protection() throws {
        #expect(try PSKCFile.protection(try Self.text("plain.pskcxml")) == .plain)
        #expect(try PSKCFile.protection(try Self.text("psk-aes128-hmac-sha1.pskcxml")) == .preSharedKey(name: "Pre-shared-key"))
        #expect(try PSKCFile.protection(try Self.text("pbkdf2-sha1-aes128.pskcxml")) == .password(name: "My Password 1"))
        #expect(try PSKCFile.protection(try Self.text("rfc6030-figure7.pskcxml")) == .password(name: "My Password 1"))
    }

    @Test("RFC 6030 figure 5: AES-128-CBC under a pre-shared key, HMAC-SHA1")
    func rfcFigure5() throws {
        let file = try PSKCFile.parse(try Self.text("rfc6030-figure5.pskcxml"),
                                      keyMaterial: .key(bytes(hex: "12345678901234567890123456789012")))
        #expect(file.entries.count == 1)
        let entry = try #require(file.entries.first)
        #expect(entry.keyID == "12345678" && entry.serialNumber == "987654321" && entry.manufacturer == "Manufacturer")
        #expect(entry.credential == ImportedCredential(label: "987654321", kind: .hotp(counter: 0), algorithm: .sha1,
                                                       digits: 8, secret: Array("12345678901234567890".utf8)))
    }

    @Test("RFC 6030 figure 7: a PBKDF2-derived key (password qwerty)")
    func rfcFigure7() throws {
        let file = try PSKCFile.parse(try Self.text("rfc6030-figure7.pskcxml"), keyMaterial: .password(Array("qwerty".utf8)))
        #expect(file.entries.map(\.credential.secret) == [Array("12345678901234567890".utf8)])
        #expect(file.entries.map(\.keyID) == ["123456"])
    }

    @Test("a wrong key or password, or none, is refused with the element named")
    func wrongKeys() throws {
        let figure5 = try Self.text("rfc6030-figure5.pskcxml")
        let wrongKey = try #require(Self.parseError(figure5, .key(bytes(hex: "12345678901234567890123456789013"))))
        #expect(wrongKey.hasPrefix("MACMethod: MACKey: cannot decrypt") || wrongKey.hasSuffix("Secret: wrong MAC "
                + "(a wrong key or password, or a damaged file)"), "\(wrongKey)")
        #expect(Self.parseError(figure5, .none) == "EncryptionKey: the file is encrypted with a pre-shared key; give the key")
        #expect(Self.parseError(figure5, .password(Array("12345678901234567890123456789012".utf8)))
                == "EncryptionKey: the file is encrypted with a pre-shared key; give the key")
        #expect(Self.parseError(figure5, .key(bytes(hex: "1234567890123456789012345678901234567890123456789012345678901234")))
                == "MACMethod: MACKey: the key is 32 bytes; aes128-cbc needs 16")
        let figure7 = try Self.text("rfc6030-figure7.pskcxml")
        #expect(Self.parseError(figure7, .key([1, 2, 3])) == "EncryptionKey: the file is encrypted with a password (PBKDF2); give the password")
        let wrongPassword = try #require(Self.parseError(figure7, .password(Array("qwertz".utf8))))
        #expect(wrongPassword.hasPrefix("MACMethod: MACKey: cannot decrypt") || wrongPassword.contains("wrong MAC"))
    }

    @Test("a changed MAC or cipher value is a wrong MAC of that key's Secret")
    func tampering() throws {
        let figure5 = try Self.text("rfc6030-figure5.pskcxml")
        let key = PSKCFile.KeyMaterial.key(bytes(hex: "12345678901234567890123456789012"))
        let wrongMAC = "KeyPackage 1: Key \"12345678\": Secret: wrong MAC (a wrong key or password, or a damaged file)"
        #expect(Self.parseError(figure5.replacingOccurrences(of: "Su+NvtQfmvfJzF6bmQiJqoLRExc=",
                                                             with: "Tu+NvtQfmvfJzF6bmQiJqoLRExc="), key) == wrongMAC)
        #expect(Self.parseError(figure5.replacingOccurrences(of: "AAECAwQFBgcICQoLDA0OD+cI",
                                                             with: "AAECAwQFBgcICQoLDA0OD+cJ"), key) == wrongMAC)
        // A ValueMAC taken away is refused too: CBC alone cannot tell a wrong key.
        let noMAC = figure5.replacingOccurrences(of: "<ValueMAC>Su+NvtQfmvfJzF6bmQiJqoLRExc=\n                    </ValueMAC>",
                                                 with: "")
        #expect(Self.parseError(noMAC, key) == "KeyPackage 1: Key \"12345678\": Secret: no ValueMAC")
    }

    @Test("key wrap: a wrong key or a changed value fails the unwrap's own check")
    func keyWrap() throws {
        let text = try Self.text("psk-kw-aes256.pskcxml")
        let expected = try Self.expected()
        let unwrapFailed = "KeyPackage 1: Key \"hotp-1\": Secret: cannot unwrap (a wrong key or password, or a damaged file)"
        var wrongKey = bytes(hex: expected.pre_shared_key_256)
        wrongKey[31] ^= 1
        #expect(Self.parseError(text, .key(wrongKey)) == unwrapFailed)
        let secretValue = try #require(text.components(separatedBy: "<xenc:CipherValue>").dropFirst(2).first?
            .components(separatedBy: "</xenc:CipherValue>").first)
        var changed = Array(secretValue)
        changed[5] = changed[5] == "A" ? "B" : "A"
        #expect(Self.parseError(text.replacingOccurrences(of: secretValue, with: String(changed)),
                                .key(bytes(hex: expected.pre_shared_key_256))) == unwrapFailed)
    }

    @Test("keys the model cannot hold are refused, naming the key package")
    func unsupportedKeys() throws {
        func plain(_ key: String) -> String {
            """
            <?xml version="1.0"?>
            <KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
            <KeyPackage><Key Id="ok" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
            <AlgorithmParameters><ResponseFormat Length="6"/></AlgorithmParameters>
            <Data><Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret></Data></Key></KeyPackage>
            <KeyPackage>\(key)</KeyPackage>
            </KeyContainer>
            """
        }
        let secret = "<Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret>"
        let totp = #"<Key Id="t" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">"#
        let cases: [(String, String)] = [
            (#"<Key Id="k" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:ocra"><Data>\#(secret)</Data></Key>"#,
             #"Key "k": the algorithm "urn:ietf:params:xml:ns:keyprov:pskc:ocra" is not the HOTP or TOTP profile"#),
            (totp + #"<AlgorithmParameters><ResponseFormat Length="9"/></AlgorithmParameters><Data>\#(secret)</Data></Key>"#,
             #"Key "t": AlgorithmParameters: no ResponseFormat Length of 6, 7 or 8"#),
            (totp + #"<AlgorithmParameters><ResponseFormat Length="6" Encoding="HEXADECIMAL"/></AlgorithmParameters><Data>\#(secret)</Data></Key>"#,
             #"Key "t": ResponseFormat: the Encoding is not DECIMAL"#),
            (totp + #"<AlgorithmParameters><ResponseFormat Length="6"/></AlgorithmParameters><Data>\#(secret)<Time><PlainValue>5</PlainValue></Time></Data></Key>"#,
             #"Key "t": Time: codes counted from a start other than 0 are not supported"#),
            (totp + #"<AlgorithmParameters><ResponseFormat Length="6"/></AlgorithmParameters><Data>\#(secret)<TimeInterval><PlainValue>5</PlainValue></TimeInterval></Data></Key>"#,
             #"Key "t": TimeInterval: not from 15 to 300 seconds"#),
            (totp + #"<AlgorithmParameters><Suite>HMAC-MD5</Suite><ResponseFormat Length="6"/></AlgorithmParameters><Data>\#(secret)</Data></Key>"#,
             #"Key "t": Suite "HMAC-MD5" is not HMAC-SHA1, HMAC-SHA256 or HMAC-SHA512"#),
            (totp + #"<AlgorithmParameters><ResponseFormat Length="6"/></AlgorithmParameters><Data><Secret><PlainValue>MTIz</PlainValue></Secret></Data></Key>"#,
             #"Key "t": Secret: 3 bytes; swift-2fa needs 10 to 128"#),
            (totp + #"<AlgorithmParameters><ResponseFormat Length="6"/></AlgorithmParameters><Data><Secret><PlainValue>MTIz=</PlainValue></Secret></Data></Key>"#,
             #"Key "t": Secret: PlainValue is not base64"#),
            (totp + #"<AlgorithmParameters><ResponseFormat Length="6"/></AlgorithmParameters><Data><Secret><EncryptedValue/></Secret></Data></Key>"#,
             #"Key "t": Secret: an EncryptedValue in a file without an EncryptionKey"#),
            (#"<Key Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp"/>"#, "a Key without an Id"),
            ("", "not exactly one Key"),
        ]
        for (key, message) in cases {
            #expect(Self.parseError(plain(key), .none) == "KeyPackage 2: " + message)
        }
        let pinPolicy = totp + #"<AlgorithmParameters><ResponseFormat Length="6"/></AlgorithmParameters><Data>\#(secret)</Data><Policy><PINPolicy MinLength="4"/></Policy></Key>"#
        #expect(try PSKCFile.parse(plain(pinPolicy), keyMaterial: .none).findings
                == [#"KeyPackage 2: Key "t": its PIN policy is not carried over (swift-2fa has no PINs)"#])
    }

    @Test("limits: size, depth, keys, PBKDF2 iterations")
    func limits() throws {
        let figure7 = try Self.text("rfc6030-figure7.pskcxml")
        var small = PSKCFile.Limits.standard
        small.maximumIterations = 999
        #expect(Self.parseError(figure7, .password(Array("qwerty".utf8)), limits: small)
                == "EncryptionKey: PBKDF2-params: IterationCount is not from 1 to 999")
        small = .standard
        small.maximumKeys = 4
        #expect(Self.parseError(try Self.text("plain.pskcxml"), .none, limits: small) == nil)
        small.maximumKeys = 3
        #expect(Self.parseError(try Self.text("plain.pskcxml"), .none, limits: small) == "the file has more than 3 KeyPackages")
        small = .standard
        small.xml.maximumDepth = 5
        #expect(Self.parseError(try Self.text("plain.pskcxml"), .none, limits: small)?.hasSuffix("elements nested deeper than 5") == true)
        small.xml.maximumSize = 100
        #expect(Self.parseError(try Self.text("plain.pskcxml"), .none, limits: small) == "XML line 1: the document is larger than 100 bytes")
    }

    @Test("codes of the imported keys match oathtool's", .requires("/usr/bin/oathtool", package: "oathtool"))
    func codesMatchOathtool() throws {
        let expected = try Self.expected()
        let file = try PSKCFile.parse(try Self.text("pbkdf2-sha256-aes256.pskcxml"), keyMaterial: .password(Array(expected.password.utf8)))
        let time: Int64 = 1_796_622_639
        for entry in file.entries {
            let key = entry.credential
            let arguments: [String]
            let ours: String?
            switch key.kind {
            case .hotp(let counter):
                arguments = ["--hotp", "-c", String(counter)]
                ours = HOTP.code(secret: key.secret, counter: counter, digits: key.digits, algorithm: key.algorithm)
            case .totp(let period, _):
                arguments = ["--totp=\(key.algorithm.rawValue.lowercased())",
                             "-s", "\(period)s", "-N", "@\(time)"]
                ours = HOTP.code(secret: key.secret, counter: UInt64(time) / UInt64(period), digits: key.digits,
                                 algorithm: key.algorithm)
            }
            // HOTP with SHA-512 is not something oathtool computes (its --hotp is SHA-1 only).
            if case .hotp = key.kind, key.algorithm != .sha1 { continue }
            let run = try Program.run("/usr/bin/oathtool", arguments + ["-d", String(key.digits), hexString(key.secret)])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(ours == run.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "\(entry.keyID)")
        }
    }

    @Test("the committed files are what generate.py writes (python3-pskc)",
          .enabled(if: FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/pskc/__init__.py"),
                   "needs python-pskc (Debian package python3-pskc)"))
    func regenerated() throws {
        let scratch = try TemporaryDirectory("s2fa-pskc")
        let run = try Program.run("/usr/bin/python3", [Self.directory.appendingPathComponent("generate.py").path, scratch.path])
        #expect(run.status == 0, "\(run.stderr)")
        for name in try Self.expected().files + ["expected.json"] {
            let fresh = try String(contentsOfFile: scratch.file(name), encoding: .utf8)
            #expect(fresh == (try Self.text(name)), "\(name) differs from a fresh run")
        }
    }
}
