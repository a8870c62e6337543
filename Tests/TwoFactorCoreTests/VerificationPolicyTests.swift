import TestSupport
import Testing
@testable import TwoFactorCore

/// Policy tests with an injected clock. Valid codes come from `TOTP`, which the RFC and
/// oathtool tests check independently.
@Suite("VerificationPolicy")
struct VerificationPolicyTests {
    /// The middle of a time step, so ±1 step is unambiguous.
    static let now: Int64 = 1_764_456_015
    static let policy = VerificationPolicy.standard

    static func code(_ record: SecretRecord, step: UInt64) -> String {
        AuthenticatorApp.code(record.secret, record.parameters, at: Int64(step) * Int64(record.parameters.period))
    }

    static func currentStep(_ record: SecretRecord, at time: Int64 = now) -> UInt64 {
        record.totp!.step(at: time)!
    }

    /// A numeric answer of the right length that matches no step within ±10 of `time`.
    static func wrongCode(_ record: SecretRecord, at time: Int64 = now) -> String {
        let current = currentStep(record, at: time)
        let nearby = Set((current - 10...current + 10).map { code(record, step: $0) })
        var candidate = 0
        while true {
            let text = String(candidate)
            let padded = String(repeating: "0", count: record.parameters.digits - text.count) + text
            if !nearby.contains(padded) { return padded }
            candidate += 1
        }
    }

    /// A state recorded for `record`'s enrollment (so `lastStep` and used backup codes apply to it).
    static func state(for record: SecretRecord, lastStep: UInt64 = 0, failures: Int = 0, throttledUntil: Int64 = 0,
                      locked: Bool = false, usedBackupSalts: [String] = [], backupFailures: Int = 0) -> UserState {
        UserState(lastStep: lastStep, failures: failures, throttledUntil: throttledUntil, locked: locked,
                  usedBackupSalts: usedBackupSalts, enrollment: record.fingerprint, backupFailures: backupFailures)
    }

    static let backupA = "abcde-fghjk"
    static let backupB = "mnpqr-stuvw"
    static let importedBackup = "12345678"

    static func recordWithBackups(digits: Int = 6) throws -> SecretRecord {
        let hashes = try [backupA, backupB, importedBackup].map {
            try #require(BackupCodeHash.make(code: $0, secret: policySecret, iterations: 1000))
        }
        return makeRecord(digits: digits, backupCodes: hashes)
    }

    // MARK: TOTP window

    @Test("the current code is accepted and recorded as the last step", arguments: [6, 8])
    func acceptsCurrentCode(digits: Int) {
        let record = makeRecord(digits: digits)
        let step = Self.currentStep(record)
        let decision = Self.policy.verify(answer: Self.code(record, step: step), record: record, state: UserState(), now: Self.now)
        #expect(decision.outcome == .acceptedTOTP(step: step))
        #expect(decision.outcome.isAccepted)
        #expect(decision.stateChanged)
        #expect(decision.state.lastStep == step)
        #expect(decision.state.failures == 0)
        #expect(decision.state.enrollment == record.fingerprint)
    }

    @Test("every algorithm and period works through the policy", arguments: HashAlgorithm.allCases)
    func algorithms(algorithm: HashAlgorithm) {
        for period in [15, 60, 300] {
            let record = makeRecord(period: period, algorithm: algorithm)
            let step = Self.currentStep(record)
            #expect(step == UInt64(Self.now) / UInt64(period))
            let decision = Self.policy.verify(answer: Self.code(record, step: step), record: record, state: UserState(), now: Self.now)
            #expect(decision.outcome == .acceptedTOTP(step: step))
        }
    }

    @Test("default window: ±1 step accepted, ±2 rejected")
    func defaultWindow() throws {
        let record = makeRecord()
        let current = Self.currentStep(record)
        let inWindow = Set((current - 1...current + 1).map { Self.code(record, step: $0) })
        for offset in [-1, 1] {
            let step = UInt64(Int64(current) + Int64(offset))
            let decision = Self.policy.verify(answer: Self.code(record, step: step), record: record, state: UserState(), now: Self.now)
            #expect(decision.outcome == .acceptedTOTP(step: step), "offset \(offset)")
        }
        for offset in [-2, 2] {
            let step = UInt64(Int64(current) + Int64(offset))
            let answer = Self.code(record, step: step)
            try #require(!inWindow.contains(answer), "test secret collides; pick another")
            let decision = Self.policy.verify(answer: answer, record: record, state: UserState(), now: Self.now)
            #expect(decision.outcome == .rejected, "offset \(offset)")
            #expect(decision.state.failures == 1)
            #expect(decision.state.lastStep == 0)
        }
    }

