import Testing
@testable import TwoFactorCore

@Suite("Secret file format (SecretRecord)")
struct SecretRecordTests {
    /// A secret whose base32 text is distinctive, so leaks are easy to spot in messages.
    static let secret: [UInt8] = Array("Leaky secret 1234567".utf8)
    static var secretText: String { Base32.encode(secret) }

    /// A hand-written valid file (not produced by `serialized()`).
    static func validText(secret: String = secretText, extra: [String] = [], omit: Set<String> = [],
                          version: String = "1", digits: String = "6", period: String = "30") -> String {
        var lines = ["# swift-2fa secret file", "version \(version)"]
        let body: [(String, String)] = [
            ("secret", secret), ("algorithm", "SHA1"), ("digits", digits), ("period", period), ("created", "1764456000"),
        ]
        for (key, value) in body where !omit.contains(key) { lines.append("\(key) \(value)") }
        lines += extra
        return lines.joined(separator: "\n") + "\n"
    }

    static func backupLine() -> String {
        "backup pbkdf2-sha256$1000$\(String(repeating: "0f", count: 16))$\(String(repeating: "a5", count: 32))"
    }

    /// Expects a refusal whose message names no part of the secret.
    static func expectRefused(_ text: String, mentioning fragment: String? = nil,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        do throws(FileFormatError) {
            _ = try SecretRecord.parse(text)
            Issue.record("accepted: \(text.debugDescription.prefix(200))", sourceLocation: sourceLocation)
        } catch {
            let message = error.description
            #expect(!message.isEmpty, sourceLocation: sourceLocation)
            #expect(!message.contains(secretText), "message leaks the secret: \(message)", sourceLocation: sourceLocation)
            #expect(!message.contains(String(secretText.prefix(8))), "message leaks part of the secret: \(message)",
                    sourceLocation: sourceLocation)
            #expect(!message.lowercased().contains(String(secretText.prefix(8)).lowercased()),
                    "message leaks part of the secret: \(message)", sourceLocation: sourceLocation)
            if let fragment {
                #expect(message.contains(fragment), "message '\(message)' should mention '\(fragment)'",
                        sourceLocation: sourceLocation)
            }
        }
    }

    @Test("a hand-written file parses to the expected record")
    func parsesHandWritten() throws {
        let text = Self.validText(extra: [Self.backupLine(), "", "# comment", "pending_until 1764457000"])
        let record = try SecretRecord.parse(text)
        #expect(record.secret == Self.secret)
        #expect(record.parameters == .standard)
        #expect(record.created == 1_764_456_000)
        #expect(record.pendingUntil == 1_764_457_000)
        #expect(record.backupCodes.count == 1)
        #expect(record.backupCodes.first?.iterations == 1000)
        #expect(record.backupCodes.first?.salt == [UInt8](repeating: 0x0F, count: 16))
        #expect(record.backupCodes.first?.hash == [UInt8](repeating: 0xA5, count: 32))
        #expect(record.totp != nil)
    }

    // Regression test: `String.split(separator: "\n")` works on Characters and "\r\n" is a
    // single Character, so CRLF files used to be read as one line and refused (and a CR LF
    // after a comment swallowed the following lines into the comment).
    @Test("CRLF line endings are accepted")
    func crlf() throws {
        let text = Self.validText(extra: [Self.backupLine()]).replacingNewlines(with: "\r\n")
        #expect(text.utf8.contains(0x0D))
        do throws(FileFormatError) {
            let record = try SecretRecord.parse(text)
            #expect(record.secret == Self.secret)
            #expect(record.backupCodes.count == 1)
        } catch {
            Issue.record("CRLF file refused: \(error)")
        }
        let noComment = "version 1\r\nsecret \(Self.secretText)\r\nalgorithm SHA1\r\ndigits 6\r\nperiod 30\r\ncreated 1\r\n"
        #expect((try? SecretRecord.parse(noComment))?.secret == Self.secret, "CRLF file refused")
    }

    @Test("lower-case base32 and base32 with spaces are accepted")
    func lenientSpelling() throws {
        let lower = Self.validText(secret: Self.secretText.lowercased())
        #expect(try SecretRecord.parse(lower).secret == Self.secret)
        let grouped = Self.validText(secret: "\(Self.secretText.prefix(8)) \(Self.secretText.dropFirst(8))")
        #expect(try SecretRecord.parse(grouped).secret == Self.secret)
    }

    @Test("serialize then parse gives back the record, for every parameter combination")
    func roundTrip() throws {
        let backups = try (0..<3).map { _ in try #require(BackupCodeHash.make(code: "abcde-fghjk", secret: policySecret, iterations: 1000)) }
        var generator = SeededGenerator(seed: 0x5EC)
        for algorithm in HashAlgorithm.allCases {
            for digits in [6, 8] {
                for period in [15, 30, 60, 300] {
                    let secret = generator.bytes(Int.random(in: 10...128, using: &generator))
                    let record = SecretRecord(secret: secret,
                                              parameters: OTPParameters(algorithm: algorithm, digits: digits, period: period),
                                              created: Int64.random(in: 0...4_000_000_000, using: &generator),
                                              backupCodes: Array(backups.prefix(Int.random(in: 0...3, using: &generator))),
                                              pendingUntil: Bool.random(using: &generator) ? 1_800_000_000 : nil)
                    let text = record.serialized()
                    #expect(text.hasSuffix("\n"))
                    #expect(text.contains("version 2\n"))
                    #expect(try SecretRecord.parse(text) == record)
                }
            }
        }
    }

    @Test("the serialized text has the documented lines")
    func serializedLines() throws {
        let backup = try #require(BackupCodeHash.make(code: "12345678", secret: policySecret, iterations: 1000))
        let record = SecretRecord(secret: Self.secret, parameters: OTPParameters(algorithm: .sha512, digits: 8, period: 60),
                                  created: 42, backupCodes: [backup], pendingUntil: 99)
        let lines = record.serialized().split(separator: "\n").map(String.init)
        #expect(lines.contains("version 2"))
        #expect(lines.contains("credential id=1 label=default kind=totp algorithm=SHA512 digits=8 period=60 offset=0 created=42 "
                               + "secret=\(Self.secretText)"))
        #expect(lines.contains("backup_key \(Self.secretText)"), "a one-credential record's backup tags are keyed with its secret")
        #expect(lines.contains("created 42"))
        #expect(lines.contains("pending_until 99"))
        #expect(lines.contains("backup \(backup.serialized)"))
        #expect(lines.first { !$0.hasPrefix("#") } == "version 2")
        let withoutPending = SecretRecord(secret: Self.secret, parameters: .standard, created: 42)
        #expect(!withoutPending.serialized().contains("pending_until"))
        #expect(!withoutPending.serialized().contains("\nbackup "))
    }

    @Test("secret lengths 10 and 128 bytes are accepted")
    func secretLengthEdges() throws {
        for length in [10, 128] {
            let secret = [UInt8](repeating: 0x42, count: length)
            #expect(try SecretRecord.parse(Self.validText(secret: Base32.encode(secret))).secret == secret)
        }
    }

    @Test("empty text is refused")
    func empty() {
        Self.expectRefused("")
        Self.expectRefused("\n\n")
        Self.expectRefused("# only a comment\n")
    }

    @Test("a missing version line is refused")
    func missingVersion() {
        let text = Self.validText().split(separator: "\n").filter { !$0.hasPrefix("version") }.joined(separator: "\n")
        Self.expectRefused(text, mentioning: "version")
    }

    @Test("a version line that is not first is refused")
    func versionNotFirst() {
        Self.expectRefused("secret \(Self.secretText)\nversion 1\nalgorithm SHA1\ndigits 6\nperiod 30\ncreated 1\n")
    }

    @Test("unsupported versions are refused", arguments: ["3", "0", "-1", "01x", "99999", "1.0", "one"])
    func unsupportedVersion(version: String) {
        Self.expectRefused(Self.validText(version: version), mentioning: "version")
    }

    @Test("an unknown key is refused")
    func unknownKey() {
        Self.expectRefused(Self.validText(extra: ["window 3"]), mentioning: "unknown key")
        Self.expectRefused(Self.validText(extra: ["Secret \(Self.secretText)"]))
    }

    @Test("duplicate keys are refused", arguments: ["secret", "algorithm", "digits", "period", "created", "pending_until"])
    func duplicateKey(key: String) {
        let value: String
        switch key {
        case "secret": value = Self.secretText
        case "algorithm": value = "SHA1"
        case "digits": value = "6"
        case "period": value = "30"
        default: value = "1764456000"
        }
        var extra = ["\(key) \(value)"]
        if key == "pending_until" { extra.append("pending_until 1764456001") }
        Self.expectRefused(Self.validText(extra: extra), mentioning: key)
    }

    @Test("a missing required key is refused", arguments: ["secret", "algorithm", "digits", "period", "created"])
    func missingKey(key: String) {
        Self.expectRefused(Self.validText(omit: [key]), mentioning: key)
    }

    @Test("invalid base32 in the secret is refused", arguments: ["JBSWY3DPEHPK3PX1", "JBSWY3DP!HPK3PXP", "JBSWY3DPEHPK3PXPA",
                                                                  "JBSW==Y3DPEHPK3PXP"])
    func invalidBase32(secret: String) {
        Self.expectRefused(Self.validText(secret: secret), mentioning: "secret")
    }

    @Test("a secret shorter than 10 or longer than 128 bytes is refused", arguments: [1, 5, 9, 129, 160])
    func badSecretLength(length: Int) {
        let secret = Base32.encode([UInt8](repeating: 0x42, count: length))
        do throws(FileFormatError) {
            _ = try SecretRecord.parse(Self.validText(secret: secret))
            Issue.record("a \(length)-byte secret was accepted")
        } catch {
            #expect(!error.description.contains(secret))
            #expect(error.description.contains("secret"))
        }
    }

    @Test("an overlong secret value is refused without decoding it")
    func overlongSecretValue() {
        Self.expectRefused(Self.validText(secret: String(repeating: "A", count: 4096)))
        Self.expectRefused(Self.validText(secret: Self.secretText + String(repeating: " ", count: 300)))
    }

    @Test("digits other than 6, 7 or 8 are refused", arguments: ["9", "5", "0", "-6", "06x", "", "10", "99999999999999999999999"])
    func badDigits(digits: String) {
        Self.expectRefused(Self.validText(digits: digits))
    }

    @Test("periods outside 15...300 are refused", arguments: ["14", "301", "0", "-30", "30s", "3600", "99999999999999999999999"])
    func badPeriod(period: String) {
        Self.expectRefused(Self.validText(period: period))
    }

    @Test("an unknown algorithm is refused", arguments: ["MD5", "sha1", "SHA-256", "SHA384", "SHA1 "])
    func badAlgorithm(algorithm: String) {
        let text = Self.validText().replacingLine(startingWith: "algorithm ", with: "algorithm \(algorithm)")
        Self.expectRefused(text)
    }

    @Test("invalid created and pending_until values are refused", arguments: ["-1", "abc", "1.5", "17644560000000", ""])
    func badTimes(value: String) {
        Self.expectRefused(Self.validText().replacingLine(startingWith: "created ", with: "created \(value)"))
        Self.expectRefused(Self.validText(extra: ["pending_until \(value)"]))
    }

    @Test("malformed backup lines are refused", arguments: [
        "backup x",
        "backup pbkdf2-sha256$1000$00$00",
        "backup pbkdf2-sha256$0$\(String(repeating: "00", count: 16))$\(String(repeating: "00", count: 32))",
        "backup plain$12345678",
        "backup 12345678",
    ])
    func badBackupLine(line: String) {
        Self.expectRefused(Self.validText(extra: [line]), mentioning: "backup")
    }

    @Test("at most 20 backup codes")
    func tooManyBackupCodes() throws {
        let twenty = Array(repeating: Self.backupLine(), count: 20)
        #expect(try SecretRecord.parse(Self.validText(extra: twenty)).backupCodes.count == 20)
        Self.expectRefused(Self.validText(extra: twenty + [Self.backupLine()]), mentioning: "backup")
    }

    @Test("binary garbage is refused")
    func binaryGarbage() {
        var generator = SeededGenerator(seed: 0x6A5B)
        for _ in 0..<50 {
            let garbage = generator.bytes(Int.random(in: 1...500, using: &generator))
            Self.expectRefused(String(decoding: garbage, as: UTF8.self))
        }
        Self.expectRefused(String(decoding: [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00], as: UTF8.self))
    }

    @Test("control and non-ASCII characters are refused", arguments: ["\u{0}", "\u{1}", "\t", "\u{1B}", "\u{7F}", "é", "\r"])
    func controlCharacters(character: String) {
        // In the middle of the secret line, and in a line of its own.
        Self.expectRefused(Self.validText(secret: String(Self.secretText.prefix(8)) + character + String(Self.secretText.dropFirst(8))))
        Self.expectRefused(Self.validText(extra: ["created\(character)1"]))
    }

    // Regression test: the refusal used to quote the unknown key, which leaks secret material
    // when the "key" is the first group of a pasted, grouped secret.
    @Test("a pasted, grouped secret on a line of its own is not echoed in the message")
    func groupedSecretNotEchoed() {
        let grouped = stride(from: 0, to: Self.secretText.count, by: 4).map { start -> String in
            let from = Self.secretText.index(Self.secretText.startIndex, offsetBy: start)
            let to = Self.secretText.index(from, offsetBy: 4, limitedBy: Self.secretText.endIndex) ?? Self.secretText.endIndex
            return String(Self.secretText[from..<to])
        }.joined(separator: " ")
        do throws(FileFormatError) {
            _ = try SecretRecord.parse(Self.validText(extra: [grouped]))
            Issue.record("accepted a stray secret line")
        } catch {
            #expect(!error.description.contains(String(Self.secretText.prefix(4))),
                    "message quotes secret material: \(error.description)")
        }
    }

    @Test("lines without a value or with an empty key are refused",
          arguments: ["secretonly", "digits", " leading space", "digits ", "backup "])
    func malformedLines(line: String) {
        Self.expectRefused(Self.validText(extra: [line]))
    }

    @Test("64 KiB is accepted, 64 KiB + 1 byte is refused")
    func sizeLimit() throws {
        let base = Self.validText()
        let limit = 64 * 1024
        // Pad with one long comment line (comments are ignored) to exactly the limit.
        let padding = limit - base.utf8.count - 2
        let atLimit = base + "#" + String(repeating: "x", count: padding) + "\n"
        #expect(atLimit.utf8.count == limit)
        #expect(try SecretRecord.parse(atLimit).secret == Self.secret)
        let overLimit = base + "#" + String(repeating: "x", count: padding + 1) + "\n"
        #expect(overLimit.utf8.count == limit + 1)
        Self.expectRefused(overLimit)
    }

    @Test("too many lines are refused")
    func tooManyLines() {
        let lines = Array(repeating: "#", count: 1000)
        Self.expectRefused(Self.validText(extra: lines), mentioning: "lines")
        Self.expectRefused(Self.validText() + String(repeating: "\n", count: 300), mentioning: "lines")
    }

    // Regression test: the empty piece after the final newline used to count as a line, so a
    // file of exactly 256 newline-terminated lines was refused as too long.
    @Test("a file of exactly 256 newline-terminated lines is accepted")
    func exactlyMaximumLines() throws {
        let base = Self.validText()
        let baseLines = base.split(separator: "\n", omittingEmptySubsequences: true).count
        let text = base + String(repeating: "#\n", count: KeyValueLines.maximumLines - baseLines)
        #expect(text.filter { $0 == "\n" }.count == 256)
        #expect((try? SecretRecord.parse(text))?.secret == Self.secret,
                "256 lines plus the final newline counted as 257")
        // 257 lines must be refused.
        Self.expectRefused(text + "#\n", mentioning: "lines")
    }

    @Test("an imported-size (80-bit) secret and every algorithm parse")
    func algorithms() throws {
        for algorithm in HashAlgorithm.allCases {
            let text = Self.validText().replacingLine(startingWith: "algorithm ", with: "algorithm \(algorithm.rawValue)")
            #expect(try SecretRecord.parse(text).parameters.algorithm == algorithm)
        }
    }
}

extension String {
    func replacingNewlines(with separator: String) -> String {
        split(separator: "\n", omittingEmptySubsequences: false).joined(separator: separator)
    }

    func replacingLine(startingWith prefix: String, with line: String) -> String {
        split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(prefix) ? Substring(line) : $0 }
            .joined(separator: "\n")
    }
}
