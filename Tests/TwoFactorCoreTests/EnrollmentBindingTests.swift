import Testing
@testable import TwoFactorCore

/// The enrollment fingerprint that ties a state file to one enrollment.
@Suite("Enrollment fingerprint and state binding")
struct EnrollmentBindingTests {
    static let record = makeRecord() // policySecret, SHA1 / 6 / 30, created 1_700_000_000

    @Test("the fingerprint is 16 lower-case hex digits of HMAC-SHA256(secret, description), computed independently")
    func knownFingerprint() {
        // Python: hmac.new(b"swift-2fa-test-key!!", b"swift-2fa enrollment SHA1 6 30 1700000000", sha256).hexdigest()[:16]
        #expect(Self.record.fingerprint == "2515ba44bdaca0fb")
        let rfc = SecretRecord(secret: RFCSeeds.sha1, parameters: OTPParameters(algorithm: .sha512, digits: 8, period: 60),
                               created: 1_764_456_000)
        #expect(rfc.fingerprint == "c8b86fc424261d11")
    }

    @Test("the fingerprint does not reveal the secret")
    func noSecretInFingerprint() {
        let fingerprint = Self.record.fingerprint
        #expect(fingerprint.count == 16)
        #expect(fingerprint.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(!hexString(policySecret).contains(fingerprint))
        #expect(!Base32.encode(policySecret).lowercased().contains(fingerprint))
    }

    @Test("the fingerprint changes with the secret, algorithm, digits, period and creation time")
    func fingerprintInputs() {
        let base = Self.record
        var variants: [SecretRecord] = []
        var other = base; other.secret = Array("another-secret-key!!".utf8); variants.append(other)
        other = base; other.parameters.algorithm = .sha256; variants.append(other)
        other = base; other.parameters.digits = 8; variants.append(other)
        other = base; other.parameters.period = 60; variants.append(other)
        other = base; other.credentials[0].created += 1; variants.append(other)
        let fingerprints = Set(variants.map(\.fingerprint) + [base.fingerprint])
        #expect(fingerprints.count == variants.count + 1)
    }

    @Test("the fingerprint ignores backup codes and the pending mark")
    func fingerprintIgnores() throws {
        var other = Self.record
        other.backupCodes = [try #require(BackupCodeHash.make(code: "abcde-fghjk", secret: policySecret, iterations: 1000))]
        other.pendingUntil = 1_800_000_000
        #expect(other.fingerprint == Self.record.fingerprint)
        // A record read back from its file keeps its fingerprint.
        #expect(try SecretRecord.parse(other.serialized()).fingerprint == Self.record.fingerprint)
    }

    @Test("fresh(confirming:at:) starts clean and bound")
    func fresh() throws {
        let state = UserState.fresh(confirming: try #require(Self.record.credentials.first), at: 123)
        #expect(state == UserState(lastStep: 123, failures: 0, throttledUntil: 0, locked: false, usedBackupSalts: [],
                                   enrollment: Self.record.fingerprint))
    }

    @Test("bound(to:) keeps a state of the same enrollment as it is")
    func boundSame() {
        let state = UserState(lastStep: 99, failures: 2, throttledUntil: 5, locked: false,
                              usedBackupSalts: [String(repeating: "ab", count: 16)], enrollment: Self.record.fingerprint)
        #expect(state.bound(to: Self.record) == state)
    }

    @Test("bound(to:) drops the state of another credential, keeping failures, throttle, lock and used backup codes",
          arguments: ["0000000000000000", "2515BA44BDACA0FB", "2515ba44bdaca0fc"])
    func boundOther(enrollment: String) {
        let state = UserState(lastStep: 99, failures: 7, throttledUntil: 5000, locked: true,
                              usedBackupSalts: [String(repeating: "ab", count: 16)], enrollment: enrollment)
        let bound = state.bound(to: Self.record)
        #expect(bound.lastStep(of: Self.record) == 0)
        #expect(bound.usedBackupSalts == [String(repeating: "ab", count: 16)], "salts are unique: a used code stays used")
        #expect(bound.credentials.isEmpty)
        #expect(bound.failures == 7)
        #expect(bound.throttledUntil == 5000)
        #expect(bound.locked)
    }

