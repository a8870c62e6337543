import Testing
@testable import TwoFactorCore

/// `~/.google_authenticator` files (libpam-google-authenticator), for `import --google-authenticator`.
@Suite("GoogleAuthenticatorFile")
struct GoogleAuthenticatorFileTests {
    static let secretText = "JRSWC23ZEBZWKY3SMV2CAMJSGM2DKNRX" // "Leaky secret 1234567"
    static let scratch = ["31415926", "27182818", "00000001"]

    static func file(_ lines: [String]) -> String { lines.joined(separator: "\n") + "\n" }

    /// A file as google-authenticator writes it.
    static let typical = file([
        secretText,
        "\" RATE_LIMIT 3 30 1764456000",
        "\" WINDOW_SIZE 17",
        "\" DISALLOW_REUSE 58815200 58815201",
        "\" TOTP_AUTH",
    ] + scratch)

    static func expectRefused(_ text: String, mentioning fragment: String? = nil,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        do throws(GoogleAuthenticatorFile.ParseError) {
            let parsed = try GoogleAuthenticatorFile.parse(text)
            Issue.record("accepted: \(parsed.scratchCodes.count) codes, period \(parsed.period)", sourceLocation: sourceLocation)
        } catch {
            #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
            #expect(!error.message.contains(String(secretText.prefix(8))), "leaks the secret: \(error.message)",
                    sourceLocation: sourceLocation)
            for code in scratch {
                #expect(!error.message.contains(code), "leaks a scratch code: \(error.message)", sourceLocation: sourceLocation)
            }
            if let fragment {
                #expect(error.message.contains(fragment), "'\(error.message)' should mention '\(fragment)'",
                        sourceLocation: sourceLocation)
            }
        }
    }

    @Test("a typical file")
    func typical() throws {
        let parsed = try GoogleAuthenticatorFile.parse(Self.typical)
        #expect(parsed.secret == Array("Leaky secret 1234567".utf8))
        #expect(parsed.period == 30)
        #expect(parsed.scratchCodes == Self.scratch)
        #expect(parsed.usedSteps == [58_815_200, 58_815_201])
        #expect(parsed.ignoredOptions == ["RATE_LIMIT", "WINDOW_SIZE"])
    }

    @Test("the minimal file: only an 80-bit secret")
    func minimal() throws {
        let parsed = try GoogleAuthenticatorFile.parse("JBSWY3DPEHPK3PXP\n")
        #expect(parsed.secret == Array("Hello!\u{DE}\u{AD}\u{BE}\u{EF}".unicodeScalars.map { UInt8($0.value) }))
        #expect(parsed.scratchCodes.isEmpty)
        #expect(parsed.usedSteps.isEmpty)
        #expect(parsed.ignoredOptions.isEmpty)
        #expect(parsed.period == 30)
        // No final newline, blank lines at the end and between entries are fine.
        #expect(try GoogleAuthenticatorFile.parse("JBSWY3DPEHPK3PXP").secret.count == 10)
        #expect(try GoogleAuthenticatorFile.parse("JBSWY3DPEHPK3PXP\n\n12345678\n\n\n").scratchCodes == ["12345678"])
    }

    @Test("STEP_SIZE sets the period", arguments: [15, 30, 60, 300])
    func stepSize(period: Int) throws {
        let parsed = try GoogleAuthenticatorFile.parse(Self.file([Self.secretText, "\" STEP_SIZE \(period)", "\" TOTP_AUTH"]))
        #expect(parsed.period == period)
    }

    @Test("invalid STEP_SIZE values are refused", arguments: ["14", "301", "0", "-30", "abc", "30 60", "", "99999"])
    func badStepSize(value: String) {
        Self.expectRefused(Self.file([Self.secretText, "\" STEP_SIZE \(value)"]), mentioning: "STEP_SIZE")
    }

    @Test("counter-based (HOTP) files: the counter becomes a HOTP credential's")
    func hotp() throws {
        let parsed = try GoogleAuthenticatorFile.parse(Self.file([Self.secretText, "\" HOTP_COUNTER 17"] + Self.scratch))
        #expect(parsed.hotpCounter == 17)
        #expect(parsed.scratchCodes == Self.scratch)
        let credential = parsed.credential(label: "phone", now: 1_764_456_000)
        #expect(credential.kind == .hotp(counter: 17))
        #expect(credential.secret == parsed.secret && credential.digits == 6 && credential.label == "phone")
        let timeBased = try GoogleAuthenticatorFile.parse(Self.file([Self.secretText, "\" DISALLOW_REUSE 58815200", "\" TOTP_AUTH"]))
        #expect(timeBased.hotpCounter == nil)
        #expect(timeBased.credential(label: "phone", now: 1_764_456_000).kind == .totp(period: 30, lastUsedStep: 58_815_200))
    }

    @Test("a HOTP_COUNTER that is no counter, or with TOTP_AUTH, is refused", arguments: [
        ["\" HOTP_COUNTER"], ["\" HOTP_COUNTER -1"], ["\" HOTP_COUNTER 1 2"], ["\" HOTP_COUNTER x"],
        ["\" HOTP_COUNTER 1", "\" HOTP_COUNTER 2"], ["\" HOTP_COUNTER 99999999999999999999999"],
        ["\" HOTP_COUNTER 1", "\" TOTP_AUTH"],
    ])
    func badHOTPCounter(lines: [String]) {
        Self.expectRefused(Self.file([Self.secretText] + lines), mentioning: lines.last == "\" TOTP_AUTH" ? "both" : "HOTP_COUNTER")
    }

    @Test("DISALLOW_REUSE: empty is fine, invalid steps are refused")
    func disallowReuse() throws {
        #expect(try GoogleAuthenticatorFile.parse(Self.file([Self.secretText, "\" DISALLOW_REUSE"])).usedSteps.isEmpty)
        for value in ["-1", "x", "1.5", "99999999999999999999999"] {
            Self.expectRefused(Self.file([Self.secretText, "\" DISALLOW_REUSE 5 \(value)"]), mentioning: "DISALLOW_REUSE")
        }
    }

    @Test("ignored options are listed once each")
    func ignoredOnce() throws {
        let parsed = try GoogleAuthenticatorFile.parse(Self.file([
            Self.secretText, "\" TIME_SKEW 0", "\" RATE_LIMIT 3 30", "\" TIME_SKEW 1",
        ]))
        #expect(parsed.ignoredOptions == ["TIME_SKEW", "RATE_LIMIT"])
    }

    @Test("every option google-authenticator writes is read; values may be separated by tabs")
    func everyOption() throws {
        let parsed = try GoogleAuthenticatorFile.parse(Self.file([
            Self.secretText, "\" RATE_LIMIT 3 30 1764456000", "\" WINDOW_SIZE\t17", "\" DISALLOW_REUSE 58815200\t58815201",
            "\" STEP_SIZE\t60", "\" TIME_SKEW -2", "\" RESETTING_TIME_SKEW 58815199-2 58815200-2", "\" OTP_DISABLED",
            "\" TOTP_AUTH",
        ] + Self.scratch))
        #expect(parsed.period == 60)
        #expect(parsed.usedSteps == [58_815_200, 58_815_201])
        #expect(parsed.timeSkewSteps == -2)
        #expect(parsed.ignoredOptions == ["RATE_LIMIT", "WINDOW_SIZE", "TIME_SKEW", "RESETTING_TIME_SKEW", "OTP_DISABLED"])
        #expect(parsed.scratchCodes == Self.scratch)
        #expect(try GoogleAuthenticatorFile.parse(Self.typical).timeSkewSteps == 0)
    }

    @Test("the last used step is clamped to the current step")
    func lastUsedStepIsClamped() throws {
        let now: Int64 = 1_764_456_015  // step 58_815_200 at 30 s
        let forged = try GoogleAuthenticatorFile.parse(Self.file([Self.secretText, "\" DISALLOW_REUSE 18446744073709551615"]))
        #expect(forged.usedSteps == [UInt64.max])
        #expect(forged.lastUsedStep(now: now) == 58_815_200)
        let typical = try GoogleAuthenticatorFile.parse(Self.typical)
        #expect(typical.lastUsedStep(now: now) == 58_815_200)
        #expect(typical.lastUsedStep(now: now + 3600) == 58_815_201)
        #expect(try GoogleAuthenticatorFile.parse("JBSWY3DPEHPK3PXP\n").lastUsedStep(now: now) == 0)
        #expect(forged.lastUsedStep(now: -5) == 0)
        var slow = forged
        slow.period = 60
        #expect(slow.lastUsedStep(now: now) == 29_407_600)
    }

    @Test("unknown options are refused, naming them without control characters")
    func unknownOption() {
        Self.expectRefused(Self.file([Self.secretText, "\" NOSKEWADJ"]), mentioning: "NOSKEWADJ")
        do throws(GoogleAuthenticatorFile.ParseError) {
            _ = try GoogleAuthenticatorFile.parse(Self.file([Self.secretText, "\" BAD\u{1B}[2J\u{7}NAME"]))
            Issue.record("accepted an unknown option")
        } catch {
            #expect(!error.message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        }
        Self.expectRefused(Self.file([Self.secretText, "\" "]))
    }

    @Test("a bad first line is refused", arguments: [
        "", "\n", "\n" + secretText, "JBSWY3DPEHPK3PX1", "JBSWY3DP", "GEZDGNBVGY3TQOJ", "\" TOTP_AUTH",
        String(repeating: "A", count: 300), "12345678",
    ])
    func badSecret(first: String) {
        Self.expectRefused(first + "\n" + Self.scratch.joined(separator: "\n"))
    }

    @Test("a secret of 128 bytes is accepted, 129 refused")
    func secretLengths() throws {
        let longest = Base32.encode([UInt8](repeating: 7, count: 128))
        #expect(try GoogleAuthenticatorFile.parse(longest + "\n").secret.count == 128)
        Self.expectRefused(Base32.encode([UInt8](repeating: 7, count: 129)) + "\n")
    }

    @Test("lines that are neither an option nor an 8-digit code are refused", arguments: [
        "1234567", "123456789", "1234567a", "abcdefgh", "\"TOTP_AUTH", "# comment", " 12345678", "12345678 ",
    ])
    func badLines(line: String) {
        Self.expectRefused(Self.file([Self.secretText, "\" TOTP_AUTH", line]), mentioning: "line 3")
    }

    @Test("at most 20 scratch codes")
    func scratchLimit() throws {
        let twenty = (0..<20).map { String(10_000_000 + $0) }
        #expect(try GoogleAuthenticatorFile.parse(Self.file([Self.secretText] + twenty)).scratchCodes == twenty)
        Self.expectRefused(Self.file([Self.secretText] + twenty + ["99999999"]), mentioning: "scratch")
    }

    @Test("more than 64 KiB is refused")
    func sizeLimit() {
        let text = Self.secretText + "\n" + String(repeating: "\n", count: 64 * 1024)
        #expect(text.utf8.count > 64 * 1024)
        Self.expectRefused(text, mentioning: "64 KiB")
    }

    @Test("imported scratch codes work as backup codes of a 6-digit enrollment")
    func scratchCodesAsBackupCodes() throws {
        let parsed = try GoogleAuthenticatorFile.parse(Self.typical)
        let hashes = try #require(BackupCodes.hashes(for: parsed.scratchCodes, secret: parsed.secret, iterations: 1000)).hashes
        #expect(hashes.count == parsed.scratchCodes.count)
        let record = SecretRecord(secret: parsed.secret,
                                  parameters: OTPParameters(algorithm: .sha1, digits: 6, period: parsed.period),
                                  created: 1_764_456_000, backupCodes: hashes)
        let decision = VerificationPolicy.standard.verify(answer: Self.scratch[1], record: record, state: UserState(),
                                                          now: 1_764_456_015)
        #expect(decision.outcome == .acceptedBackup)
    }

    // Regression test: splitting with `String.split(separator: "\n")` works on Characters and
    // "\r\n" is one Character, so a CRLF file was never split into lines and was refused.
    @Test("CRLF line endings are accepted")
    func crlf() throws {
        let text = Self.typical.replacingNewlines(with: "\r\n")
        do throws(GoogleAuthenticatorFile.ParseError) {
            let parsed = try GoogleAuthenticatorFile.parse(text)
            #expect(parsed.scratchCodes == Self.scratch)
            #expect(parsed.secret == Array("Leaky secret 1234567".utf8))
        } catch {
            Issue.record("CRLF file refused: \(error.message)")
        }
    }
}
