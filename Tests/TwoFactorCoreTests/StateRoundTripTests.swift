import Testing
@testable import TwoFactorCore

/// Every state the module can hold, it can write and read back: over the full ranges of
/// the fields, after any sequence of answers under any policy the options allow, and at
/// clocks far in the future (past 2^62, up to Int64.max) or before 1970.
@Suite("State file round trip")
struct StateRoundTripTests {
    /// The state `parse(serialized())` must give: each number clamped into the file's
    /// range (computed here independently of `UserState`).
    static func expectedAfterRoundTrip(_ state: UserState) -> UserState {
        var expected = state
        expected.failures = min(max(state.failures, 0), 1_000_000)
        expected.backupFailures = min(max(state.backupFailures, 0), 1_000_000)
        expected.throttledUntil = max(state.throttledUntil, 0)
        return expected
    }

    static func randomState(_ generator: inout SeededGenerator) -> UserState {
        // Each field's extremes half of the time, any value otherwise.
        func pick<T>(_ extremes: [T], _ any: () -> T) -> T {
            Bool.random(using: &generator) ? extremes.randomElement(using: &generator)! : any()
        }
        let lastStep = pick([0, 1, UInt64.max - 1, UInt64.max]) { UInt64.random(in: .min ... .max, using: &generator) }
        let failures = pick([Int.min, -1, 0, 1, 99, 100, 999_999, 1_000_000, 1_000_001, Int.max]) {
            Int.random(in: .min ... .max, using: &generator)
        }
        let backupFailures = pick([Int.min, -1, 0, 1, 1_000_000, 1_000_001, Int.max]) {
            Int.random(in: .min ... .max, using: &generator)
        }
        let farTimes: [Int64] = [Int64.min, -1, 0, 1, 1 << 62, (1 << 62) + 900, Int64.max / 2, Int64.max / 2 + 1,
                                 Int64.max - 1, Int64.max]
        let throttledUntil = pick(farTimes) { Int64.random(in: .min ... .max, using: &generator) }
        let salts = (0..<Int.random(in: 0...SecretRecord.maximumBackupCodes, using: &generator)).map { _ in
            hexString(generator.bytes(16))
        }
        let enrollment: String? = Bool.random(using: &generator) ? hexString(generator.bytes(8)) : nil
        return UserState(lastStep: lastStep, failures: failures, throttledUntil: throttledUntil,
                         locked: Bool.random(using: &generator), usedBackupSalts: salts, enrollment: enrollment,
                         backupFailures: backupFailures)
    }

    @Test("any state over the full ranges of its fields is written readably, clamped into the file's ranges")
    func fullRanges() {
        var generator = SeededGenerator(seed: 0x5747_E0F1)
        for iteration in 0..<5_000 {
            let state = Self.randomState(&generator)
            let text = state.serialized()
            do throws(FileFormatError) {
                let parsed = try UserState.parse(text)
                #expect(parsed == Self.expectedAfterRoundTrip(state), "iteration \(iteration)")
                #expect(parsed.serialized() == text, "iteration \(iteration): writing again changes the file")
            } catch {
                Issue.record("iteration \(iteration): \(error) for \(text.debugDescription)")
            }
        }
    }

    @Test("a state whose numbers are in range comes back unchanged")
    func inRangeUnchanged() throws {
        let states = [
            UserState(lastStep: .max, failures: 1_000_000, throttledUntil: .max, locked: true,
                      usedBackupSalts: [String(repeating: "ab", count: 16)], enrollment: "0123456789abcdef",
                      backupFailures: 1_000_000),
            UserState(lastStep: 0, failures: 0, throttledUntil: (1 << 62) + 30, locked: false, usedBackupSalts: []),
        ]
        for state in states {
            #expect(try UserState.parse(state.serialized()) == state)
        }
    }

    @Test("numbers past the file's ranges are clamped on write", arguments: [
        (Int64.min, 0), (-1, 0), (Int64.max, Int64.max),
    ] as [(Int64, Int64)])
    func clampedOnWrite(throttledUntil: Int64, written: Int64) {
        let state = UserState(lastStep: 1, failures: -5, throttledUntil: throttledUntil, locked: false,
                              usedBackupSalts: [], backupFailures: Int.max)
        let text = state.serialized()
        #expect(text.contains("\nthrottled_until \(written)\n"))
        #expect(text.contains("\nfailures 0\n"))
        #expect(text.contains("\nbackup_failures 1000000\n"))
    }

