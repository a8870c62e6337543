import Testing
@testable import TwoFactorCore

/// Random and mutated input for every parser: nothing may crash, and a few properties
/// must hold whatever the input. Seeds are fixed so a failure can be replayed.
@Suite("Robustness (fuzz-style)")
struct RobustnessTests {
    static let iterations = 2000

    /// Random bytes of length 0...300, as a (lossily decoded) String. Biased towards
    /// ASCII now and then, so more inputs get past the first checks.
    static func randomText(_ generator: inout SeededGenerator, alphabet: [UInt8]? = nil) -> String {
        let length = Int.random(in: 0...300, using: &generator)
        if let alphabet, Bool.random(using: &generator) {
            return String(decoding: (0..<length).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self)
        }
        return String(decoding: generator.bytes(length), as: UTF8.self)
    }

    /// Replaces, inserts or deletes a few random bytes of `text`.
    static func mutate(_ text: String, _ generator: inout SeededGenerator) -> String {
        var bytes = Array(text.utf8)
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            let interesting: [UInt8] = [0x00, 0x0A, 0x0D, 0x20, 0x23, 0x24, 0x2D, 0x30, 0x39, 0x3D, 0x41, 0x61, 0x7F, 0xC3, 0xFF]
            let byte = Bool.random(using: &generator) ? interesting.randomElement(using: &generator)!
                                                      : UInt8.random(in: 0...255, using: &generator)
            switch Int.random(in: 0...2, using: &generator) {
            case 0 where !bytes.isEmpty: bytes[Int.random(in: 0..<bytes.count, using: &generator)] = byte
            case 1: bytes.insert(byte, at: Int.random(in: 0...bytes.count, using: &generator))
            default: if !bytes.isEmpty { bytes.remove(at: Int.random(in: 0..<bytes.count, using: &generator)) }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static let printable: [UInt8] = Array(0x20...0x7E) + [0x0A]

    @Test("SecretRecord.parse: random and mutated text; what parses re-serializes identically")
    func secretRecord() throws {
        var generator = SeededGenerator(seed: 0xF001)
        let backup = try #require(BackupCodeHash.make(code: "abcde-fghjk", secret: policySecret, iterations: 1000))
        let valid = SecretRecord(secret: policySecret, parameters: .standard, created: 1_764_456_000,
                                 backupCodes: [backup], pendingUntil: 1_764_457_000).serialized()
        for index in 0..<Self.iterations {
            let text = index % 2 == 0 ? Self.randomText(&generator, alphabet: Self.printable) : Self.mutate(valid, &generator)
            if let record = try? SecretRecord.parse(text) {
                #expect(SecretRecordTests.isPlausible(record), "iteration \(index)")
                #expect(try SecretRecord.parse(record.serialized()) == record, "iteration \(index)")
            }
        }
    }

    @Test("UserState.parse: random and mutated text; what parses re-serializes identically")
    func userState() throws {
        var generator = SeededGenerator(seed: 0xF002)
        let valid = UserState(lastStep: 58_839_821, failures: 3, throttledUntil: 1_764_456_030, locked: false,
                              usedBackupSalts: [String(repeating: "ab", count: 16)]).serialized()
        for index in 0..<Self.iterations {
            let text = index % 2 == 0 ? Self.randomText(&generator, alphabet: Self.printable) : Self.mutate(valid, &generator)
            if let state = try? UserState.parse(text) {
                #expect(state.failures >= 0 && state.failures <= UserState.maximumFailures)
                #expect(state.throttledUntil >= 0)
                #expect(try UserState.parse(state.serialized()) == state, "iteration \(index)")
            }
        }
    }

    @Test("ModuleOptions.parse: random arguments split on spaces")
    func moduleOptions() {
        var generator = SeededGenerator(seed: 0xF003)
        let names = ModuleOptions.names
        for index in 0..<Self.iterations {
            let text: String
            if index % 2 == 0 {
                text = Self.randomText(&generator, alphabet: Self.printable)
            } else {
                // Real option names with random values.
                text = (0..<Int.random(in: 1...5, using: &generator)).map { _ in
                    names.randomElement(using: &generator)! + Self.mutate("", &generator)
                }.joined(separator: " ")
            }
            let arguments = text.split(separator: " ").map(String.init)
            if let options = try? ModuleOptions.parse(arguments) {
                #expect(options.policy.throttle.maxDelay >= options.policy.throttle.baseDelay)
                #expect(VerificationPolicy.windowRange.contains(options.policy.window))
                if let path = options.secretPath(user: "alice", home: "/home/alice") {
                    #expect(path.hasPrefix("/"), "\(arguments)")
                    #expect(!path.split(separator: "/").contains(".."), "\(arguments)")
                }
            }
        }
    }

    @Test("CombinedAnswer.split: the two parts always rejoin to the answer")
    func combinedAnswer() {
        var generator = SeededGenerator(seed: 0xF004)
        let alphabet = Array("0123456789abcdefghjkmnpqrstuvwxyzABCDE-!é ".utf8)
        for _ in 0..<Self.iterations {
            let text = Self.randomText(&generator, alphabet: alphabet)
            let digits = Int.random(in: -2...10, using: &generator)
            let split = CombinedAnswer.split(text, digits: digits)
            #expect(split.password + split.code == text)
        }
    }

    @Test("OTPAuthURI(parsing:): random text and mutated URIs")
    func otpAuthURI() {
        var generator = SeededGenerator(seed: 0xF005)
        let valid = OTPAuthURI(issuer: "ACME Co", account: "alice@example.com", secret: policySecret,
                               parameters: OTPParameters(algorithm: .sha256, digits: 8, period: 60)).text
        for index in 0..<Self.iterations {
            let text: String
            switch index % 3 {
            case 0: text = Self.randomText(&generator, alphabet: Self.printable)
            case 1: text = "otpauth://totp/" + Self.randomText(&generator, alphabet: Self.printable)
            default: text = Self.mutate(valid, &generator)
            }
            if let uri = OTPAuthURI(parsing: text) {
                #expect(uri.parameters.isValid)
                #expect(!uri.secret.isEmpty)
                _ = uri.text
            }
        }
    }

    @Test("Base32.decode: random text; whatever decodes re-encodes to the same bytes")
    func base32() {
        var generator = SeededGenerator(seed: 0xF006)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcxyz= -018".utf8)
        for _ in 0..<Self.iterations {
            let text = Self.randomText(&generator, alphabet: alphabet)
            if let decoded = Base32.decode(text) {
                #expect(Base32.decode(Base32.encode(decoded)) == decoded)
            }
        }
    }

    @Test("BackupCodes.normalize: random text; results are canonical")
    func normalize() {
        var generator = SeededGenerator(seed: 0xF007)
        let alphabet = Array("abcdefghjkXYZ0189 -\t_".utf8)
        var normalizedSome = false
        for _ in 0..<Self.iterations {
            let length = Int.random(in: 0...20, using: &generator)
            let text = Bool.random(using: &generator)
                ? Self.randomText(&generator)
                : String(decoding: (0..<length).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self)
            if let normalized = BackupCodes.normalize(text) {
                normalizedSome = true
                #expect(BackupCodes.allowedLengths.contains(normalized.count))
                #expect(normalized.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) })
                #expect(BackupCodes.normalize(normalized) == normalized)
            }
        }
        #expect(normalizedSome, "the generator never produced a plausible code; the test is not testing")
    }

    @Test("VerificationPolicy.verify: random answers and states")
    func verify() throws {
        var generator = SeededGenerator(seed: 0xF008)
        let hashes = try ["abcde-fghjk", "12345678"].map { try #require(BackupCodeHash.make(code: $0, secret: policySecret, iterations: 1000)) }
        let records = [makeRecord(digits: 6, backupCodes: hashes), makeRecord(digits: 8, period: 60, algorithm: .sha512)]
        var policy = VerificationPolicy.standard
        policy.dummyHashIterations = 1000
        let alphabet = Array("0123456789abcdefghjk- \t\n".utf8)
        for index in 0..<Self.iterations {
            let record = records[index % records.count]
            let now = Int64.random(in: -100...4_000_000_000, using: &generator)
            let state = UserState(lastStep: UInt64.random(in: 0...200_000_000, using: &generator),
                                  failures: Int.random(in: 0...120, using: &generator),
                                  throttledUntil: Bool.random(using: &generator) ? 0 : now + Int64.random(in: -50...50, using: &generator),
                                  locked: Int.random(in: 0..<10, using: &generator) == 0, usedBackupSalts: [],
                                  backupFailures: Int.random(in: 0...4, using: &generator))
            let answer = Self.randomText(&generator, alphabet: alphabet)
            let decision = policy.verify(answer: answer, record: record, state: state, now: now)
            // One slow hash for a backup-shaped answer, none otherwise, whatever the outcome.
            let backupShaped = BackupCodes.normalize(VerificationPolicy.trimmed(answer)) != nil
            #expect(decision.work.slowHashes == (backupShaped ? 1 : 0), "iteration \(index)")
            if !decision.stateChanged {
                // Nothing to write: either the stored state itself or its deterministic rebinding.
                #expect(decision.state == state || decision.state == state.bound(to: record))
            }
            switch decision.outcome {
            case .locked:
                #expect(state.locked)
            case .throttled(let until):
                #expect(until == state.throttledUntil && now < until)
            case .rejected where now < state.throttledUntil:
                // A wrong backup code during a back-off: a backup try, not a failure.
                #expect(decision.state.failures == state.failures)
                #expect(decision.state.backupFailures == state.backupFailures + 1)
                #expect(state.backupFailures < policy.throttle.throttleAfter)
            case .rejected, .replayed:
                #expect(now >= state.throttledUntil)
                #expect(decision.state.failures == state.failures + 1)
                #expect(decision.state.backupFailures == 0)
            case .acceptedCode, .acceptedBackup:
                #expect(decision.state.failures == 0)
            }
        }
    }

    @Test("GoogleAuthenticatorFile.parse: random and mutated files; messages never quote the secret")
    func googleAuthenticatorFile() {
        var generator = SeededGenerator(seed: 0xF00A)
        let secret = "JRSWC23ZEBZWKY3SMV2CAMJSGM2DKNRX"
        let valid = secret + "\n\" RATE_LIMIT 3 30 1764456000\n\" WINDOW_SIZE 17\n\" DISALLOW_REUSE 58815200\n"
            + "\" TOTP_AUTH\n31415926\n27182818\n"
        for index in 0..<Self.iterations {
            let text = index % 2 == 0 ? Self.randomText(&generator, alphabet: Self.printable) : Self.mutate(valid, &generator)
            do throws(GoogleAuthenticatorFile.ParseError) {
                let parsed = try GoogleAuthenticatorFile.parse(text)
                #expect(Credential.allowedSecretLengths.contains(parsed.secret.count))
                #expect(OTPParameters.allowedPeriods.contains(parsed.period))
                #expect(parsed.scratchCodes.count <= SecretRecord.maximumBackupCodes)
                #expect(parsed.scratchCodes.allSatisfy { BackupCodes.normalize($0) == $0 })
            } catch {
                #expect(!error.message.contains(secret.prefix(8)), "iteration \(index): \(error.message)")
            }
        }
    }

    @Test("other small parsers: Hex, BackupCodeHash, UserName, HashAlgorithm")
    func smallParsers() {
        var generator = SeededGenerator(seed: 0xF009)
        for _ in 0..<Self.iterations {
            let text = Self.randomText(&generator, alphabet: Array("0123456789abcdefABCDEFpbkdf2-sha256$/.".utf8))
            if let decoded = Hex.decode(Substring(text)) { #expect(decoded.count * 2 == text.utf8.count) }
            if let hash = BackupCodeHash(serialized: Substring(text)) {
                #expect(BackupCodeHash(serialized: Substring(hash.serialized)) == hash)
            }
            if UserName.isSafe(text) {
                #expect(!text.utf8.contains(UInt8(ascii: "/")))
                #expect(text != "." && text != ".." && !text.isEmpty)
            }
            _ = HashAlgorithm(name: text)
        }
    }
}

extension SecretRecordTests {
    /// What any successfully parsed record must satisfy.
    static func isPlausible(_ record: SecretRecord) -> Bool {
        record.parameters.isValid
            && Credential.allowedSecretLengths.contains(record.secret.count)
            && record.backupCodes.count <= SecretRecord.maximumBackupCodes
            && record.created >= 0
            && record.totp != nil
    }
}
