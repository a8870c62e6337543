import Testing
@testable import TwoFactorCore

/// Several credentials per user: the version 2 secret file, HOTP, per-credential replay,
/// equal cost whatever the credentials, drift findings and resync.
@Suite("Credentials")
struct CredentialTests {
    static let now: Int64 = 1_764_456_015
    /// RFC 4226 appendix D: the secret and the codes of counters 0 to 9.
    static let rfcSecret = Array("12345678901234567890".utf8)
    static let rfcCodes = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]

    static func totp(id: Int, label: String, secret: [UInt8] = policySecret, digits: Int = 6,
                     algorithm: HashAlgorithm = .sha1, offset: Int = 0) -> Credential {
        Credential(id: id, label: label, kind: .totp(period: 30, offset: offset), algorithm: algorithm, digits: digits,
                   secret: secret, created: 1_700_000_000)
    }

    static func hotp(id: Int, label: String, counter: UInt64 = 0) -> Credential {
        Credential(id: id, label: label, kind: .hotp(counter: counter), algorithm: .sha1, digits: 6, secret: rfcSecret,
                   created: 1_700_000_000)
    }

    static func record(_ credentials: [Credential]) -> SecretRecord {
        SecretRecord(credentials: credentials, created: 1_700_000_000, backupKey: policySecret)
    }

    static func code(_ credential: Credential, stepsFromNow: Int64 = 0) -> String {
        credential.code(forCounter: UInt64(now / 30 + stepsFromNow)) ?? ""
    }

    // MARK: the file

    @Test("a version 2 file with a TOTP and a HOTP credential round-trips, and its lines are as documented")
    func versionTwoRoundTrip() throws {
        var record = Self.record([Self.totp(id: 1, label: "phone", digits: 7, algorithm: .sha256, offset: -2),
                                  Self.hotp(id: 3, label: "yubikey-5", counter: 17)])
        record.pendingUntil = 1_800_000_000
        record.addsToEnrollment = true
        let text = record.serialized()
        #expect(text.contains("\ncredential id=3 label=yubikey-5 kind=hotp algorithm=SHA1 digits=6 counter=17 created=1700000000 "
                              + "secret=\(Base32.encode(Self.rfcSecret))\n"))
        #expect(text.contains("kind=totp algorithm=SHA256 digits=7 period=30 offset=-2"))
        #expect(try SecretRecord.parse(text) == record)
        #expect(record.nextCredentialID == 4)
        #expect(record.credential(named: "3")?.label == "yubikey-5" && record.credential(named: "phone")?.id == 1)
    }

    @Test("malformed credential lines are refused without quoting the secret", arguments: [
        "credential id=1 label=a kind=totp algorithm=SHA1 digits=6 period=30 offset=0 created=1",
        "credential id=1 label=a kind=totp algorithm=SHA1 digits=6 period=30 offset=11 created=1 secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        "credential id=1 label=a kind=totp algorithm=SHA1 digits=9 period=30 offset=0 created=1 secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        "credential id=1 label=-a kind=hotp algorithm=SHA1 digits=6 counter=0 created=1 secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        "credential id=1 label=a kind=sotp algorithm=SHA1 digits=6 counter=0 created=1 secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        "credential id=1 label=a kind=hotp algorithm=SHA1 digits=6 counter=0 period=30 created=1 secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        "credential id=1 label=a kind=hotp algorithm=SHA1 digits=6 counter=-1 created=1 secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        "credential id=0 label=a kind=hotp algorithm=SHA1 digits=6 counter=0 created=1 secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        "credential id=1 id=2 label=a kind=hotp algorithm=SHA1 digits=6 counter=0 created=1 secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
    ])
    func malformedLine(line: String) {
        let text = "version 2\ncreated 1\nbackup_key GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\(line)\n"
        #expect(throws: FileFormatError.self) { try SecretRecord.parse(text) }
        do { _ = try SecretRecord.parse(text) } catch { #expect(!error.description.contains("GEZDGNBV")) }
    }

    @Test("repeated ids or labels, no credential, or more than 8 are refused")
    func credentialCounts() {
        let line = { (id: Int, label: String) in
            "credential id=\(id) label=\(label) kind=hotp algorithm=SHA1 digits=6 counter=0 created=1 secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        }
        let head = "version 2\ncreated 1\nbackup_key GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n"
        #expect(throws: FileFormatError.self) { try SecretRecord.parse(head) }
        #expect(throws: FileFormatError.self) { try SecretRecord.parse(head + line(1, "a") + "\n" + line(1, "b") + "\n") }
        #expect(throws: FileFormatError.self) { try SecretRecord.parse(head + line(1, "a") + "\n" + line(2, "a") + "\n") }
        let eight = (1...8).map { line($0, "t\($0)") }.joined(separator: "\n") + "\n"
        #expect((try? SecretRecord.parse(head + eight))?.credentials.count == 8)
        #expect(throws: FileFormatError.self) { try SecretRecord.parse(head + eight + line(9, "t9") + "\n") }
    }

    @Test("a version 1 file and its state carry over: the last used step stays used after the upgrade")
    func versionOneUpgrade() throws {
        let step = UInt64(Self.now / 30)
        let v1 = "version 1\nsecret \(Base32.encode(policySecret))\nalgorithm SHA1\ndigits 6\nperiod 30\ncreated 1700000000\n"
        let record = try SecretRecord.parse(v1)
        #expect(record.credentials.count == 1 && record.credentials[0].label == "default" && record.backupKey == policySecret)
        let fingerprint = record.credentials[0].fingerprint
        let oldState = try UserState.parse("version 1\nlast_step \(step)\nfailures 1\nthrottled_until 0\nlocked 0\nenrollment \(fingerprint)\n")
        let replay = VerificationPolicy.standard.verify(answer: Self.code(record.credentials[0]), record: record, state: oldState,
                                                        now: Self.now)
        #expect(replay.outcome == .replayed)
        // Written back as version 2, both read back the same.
        #expect(try SecretRecord.parse(record.serialized()) == record)
        #expect(try UserState.parse(replay.state.serialized()) == replay.state)
        let next = VerificationPolicy.standard.verify(answer: Self.code(record.credentials[0], stepsFromNow: 1), record: record,
                                                      state: try UserState.parse(replay.state.serialized()), now: Self.now)
        #expect(next.outcome == .acceptedTOTP(step: step + 1))
        // A version 1 state without the enrollment line belongs to the first credential.
        let legacy = try UserState.parse("version 1\nlast_step \(step)\nfailures 0\nthrottled_until 0\nlocked 0\n")
        #expect(VerificationPolicy.standard.verify(answer: Self.code(record.credentials[0]), record: record, state: legacy,
                                                   now: Self.now).outcome == .replayed)
        #expect(try UserState.parse(legacy.serialized()) == legacy, "written before a login binds it: credential - N -")
    }

    // MARK: verification

    @Test("a code of any credential logs in, named in the outcome; replay is per credential")
    func perCredentialReplay() throws {
        let phone = Self.totp(id: 1, label: "phone")
        let second = Self.totp(id: 2, label: "tablet", secret: Array("another-test-secret!".utf8))
        let record = Self.record([phone, second])
        let policy = VerificationPolicy.standard
        let step = UInt64(Self.now / 30)
        let first = policy.verify(answer: Self.code(second), record: record, state: UserState(), now: Self.now)
        #expect(first.outcome == .acceptedCode(CodeMatch(credentialID: 2, label: "tablet", isHOTP: false, counter: step)))
        // The tablet's step is used; the phone's same step is not.
        let replay = policy.verify(answer: Self.code(second), record: record, state: first.state, now: Self.now)
        #expect(replay.outcome == .replayed)
        let phoneLogin = policy.verify(answer: Self.code(phone), record: record, state: replay.state, now: Self.now)
        #expect(phoneLogin.outcome.acceptedStep == step)
        #expect(phoneLogin.state.state(of: phone).lastUsed == Self.now && phoneLogin.state.state(of: second).lastCounter == step)
    }

    @Test("a 7-digit SHA-256 credential beside a 6-digit one: each answer length is checked against its own")
    func sevenDigits() {
        let seven = Self.totp(id: 1, label: "seven", digits: 7, algorithm: .sha256)
        let six = Self.totp(id: 2, label: "six", secret: Array("another-test-secret!".utf8))
        let record = Self.record([seven, six])
        let code = Self.code(seven)
        #expect(code.count == 7)
        #expect(VerificationPolicy.standard.verify(answer: code, record: record, state: UserState(), now: Self.now)
                .outcome.acceptedStep == UInt64(Self.now / 30))
        #expect(VerificationPolicy.standard.verify(answer: String(code.dropFirst()), record: record, state: UserState(),
                                                   now: Self.now).outcome == .rejected)
    }

    @Test("HOTP: the next counter and 10 after it are accepted, the counter moves past, beyond the window is refused")
    func hotpWindow() {
        let token = Self.hotp(id: 1, label: "token")
        let record = Self.record([token])
        let policy = VerificationPolicy.standard
        let beyond = policy.verify(answer: Self.rfcCodes[9], record: Self.record([Self.hotp(id: 1, label: "token", counter: 0)]),
                                   state: UserState(), now: Self.now)
        #expect(beyond.outcome.acceptedStep == 9, "9 is within 0...10")
        var narrow = policy
        narrow.hotpWindow = 3
        #expect(narrow.verify(answer: Self.rfcCodes[4], record: record, state: UserState(), now: Self.now).outcome == .rejected)
        let accepted = policy.verify(answer: Self.rfcCodes[2], record: record, state: UserState(), now: Self.now)
        #expect(accepted.outcome == .acceptedCode(CodeMatch(credentialID: 1, label: "token", isHOTP: true, counter: 2)))
        #expect(accepted.outcome.logName == "accepted-hotp")
        // Counters up to 2 are used now: 1 and 2 are refused, 3 is accepted.
        #expect(policy.verify(answer: Self.rfcCodes[2], record: record, state: accepted.state, now: Self.now).outcome == .rejected)
        #expect(policy.verify(answer: Self.rfcCodes[1], record: record, state: accepted.state, now: Self.now).outcome == .rejected)
        #expect(policy.verify(answer: Self.rfcCodes[3], record: record, state: accepted.state, now: Self.now).outcome.acceptedStep == 3)
        // The file's counter (a resync, an import) starts the window too.
        #expect(policy.verify(answer: Self.rfcCodes[2], record: Self.record([Self.hotp(id: 1, label: "token", counter: 5)]),
                              state: UserState(), now: Self.now).outcome == .rejected)
    }

    @Test("a refused code costs the same for 1 and for 8 credentials of any kind, and for a user who is not enrolled")
    func equalWork() {
        let one = Self.record([Self.totp(id: 1, label: "phone")])
        let eight = Self.record((1...8).map { id in
            id % 2 == 0 ? Self.hotp(id: id, label: "token\(id)") : Self.totp(id: id, label: "phone\(id)", secret: Array("secret-number-\(id)!!!!".utf8))
        })
        var policy = VerificationPolicy.standard
        policy.dummyHashIterations = 1
        let locked = UserState(failures: 9, throttledUntil: 0, locked: true, usedBackupSalts: [])
        for answer in ["000000", "123456", "abcde-fghjk", "12345678"] {
            let expected = policy.performEquivalentWork(answer: answer, digits: 6)
            for record in [one, eight] {
                for state in [UserState(), locked] {
                    let decision = policy.verify(answer: answer, record: record, state: state, now: Self.now)
                    guard !decision.outcome.isAccepted else { continue }
                    #expect(decision.work == expected, "\(answer), \(record.credentials.count) credentials: \(decision.work)")
                }
            }
        }
        #expect(policy.performEquivalentWork(answer: "000000", digits: 6).hmacs == CodeCheck.refusalHMACs)
    }

    @Test("the median time of a refused code is the same for 1 and 8 credentials (within 1.2x)")
    func equalTime() {
        let one = Self.record([Self.totp(id: 1, label: "phone")])
        let eight = Self.record((1...8).map { Self.totp(id: $0, label: "phone\($0)", secret: Array("secret-number-\($0)!!!!".utf8)) })
        let policy = VerificationPolicy.standard
        var times: [[UInt64]] = [[], []]
        // Interleaved, so a slower moment of the machine costs both the same.
        for round in 0..<400 {
            for (index, record) in [one, eight].enumerated() {
                let start = ContinuousClock.now
                _ = policy.verify(answer: "000000", record: record, state: UserState(), now: Self.now + Int64(round))
                let elapsed = ContinuousClock.now - start
                times[index].append(UInt64(elapsed.components.attoseconds / 1_000_000_000) + UInt64(elapsed.components.seconds) * 1_000_000_000)
            }
        }
        let medians = times.map { $0.sorted()[$0.count / 2] }
        let ratio = Double(max(medians[0], medians[1])) / Double(max(min(medians[0], medians[1]), 1))
        print("refused code, median ns: 1 credential \(medians[0]), 8 credentials \(medians[1]), ratio \(ratio)")
        #expect(ratio <= 1.2, "medians \(medians)")
    }

    @Test("a rejected code at another step of a TOTP credential is a drift finding, never accepted")
    func drift() throws {
        let phone = Self.totp(id: 1, label: "phone")
        let record = Self.record([phone])
        let policy = VerificationPolicy.standard
        let ahead = policy.verify(answer: Self.code(phone, stepsFromNow: 3), record: record, state: UserState(), now: Self.now)
        #expect(ahead.outcome == .rejected)
        let finding = try #require(ahead.drift)
        #expect(finding.steps == 3 && finding.fingerprint == phone.fingerprint && ahead.state.lastDrift == finding)
        #expect(finding.reason(period: 30) == "code matches step 3: clock off about 90 s")
        let behind = policy.verify(answer: Self.code(phone, stepsFromNow: -20), record: record, state: UserState(), now: Self.now)
        #expect(behind.drift?.steps == -20)
        let tooFar = policy.verify(answer: Self.code(phone, stepsFromNow: 21), record: record, state: UserState(), now: Self.now)
        #expect(tooFar.outcome == .rejected && tooFar.drift == nil)
        // A throttled user's code is refused unchecked: no finding is recorded.
        let throttled = UserState(failures: 3, throttledUntil: Self.now + 60, locked: false, usedBackupSalts: [])
        #expect(policy.verify(answer: Self.code(phone, stepsFromNow: 3), record: record, state: throttled, now: Self.now).drift == nil)
        // A resynchronised credential is asked at its own step.
        let offset = Self.totp(id: 1, label: "phone", offset: 3)
        #expect(policy.verify(answer: Self.code(phone, stepsFromNow: 3), record: Self.record([offset]), state: UserState(),
                              now: Self.now).outcome.acceptedStep == UInt64(Self.now / 30 + 3))
    }

    // MARK: changes and resync

    @Test("adding, removing and renaming credentials keep the rules: 8 at most, unique labels, not the last one")
    func changes() throws {
        var record = Self.record([Self.totp(id: 1, label: "phone")])
        let added = try record.adding(Self.hotp(id: 99, label: "token"))
        #expect(added.added.id == 2 && added.record.credentials.count == 2)
        #expect(throws: CredentialChangeError.self) { try added.record.adding(Self.hotp(id: 1, label: "token")) }
        #expect(throws: CredentialChangeError.self) { try added.record.adding(Self.hotp(id: 1, label: "bad label")) }
        record = added.record
        for index in 3...8 { record = try record.adding(Self.hotp(id: 1, label: "t\(index)")).record }
        #expect(record.credentials.count == 8)
        #expect(throws: CredentialChangeError.self) { try record.adding(Self.hotp(id: 1, label: "t9")) }
        let renamed = try record.renaming("2", to: "yubikey")
        #expect(renamed.credential(named: "yubikey")?.id == 2)
        #expect(throws: CredentialChangeError.self) { try record.renaming("2", to: "phone") }
        let single = Self.record([Self.totp(id: 1, label: "phone")])
        #expect(throws: CredentialChangeError.self) { try single.removing("phone") }
        #expect(throws: CredentialChangeError.self, "unknown names are refused") { try record.removing("yubikey-none") }
        #expect(try record.removing("t5").record.credentials.count == 7)
    }

    @Test("resync: a HOTP token 50 ahead moves the counter past the two codes; a TOTP token 5 steps ahead keeps offset 5")
    func resync() throws {
        let token = Self.hotp(id: 1, label: "token")
        let found = try CredentialResync.find(token, first: Self.rfcCodes[7], second: Self.rfcCodes[8], state: CredentialState(fingerprint: token.fingerprint), now: Self.now)
        #expect(found.kind == .hotp(counter: 9) && found.lastCounter == 8)
        #expect(throws: CredentialChangeError.self) {
            try CredentialResync.find(token, first: Self.rfcCodes[8], second: Self.rfcCodes[7], state: CredentialState(fingerprint: token.fingerprint), now: Self.now)
        }
        #expect(throws: CredentialChangeError.self, "used counters are not found again") {
            try CredentialResync.find(token, first: Self.rfcCodes[7], second: Self.rfcCodes[8],
                                      state: CredentialState(fingerprint: token.fingerprint, lastCounter: 7), now: Self.now)
        }
        let phone = Self.totp(id: 1, label: "phone")
        let ahead = try CredentialResync.find(phone, first: Self.code(phone, stepsFromNow: 4), second: Self.code(phone, stepsFromNow: 5),
                                              state: CredentialState(fingerprint: phone.fingerprint), now: Self.now)
        #expect(ahead.kind == .totp(period: 30, offset: 5) && ahead.lastCounter == UInt64(Self.now / 30 + 5))
        #expect(throws: CredentialChangeError.self, "more than 10 steps off") {
            try CredentialResync.find(phone, first: Self.code(phone, stepsFromNow: 14), second: Self.code(phone, stepsFromNow: 15),
                                      state: CredentialState(fingerprint: phone.fingerprint), now: Self.now)
        }
    }
}