    /// Policies at the corners of the ranges the module options accept.
    static let policies: [VerificationPolicy] = {
        var result: [VerificationPolicy] = []
        for (after, base, maximum, lock) in [(1, 1, 1, 1), (3, 30, 900, 100), (100, 86_400, 86_400, 100), (1, 86_400, 86_400, 2),
                                             (2, 1, 86_400, 100)] {
            for window in [0, 1, 10] {
                var policy = VerificationPolicy(window: window, throttle: ThrottlePolicy(
                    throttleAfter: after, baseDelay: base, maxDelay: maximum, lockAfter: lock))
                policy.dummyHashIterations = 1
                result.append(policy)
            }
        }
        return result
    }()

    /// Clocks where arithmetic on times is at its edges.
    static let clocks: [Int64] = [Int64.min, -86_400, -1, 0, 1_764_456_015, 1 << 62, (1 << 62) + 1, Int64.max / 2,
                                  Int64.max / 2 + 1, Int64.max - 86_400, Int64.max - 1, Int64.max]

    @Test("after any answers under any policy, at any clock, every state the policy returns is read back")
    func policyStatesRoundTrip() throws {
        let backup = "abcde-fghjk"
        let record = makeRecord(backupCodes: [try #require(BackupCodeHash.make(code: backup, secret: policySecret,
                                                                                iterations: 1))])
        var generator = SeededGenerator(seed: 0xC10C_4)
        for policy in Self.policies {
            for start in Self.clocks {
                var state = UserState()
                var now = start
                for attempt in 0..<40 {
                    let answer: String
                    switch Int.random(in: 0..<6, using: &generator) {
                    case 0: answer = record.totp?.code(at: now) ?? "000000"
                    case 1: answer = backup
                    case 2: answer = "zzzzz-zzzzz"
                    default: answer = sixDigits(Int.random(in: 0...999_999, using: &generator))
                    }
                    let decision = policy.verify(answer: answer, record: record, state: state, now: now)
                    let text = decision.state.serialized()
                    guard let parsed = try? UserState.parse(text) else {
                        Issue.record("clock \(now), attempt \(attempt): the policy's state is not readable: \(text.debugDescription)")
                        break
                    }
                    #expect(parsed == Self.expectedAfterRoundTrip(decision.state))
                    state = parsed
                    let (next, overflow) = now.addingReportingOverflow(Int64.random(in: 0...1_000, using: &generator))
                    if !overflow { now = next }
                }
            }
        }
    }

    @Test("with the clock past 2^62 a failure throttles, the throttle is read back and holds, and a later code is accepted")
    func farFutureClock() throws {
        var policy = VerificationPolicy(window: 1, throttle: ThrottlePolicy(throttleAfter: 1, baseDelay: 30,
                                                                            maxDelay: 900, lockAfter: 100))
        policy.dummyHashIterations = 1
        let record = makeRecord()
        for now in [(Int64(1) << 62) + 15, Int64.max / 2 + 15, Int64.max - 86_400] {
            let wrong = policy.verify(answer: "not-a-code", record: record, state: UserState(), now: now)
            #expect(wrong.outcome == .rejected)
            let stored = try UserState.parse(wrong.state.serialized())
            #expect(stored.throttledUntil == now + 30)
            let held = policy.verify(answer: try #require(record.totp?.code(at: now + 10)), record: record,
                                     state: stored, now: now + 10)
            #expect(held.outcome == .throttled(until: now + 30))
            let later = now + 45
            let accepted = policy.verify(answer: try #require(record.totp?.code(at: later)), record: record,
                                         state: stored, now: later)
            #expect(accepted.outcome.isAccepted)
            #expect(try UserState.parse(accepted.state.serialized()) == accepted.state)
        }
    }

    @Test("at the last representable second the back-off saturates at Int64.max and is still read back")
    func lastSecond() throws {
        let record = makeRecord()
        var policy = VerificationPolicy.standard
        policy.dummyHashIterations = 1
        var state = UserState()
        for _ in 0..<5 {
            let decision = policy.verify(answer: "000000x", record: record, state: state, now: Int64.max - 1)
            state = try UserState.parse(decision.state.serialized())
        }
        #expect(state.failures == 3)
        #expect(state.throttledUntil == Int64.max)
    }
}

/// A number as six digits with leading zeros.
private func sixDigits(_ number: Int) -> String {
    let digits = String(number)
    return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
}