    @Test("a state without a recorded enrollment (older file) is taken to belong to the record")
    func boundLegacy() {
        let salts = [String(repeating: "ab", count: 16)]
        let legacy = UserState(lastStep: 99, failures: 2, throttledUntil: 5, locked: false, usedBackupSalts: salts)
        let bound = legacy.bound(to: Self.record)
        #expect(bound == UserState(lastStep: 99, failures: 2, throttledUntil: 5, locked: false, usedBackupSalts: salts,
                                   enrollment: Self.record.fingerprint))
    }

    @Test("the credential line is written and read back")
    func serialization() throws {
        let state = UserState.fresh(confirming: try #require(Self.record.credentials.first), at: 42)
        let text = state.serialized()
        #expect(text.split(separator: "\n").contains("credential \(Self.record.fingerprint) 42 -"))
        #expect(try UserState.parse(text) == state)
        #expect(!UserState().serialized().contains("credential"), "no line without a credential state")
        #expect(try UserState.parse(UserState().serialized()).enrollment == nil)
    }

    @Test("upper-case enrollment values are read as lower case")
    func upperCase() throws {
        let text = "version 1\nlast_step 1\nfailures 0\nthrottled_until 0\nlocked 0\nenrollment 2515BA44BDACA0FB\n"
        #expect(try UserState.parse(text).enrollment == "2515ba44bdaca0fb")
    }

    @Test("invalid enrollment lines are refused", arguments: [
        "enrollment 2515ba44bdaca0f", "enrollment 2515ba44bdaca0fb0", "enrollment 2515ba44bdaca0fg",
        "enrollment 2515ba44 bdaca0f", "enrollment x", "enrollment 2515ba44bdaca0fb\nenrollment 2515ba44bdaca0fb",
    ])
    func invalid(line: String) {
        let text = "version 1\nlast_step 1\nfailures 0\nthrottled_until 0\nlocked 0\n\(line)\n"
        do throws(FileFormatError) {
            let state = try UserState.parse(text)
            Issue.record("accepted \(state)")
        } catch {
            #expect(error.description.contains("enrollment"), "\(error)")
        }
    }

    // MARK: verify with a state from another enrollment

    @Test("a re-enrolled user's first code is not taken for a replay of the old enrollment's step")
    func newEnrollmentNotReplay() {
        let record = Self.record
        let step = record.totp!.step(at: VerificationPolicyTests.now)!
        let stale = UserState(lastStep: step + 5, failures: 0, throttledUntil: 0, locked: false, usedBackupSalts: [],
                              enrollment: "0000000000000000")
        let decision = VerificationPolicy.standard.verify(answer: record.totp!.code(forStep: step)!, record: record,
                                                          state: stale, now: VerificationPolicyTests.now)
        #expect(decision.outcome == .acceptedTOTP(step: step))
        #expect(decision.state.enrollment == record.fingerprint)
        #expect(decision.state.lastStep(of: record) == step)
    }

    @Test("the same state with this enrollment's fingerprint does treat it as a replay")
    func sameEnrollmentReplay() {
        let record = Self.record
        let step = record.totp!.step(at: VerificationPolicyTests.now)!
        let state = UserState(lastStep: step + 5, failures: 0, throttledUntil: 0, locked: false, usedBackupSalts: [],
                              enrollment: record.fingerprint)
        let decision = VerificationPolicy.standard.verify(answer: record.totp!.code(forStep: step)!, record: record,
                                                          state: state, now: VerificationPolicyTests.now)
        #expect(decision.outcome == .replayed)
    }

    @Test("lock and throttle carry over to a new enrollment")
    func lockCarriesOver() {
        let record = Self.record
        let step = record.totp!.step(at: VerificationPolicyTests.now)!
        let valid = record.totp!.code(forStep: step)!
        let locked = UserState(lastStep: 0, failures: 100, throttledUntil: 0, locked: true, usedBackupSalts: [],
                               enrollment: "0000000000000000")
        let lockedDecision = VerificationPolicy.standard.verify(answer: valid, record: record, state: locked,
                                                                now: VerificationPolicyTests.now)
        #expect(lockedDecision.outcome == .locked)
        #expect(!lockedDecision.stateChanged)
        let throttledUntil = VerificationPolicyTests.now + 60
        let throttled = UserState(lastStep: 0, failures: 4, throttledUntil: throttledUntil, locked: false,
                                  usedBackupSalts: [], enrollment: nil)
        let throttledDecision = VerificationPolicy.standard.verify(answer: valid, record: record, state: throttled,
                                                                   now: VerificationPolicyTests.now)
        #expect(throttledDecision.outcome == .throttled(until: throttledUntil))
        #expect(!throttledDecision.stateChanged)
    }

    @Test("used backup codes of the same enrollment stay used; a new enrollment's codes are all fresh")
    func backupBinding() throws {
        let code = try #require(BackupCodeHash.make(code: "abcde-fghjk", secret: policySecret, iterations: 1000))
        let record = makeRecord(backupCodes: [code])
        let used = UserState(lastStep: 0, failures: 0, throttledUntil: 0, locked: false,
                             usedBackupSalts: [hexString(code.salt)], enrollment: record.fingerprint)
        #expect(VerificationPolicy.standard.verify(answer: "abcde-fghjk", record: record, state: used,
                                                   now: VerificationPolicyTests.now).outcome == .rejected)
        #expect(VerificationPolicy.unusedBackupCodes(record: record, state: used).isEmpty)
    }
}