    @Test("window 0: only the current step")
    func windowZero() throws {
        let record = makeRecord()
        let policy = VerificationPolicy(window: 0, throttle: .standard)
        let current = Self.currentStep(record)
        #expect(policy.verify(answer: Self.code(record, step: current), record: record, state: UserState(), now: Self.now).outcome
                == .acceptedTOTP(step: current))
        for step in [current - 1, current + 1] {
            let answer = Self.code(record, step: step)
            try #require(answer != Self.code(record, step: current))
            #expect(policy.verify(answer: answer, record: record, state: UserState(), now: Self.now).outcome == .rejected)
        }
    }

    @Test("window 3: ±3 accepted, ±4 rejected")
    func windowThree() throws {
        let record = makeRecord()
        let policy = VerificationPolicy(window: 3, throttle: .standard)
        let current = Self.currentStep(record)
        let inWindow = Set((current - 3...current + 3).map { Self.code(record, step: $0) })
        for step in [current - 3, current + 3] {
            #expect(policy.verify(answer: Self.code(record, step: step), record: record, state: UserState(), now: Self.now).outcome
                    == .acceptedTOTP(step: step))
        }
        for step in [current - 4, current + 4] {
            let answer = Self.code(record, step: step)
            try #require(!inWindow.contains(answer))
            #expect(policy.verify(answer: answer, record: record, state: UserState(), now: Self.now).outcome == .rejected)
        }
    }

    @Test("a window larger than 10 is clamped to 10")
    func windowClamped() throws {
        let record = makeRecord()
        let policy = VerificationPolicy(window: 1000, throttle: .standard)
        let current = Self.currentStep(record)
        let inWindow = Set((current - 10...current + 10).map { Self.code(record, step: $0) })
        #expect(policy.verify(answer: Self.code(record, step: current + 10), record: record, state: UserState(), now: Self.now)
                .outcome == .acceptedTOTP(step: current + 10))
        let far = Self.code(record, step: current + 11)
        try #require(!inWindow.contains(far))
        #expect(policy.verify(answer: far, record: record, state: UserState(), now: Self.now).outcome == .rejected)
    }

    @Test("the window follows the clock at step boundaries")
    func boundaries() {
        let record = makeRecord()
        let policy = VerificationPolicy(window: 0, throttle: .standard)
        let start: Int64 = 1_764_456_000 // a multiple of 30
        let step = UInt64(start / 30)
        let answer = Self.code(record, step: step)
        #expect(policy.verify(answer: answer, record: record, state: UserState(), now: start).outcome == .acceptedTOTP(step: step))
        #expect(policy.verify(answer: answer, record: record, state: UserState(), now: start + 29).outcome == .acceptedTOTP(step: step))
        #expect(policy.verify(answer: answer, record: record, state: UserState(), now: start + 30).outcome == .rejected)
        #expect(policy.verify(answer: answer, record: record, state: UserState(), now: start - 1).outcome == .rejected)
    }

    @Test("white space around the code is ignored")
    func whitespace() {
        let record = makeRecord()
        let step = Self.currentStep(record)
        for answer in [" \(Self.code(record, step: step))", "\(Self.code(record, step: step))\n",
                       "\t\(Self.code(record, step: step)) \r\n"] {
            #expect(Self.policy.verify(answer: answer, record: record, state: UserState(), now: Self.now).outcome
                    == .acceptedTOTP(step: step), "\(answer.debugDescription)")
        }
    }

    @Test("answers that are not a code of the right shape are rejected and counted")
    func wrongShapes() {
        let record = makeRecord()
        let code = Self.code(record, step: Self.currentStep(record))
        #expect(!Self.policy.verify(answer: "", record: record, state: UserState(), now: Self.now).outcome.isAccepted)
        for answer in [String(code.dropLast()), code + "0", "abcdef", "12 34 56", "١٢٣٤٥٦", code + "x",
                       String(code.prefix(3)) + "-" + String(code.dropFirst(3))] {
            let decision = Self.policy.verify(answer: answer, record: record, state: UserState(), now: Self.now)
            #expect(decision.outcome == .rejected, "\(answer.debugDescription)")
            #expect(decision.state.failures == 1, "\(answer.debugDescription)")
        }
    }

    @Test("before 1970 no TOTP code is accepted")
    func negativeTime() {
        let record = makeRecord()
        let decision = Self.policy.verify(answer: Self.code(record, step: 0), record: record, state: UserState(), now: -5)
        #expect(!decision.outcome.isAccepted)
    }

    // MARK: Replay

    @Test("the same step twice is a replay, and the replay counts as a failure")
    func replaySameStep() {
        let record = makeRecord()
        let step = Self.currentStep(record)
        let answer = Self.code(record, step: step)
        let first = Self.policy.verify(answer: answer, record: record, state: UserState(), now: Self.now)
        #expect(first.outcome == .acceptedTOTP(step: step))
        let second = Self.policy.verify(answer: answer, record: record, state: first.state, now: Self.now + 5)
        #expect(second.outcome == .replayed)
        #expect(!second.outcome.isAccepted)
        #expect(second.state.lastStep == step)
        #expect(second.state.failures == 1)
        #expect(second.stateChanged)
    }

    @Test("a code at or below the last accepted step is a replay")
    func replayOlderStep() {
        let record = makeRecord()
        let current = Self.currentStep(record)
        let state = Self.state(for: record, lastStep: current)
        #expect(Self.policy.verify(answer: Self.code(record, step: current - 1), record: record, state: state, now: Self.now)
                .outcome == .replayed)
        #expect(Self.policy.verify(answer: Self.code(record, step: current), record: record, state: state, now: Self.now)
                .outcome == .replayed)
        // The next step is still fine.
        #expect(Self.policy.verify(answer: Self.code(record, step: current + 1), record: record, state: state, now: Self.now)
                .outcome == .acceptedTOTP(step: current + 1))
    }

    @Test("after accepting the +1 step, the current step's code is a replay")
    func replayAfterFutureStep() {
        let record = makeRecord()
        let current = Self.currentStep(record)
        let ahead = Self.policy.verify(answer: Self.code(record, step: current + 1), record: record, state: UserState(), now: Self.now)
        #expect(ahead.outcome == .acceptedTOTP(step: current + 1))
        #expect(ahead.state.lastStep == current + 1)
        let older = Self.policy.verify(answer: Self.code(record, step: current), record: record, state: ahead.state, now: Self.now)
        #expect(older.outcome == .replayed)
        #expect(older.state.lastStep == current + 1)
    }

    @Test("a replayed code in the next step, once the old one has aged out, is simply rejected")
    func replayAgedOut() throws {
        let record = makeRecord()
        let current = Self.currentStep(record)
        let answer = Self.code(record, step: current)
        let first = Self.policy.verify(answer: answer, record: record, state: UserState(), now: Self.now)
        let later = Self.policy.verify(answer: answer, record: record, state: first.state, now: Self.now + 5 * 30)
        #expect(later.outcome == .rejected)
    }

    // MARK: Failures, throttling, lock

    @Test("failures count up; the third starts a 30 s throttle")
    func failuresCount() {
        let record = makeRecord()
        var state = UserState()
        for expected in 1...2 {
            let decision = Self.policy.verify(answer: Self.wrongCode(record), record: record, state: state, now: Self.now)
            #expect(decision.outcome == .rejected)
            #expect(decision.stateChanged)
            #expect(decision.state.failures == expected)
            #expect(decision.state.throttledUntil == 0, "no throttle before the third failure")
            state = decision.state
        }
        let third = Self.policy.verify(answer: Self.wrongCode(record), record: record, state: state, now: Self.now)
        #expect(third.outcome == .rejected)
        #expect(third.state.failures == 3)
        #expect(third.state.throttledUntil == Self.now + 30)
        #expect(!third.state.locked)
    }

    @Test("throttle delays double from 30 s and are capped at 900 s")
    func throttleSchedule() {
        let record = makeRecord()
        var state = Self.state(for: record, failures: 2)
        var time = Self.now
        for expectedDelay: Int64 in [30, 60, 120, 240, 480, 900, 900, 900] {
            let decision = Self.policy.verify(answer: Self.wrongCode(record, at: time), record: record, state: state, now: time)
            #expect(decision.outcome == .rejected)
            #expect(decision.state.throttledUntil - time == expectedDelay, "after \(decision.state.failures) failures")
            state = decision.state
            time = state.throttledUntil // The first moment an attempt is allowed again.
        }
        #expect(state.failures == 10)
    }

    @Test("throttled attempts are refused unchecked, without any state change, even with a valid code")
    func throttledRefusesUnchecked() {
        let record = makeRecord()
        let throttledUntil = Self.now + 100
        let state = Self.state(for: record, lastStep: 5, failures: 3, throttledUntil: throttledUntil)
        let valid = Self.code(record, step: Self.currentStep(record))
        for answer in [valid, Self.wrongCode(record), "", "x", "12345", "1234567"] {
            let decision = Self.policy.verify(answer: answer, record: record, state: state, now: Self.now)
            #expect(decision.outcome == .throttled(until: throttledUntil), "\(answer.debugDescription)")
            #expect(!decision.outcome.isAccepted)
            #expect(!decision.stateChanged)
            #expect(decision.state == state)
        }
        // One second before the end: still throttled. At the end: checked again.
        #expect(Self.policy.verify(answer: valid, record: record, state: state, now: throttledUntil - 1).outcome
                == .throttled(until: throttledUntil))
        let atEnd = throttledUntil
        let fresh = Self.code(record, step: Self.currentStep(record, at: atEnd))
        let decision = Self.policy.verify(answer: fresh, record: record, state: state, now: atEnd)
        #expect(decision.outcome == .acceptedTOTP(step: Self.currentStep(record, at: atEnd)))
    }

    // Regression test: with an 8-digit record every TOTP-shaped answer is also backup-shaped
    // (an imported 8-digit code), so a valid code while throttled used to be checked as a backup
    // code and counted as a failure (.rejected, failures +1, throttle doubled).
    @Test("8-digit records: a valid TOTP code while throttled is refused unchecked, not counted")
    func throttledEightDigitCode() {
        let record = makeRecord(digits: 8)
        let throttledUntil = Self.now + 100
        let state = Self.state(for: record, lastStep: 5, failures: 3, throttledUntil: throttledUntil)
        let valid = Self.code(record, step: Self.currentStep(record))
        let decision = Self.policy.verify(answer: valid, record: record, state: state, now: Self.now)
        #expect(decision.outcome == .throttled(until: throttledUntil),
                "a valid 8-digit code while throttled was treated as a wrong backup code")
        #expect(!decision.stateChanged)
        #expect(decision.state.failures == 3)
    }

    @Test("8-digit records: while throttled, an 8-digit answer is refused unchecked even if it is an imported backup code")
    func throttledEightDigitBackup() throws {
        let record = try Self.recordWithBackups(digits: 8)
        let state = Self.state(for: record, failures: 3, throttledUntil: Self.now + 30)
        let decision = Self.policy.verify(answer: Self.importedBackup, record: record, state: state, now: Self.now)
        #expect(decision.outcome == .throttled(until: Self.now + 30))
        #expect(!decision.stateChanged)
        // Letter backup codes still work.
        #expect(Self.policy.verify(answer: Self.backupA, record: record, state: state, now: Self.now).outcome == .acceptedBackup)
    }

    @Test("a valid backup code is accepted while throttled and clears the throttle")
    func backupWhileThrottled() throws {
        let record = try Self.recordWithBackups()
        let state = Self.state(for: record, lastStep: 7, failures: 7, throttledUntil: Self.now + 900, backupFailures: 2)
        let decision = Self.policy.verify(answer: Self.backupA, record: record, state: state, now: Self.now)
        #expect(decision.outcome == .acceptedBackup)
        #expect(decision.outcome.isAccepted)
        #expect(decision.stateChanged)
        #expect(decision.state.failures == 0)
        #expect(decision.state.throttledUntil == 0)
        #expect(decision.state.backupFailures == 0)
        #expect(decision.state.lastStep == 7, "a backup code does not move the TOTP step")
        #expect(decision.state.usedBackupSalts == [hexString(record.backupCodes[0].salt)])
    }

    // Regression test (issue 9, item 2): a wrong backup-shaped answer while throttled used
    // to count as a failure, so 3 wrong codes and 97 backup-shaped answers locked the factor
    // in seconds.
    @Test("while throttled, a wrong backup-shaped guess is only a backup try: no failure, same back-off")
    func wrongBackupWhileThrottled() throws {
        let record = try Self.recordWithBackups()
        let state = Self.state(for: record, failures: 4, throttledUntil: Self.now + 10)
        for guess in ["zzzzz-zzzzz", "87654321", "ABCDE-FGHJM"] {
            let decision = Self.policy.verify(answer: guess, record: record, state: state, now: Self.now)
            #expect(decision.outcome == .rejected, "\(guess)")
            #expect(decision.stateChanged)
            #expect(decision.state.failures == 4)
            #expect(decision.state.throttledUntil == Self.now + 10)
            #expect(decision.state.backupFailures == 1)
            #expect(!decision.state.locked)
        }
    }

    @Test("throttle_after backup tries per back-off period, then refused unchecked; a failure at the end starts over")
    func backupTriesPerPeriod() throws {
        let record = try Self.recordWithBackups()
        let throttledUntil = Self.now + 120
        var state = Self.state(for: record, failures: 5, throttledUntil: throttledUntil)
        for expected in 1...3 {
            let decision = Self.policy.verify(answer: "zzzzz-zzzzz", record: record, state: state, now: Self.now + Int64(expected))
            #expect(decision.outcome == .rejected)
            #expect(decision.state.backupFailures == expected)
            #expect(decision.state.failures == 5)
            state = decision.state
        }
        // The tries of this period are used up: even the owner's valid code waits for its end.
        for answer in ["zzzzz-zzzzz", Self.backupA, Self.importedBackup] {
            let decision = Self.policy.verify(answer: answer, record: record, state: state, now: throttledUntil - 1)
            #expect(decision.outcome == .throttled(until: throttledUntil), "\(answer)")
            #expect(!decision.stateChanged)
            #expect(decision.work.slowHashes == 1, "refused unchecked, but with the same work")
        }
        // At the end of the period a wrong answer is a failure again; it starts a new period and new tries.
        let failure = Self.policy.verify(answer: "zzzzz-zzzzz", record: record, state: state, now: throttledUntil)
        #expect(failure.outcome == .rejected)
        #expect(failure.state.failures == 6)
        #expect(failure.state.throttledUntil == throttledUntil + 240)
        #expect(failure.state.backupFailures == 0)
        let owner = Self.policy.verify(answer: Self.backupA, record: record, state: failure.state, now: throttledUntil + 1)
        #expect(owner.outcome == .acceptedBackup)
        #expect(owner.state.failures == 0)
        #expect(owner.state.backupFailures == 0)
    }

    @Test("a success after the back-off resets the backup tries too")
    func totpSuccessResetsBackupTries() {
        let record = makeRecord()
        let state = Self.state(for: record, failures: 4, throttledUntil: Self.now, backupFailures: 3)
        let decision = Self.policy.verify(answer: Self.code(record, step: Self.currentStep(record)), record: record,
                                          state: state, now: Self.now)
        #expect(decision.outcome.isAccepted)
        #expect(decision.state.backupFailures == 0)
        #expect(decision.state.failures == 0)
    }

    @Test("lock after 100 consecutive failures; locked refuses even valid codes, unchanged")
    func lockAfterHundred() throws {
        let record = try Self.recordWithBackups()
        var state = UserState()
        var time = Self.now
        for attempt in 1...100 {
            time = max(time, state.throttledUntil)
            let decision = Self.policy.verify(answer: Self.wrongCode(record, at: time), record: record, state: state, now: time)
            #expect(decision.outcome == .rejected, "attempt \(attempt)")
            state = decision.state
            #expect(state.failures == attempt)
            #expect(state.locked == (attempt >= 100), "attempt \(attempt)")
            if attempt < 100 && state.locked { return }
        }
        #expect(state.locked)
        time = max(time, state.throttledUntil) + 1
        let validCode = Self.code(record, step: Self.currentStep(record, at: time))
        for answer in [validCode, Self.backupA, Self.importedBackup, Self.wrongCode(record, at: time)] {
            let decision = Self.policy.verify(answer: answer, record: record, state: state, now: time)
            #expect(decision.outcome == .locked, "\(answer)")
            #expect(!decision.outcome.isAccepted)
            #expect(!decision.stateChanged)
            #expect(decision.state == state)
        }
    }

    @Test("a locked state is refused whatever the throttle and failure count")
    func lockedDirect() throws {
        let record = try Self.recordWithBackups()
        let state = Self.state(for: record, locked: true)
        let decision = Self.policy.verify(answer: Self.code(record, step: Self.currentStep(record)), record: record,
                                          state: state, now: Self.now)
        #expect(decision.outcome == .locked)
        #expect(!decision.stateChanged)
        #expect(Self.policy.verify(answer: Self.backupB, record: record, state: state, now: Self.now).outcome == .locked)
    }

    @Test("a configured lock_after is honoured")
    func customLockAfter() {
        let record = makeRecord()
        let policy = VerificationPolicy(window: 1, throttle: ThrottlePolicy(throttleAfter: 100, baseDelay: 30,
                                                                            maxDelay: 900, lockAfter: 5))
        var state = UserState()
        for attempt in 1...5 {
            state = policy.verify(answer: Self.wrongCode(record), record: record, state: state, now: Self.now).state
            #expect(state.locked == (attempt == 5))
            #expect(state.throttledUntil == 0)
        }
    }

    @Test("success resets failures and the throttle")
    func successResets() {
        let record = makeRecord()
        let step = Self.currentStep(record)
        // Failures below the threshold.
        let belowThreshold = Self.state(for: record, lastStep: 1, failures: 2)
        let first = Self.policy.verify(answer: Self.code(record, step: step), record: record, state: belowThreshold, now: Self.now)
        #expect(first.outcome == .acceptedTOTP(step: step))
        #expect(first.state.failures == 0)
        #expect(first.state.throttledUntil == 0)
        // A throttle that has just run out.
        let expired = Self.state(for: record, lastStep: 1, failures: 6, throttledUntil: Self.now, usedBackupSalts: ["aa"])
        let second = Self.policy.verify(answer: Self.code(record, step: step), record: record, state: expired, now: Self.now)
        #expect(second.outcome == .acceptedTOTP(step: step))
        var expected = Self.state(for: record, lastStep: step, usedBackupSalts: ["aa"])
        expected.credentials[0].lastUsed = Self.now
        #expect(second.state == expected, "the step and the time it was used are recorded")
        // After the reset, two more failures do not throttle.
        var state = second.state
        for _ in 0..<2 {
            state = Self.policy.verify(answer: Self.wrongCode(record), record: record, state: state, now: Self.now).state
        }
        #expect(state.failures == 2)
        #expect(state.throttledUntil == 0)
    }

    // MARK: Backup codes

    @Test("a backup code is accepted once only; the others stay usable")
    func backupOnce() throws {
        let record = try Self.recordWithBackups()
        #expect(VerificationPolicy.unusedBackupCodes(record: record, state: UserState()).count == 3)
        let first = Self.policy.verify(answer: Self.backupA, record: record, state: UserState(), now: Self.now)
        #expect(first.outcome == .acceptedBackup)
        #expect(first.state.usedBackupSalts == [hexString(record.backupCodes[0].salt)])
        #expect(VerificationPolicy.unusedBackupCodes(record: record, state: first.state) == Array(record.backupCodes[1...]))

        let again = Self.policy.verify(answer: Self.backupA, record: record, state: first.state, now: Self.now + 1)
        #expect(again.outcome == .rejected)
        #expect(again.state.failures == 1)
        #expect(again.state.usedBackupSalts == first.state.usedBackupSalts)

        let other = Self.policy.verify(answer: Self.backupB, record: record, state: again.state, now: Self.now + 2)
        #expect(other.outcome == .acceptedBackup)
        #expect(other.state.failures == 0)
        #expect(other.state.usedBackupSalts.count == 2)
        #expect(VerificationPolicy.unusedBackupCodes(record: record, state: other.state).count == 1)
    }

    @Test("a used backup code survives the state file round trip as used")
    func backupUsedPersisted() throws {
        let record = try Self.recordWithBackups()
        let first = Self.policy.verify(answer: Self.backupB, record: record, state: UserState(), now: Self.now)
        #expect(first.outcome == .acceptedBackup)
        let reloaded = try UserState.parse(first.state.serialized())
        #expect(Self.policy.verify(answer: Self.backupB, record: record, state: reloaded, now: Self.now).outcome == .rejected)
    }

    @Test("backup codes are normalized: case, spaces, dashes", arguments: [
        "ABCDE-FGHJK", "abcdefghjk", "abcde fghjk", " AbCdE-fGhJk ", "a-b-c-d-e-f-g-h-j-k", "ABCDEFGHJK\n",
    ])
    func backupNormalized(answer: String) throws {
        let record = try Self.recordWithBackups()
        let decision = Self.policy.verify(answer: answer, record: record, state: UserState(), now: Self.now)
        #expect(decision.outcome == .acceptedBackup)
        #expect(decision.state.usedBackupSalts == [hexString(record.backupCodes[0].salt)])
    }

    @Test("an imported 8-digit backup code works with a 6-digit record", arguments: ["12345678", "1234 5678", "1234-5678"])
    func importedBackupSixDigits(answer: String) throws {
        let record = try Self.recordWithBackups(digits: 6)
        let decision = Self.policy.verify(answer: answer, record: record, state: UserState(), now: Self.now)
        #expect(decision.outcome == .acceptedBackup)
        #expect(decision.state.usedBackupSalts == [hexString(record.backupCodes[2].salt)])
    }

    @Test("an imported 8-digit backup code is accepted while throttled with a 6-digit record")
    func importedBackupWhileThrottled() throws {
        let record = try Self.recordWithBackups(digits: 6)
        let state = Self.state(for: record, failures: 3, throttledUntil: Self.now + 30)
        let decision = Self.policy.verify(answer: Self.importedBackup, record: record, state: state, now: Self.now)
        #expect(decision.outcome == .acceptedBackup)
        #expect(decision.state.throttledUntil == 0)
    }

    @Test("an imported 8-digit backup code also works with an 8-digit record")
    func importedBackupEightDigits() throws {
        let record = try Self.recordWithBackups(digits: 8)
        let current = Self.currentStep(record)
        try #require(!(current - 1...current + 1).map { Self.code(record, step: $0) }.contains(Self.importedBackup))
        let decision = Self.policy.verify(answer: Self.importedBackup, record: record, state: UserState(), now: Self.now)
        #expect(decision.outcome == .acceptedBackup)
        // And a valid TOTP code is still taken as TOTP.
        let totp = Self.policy.verify(answer: Self.code(record, step: current), record: record, state: UserState(), now: Self.now)
        #expect(totp.outcome == .acceptedTOTP(step: current))
        #expect(totp.state.usedBackupSalts.isEmpty)
    }

    @Test("a TOTP code is not accepted as a backup code and vice versa")
    func noCrossOver() throws {
        let record = makeRecord(digits: 6)
        // No backup codes at all: a backup-shaped answer is just rejected.
        let decision = Self.policy.verify(answer: Self.backupA, record: record, state: UserState(), now: Self.now)
        #expect(decision.outcome == .rejected)
        #expect(decision.state.failures == 1)
    }

    @Test("a record with invalid parameters never accepts a TOTP code")
    func invalidRecord() {
        var record = makeRecord()
        record.parameters.digits = 7
        let decision = Self.policy.verify(answer: "1234567", record: record, state: UserState(), now: Self.now)
        #expect(!decision.outcome.isAccepted)
    }

    // MARK: Outcome

    @Test("outcome log names and acceptance")
    func outcomeNames() {
        let all: [(VerificationOutcome, String, Bool)] = [
            (.acceptedTOTP(step: 1), "accepted-totp", true), (.acceptedBackup, "accepted-backup", true),
            (.rejected, "rejected", false), (.replayed, "replayed", false),
            (.throttled(until: 5), "throttled", false), (.locked, "locked", false),
        ]
        for (outcome, name, accepted) in all {
            #expect(outcome.logName == name)
            #expect(outcome.isAccepted == accepted)
        }
    }

    @Test("the standard policy is window 1 with the standard throttle")
    func standardPolicy() {
        #expect(VerificationPolicy.standard.window == 1)
        #expect(VerificationPolicy.standard.throttle == ThrottlePolicy.standard)
        #expect(VerificationPolicy.windowRange == 0...10)
    }
}
