import Testing
@testable import TwoFactorCore

@Suite("ThrottlePolicy")
struct ThrottlePolicyTests {
    @Test("the standard policy: 3 failures, 30 s doubling to 900 s, lock after 100")
    func standard() {
        let policy = ThrottlePolicy.standard
        #expect(policy.throttleAfter == 3)
        #expect(policy.baseDelay == 30)
        #expect(policy.maxDelay == 900)
        #expect(policy.lockAfter == 100)
        #expect(ThrottlePolicy.lockAfterRange.upperBound == 100, "NIST SP 800-63B: at most 100 failures")
    }

    @Test("delays: none below the threshold, then 30, 60, 120, 240, 480, capped at 900")
    func delays() {
        let policy = ThrottlePolicy.standard
        let expected: [Int: Int] = [0: 0, 1: 0, 2: 0, 3: 30, 4: 60, 5: 120, 6: 240, 7: 480, 8: 900, 9: 900,
                                    20: 900, 33: 900, 34: 900, 99: 900, 100: 900, 1_000_000: 900, Int.max: 900]
        for (failures, delay) in expected {
            #expect(policy.delay(afterFailures: failures) == delay, "after \(failures) failures")
        }
        #expect(policy.delay(afterFailures: -1) == 0)
    }

    @Test("custom delays double from the base and never exceed the maximum")
    func customDelays() {
        let policy = ThrottlePolicy(throttleAfter: 1, baseDelay: 1, maxDelay: 86_400, lockAfter: 100)
        for failures in 1...17 {
            #expect(policy.delay(afterFailures: failures) == 1 << (failures - 1))
        }
        #expect(policy.delay(afterFailures: 18) == 86_400)
        let big = ThrottlePolicy(throttleAfter: 1, baseDelay: 86_400, maxDelay: 86_400, lockAfter: 100)
        for failures in [1, 2, 31, 32, 64, 100, Int.max] {
            #expect(big.delay(afterFailures: failures) == 86_400)
        }
        let flat = ThrottlePolicy(throttleAfter: 2, baseDelay: 10, maxDelay: 10, lockAfter: 50)
        #expect(flat.delay(afterFailures: 1) == 0)
        #expect(flat.delay(afterFailures: 2) == 10)
        #expect(flat.delay(afterFailures: 50) == 10)
    }

    @Test("recordingFailure counts, throttles from `now`, and keeps the rest of the state")
    func recordingFailure() {
        let policy = ThrottlePolicy.standard
        let start = UserState(lastStep: 42, failures: 0, throttledUntil: 0, locked: false, usedBackupSalts: ["00"])
        let one = policy.recordingFailure(start, now: 1000)
        #expect(one == UserState(lastStep: 42, failures: 1, throttledUntil: 0, locked: false, usedBackupSalts: ["00"]))
        let two = policy.recordingFailure(one, now: 1001)
        #expect(two.failures == 2)
        #expect(two.throttledUntil == 0)
        let three = policy.recordingFailure(two, now: 1002)
        #expect(three.failures == 3)
        #expect(three.throttledUntil == 1032)
        let four = policy.recordingFailure(three, now: 2000)
        #expect(four.throttledUntil == 2060)
        #expect(four.lastStep == 42)
        #expect(four.usedBackupSalts == ["00"])
        #expect(!four.locked)
    }

    @Test("a failure starts the back-off period's backup tries over; a backup try counts only there")
    func backupTries() {
        let policy = ThrottlePolicy.standard
        let start = UserState(lastStep: 1, failures: 4, throttledUntil: 1030, locked: false, usedBackupSalts: [],
                              backupFailures: 3)
        #expect(!policy.allowsBackupCheck(start))
        let failed = policy.recordingFailure(start, now: 1030)
        #expect(failed.backupFailures == 0)
        #expect(failed.failures == 5)
        #expect(policy.allowsBackupCheck(failed))
        var tried = failed
        for expected in 1...3 {
            tried = policy.recordingBackupFailure(tried)
            #expect(tried.backupFailures == expected)
            #expect(tried.failures == 5)
            #expect(tried.throttledUntil == failed.throttledUntil)
            #expect(!tried.locked)
            #expect(policy.allowsBackupCheck(tried) == (expected < 3))
        }
        let huge = UserState(lastStep: 0, failures: 0, throttledUntil: 0, locked: false, usedBackupSalts: [],
                             backupFailures: Int.max)
        #expect(policy.recordingBackupFailure(huge).backupFailures == UserState.maximumFailures)
    }

    @Test("the lock is set at exactly lock_after failures")
    func lock() {
        let policy = ThrottlePolicy.standard
        let ninetyEight = UserState(lastStep: 0, failures: 98, throttledUntil: 0, locked: false, usedBackupSalts: [])
        let ninetyNine = policy.recordingFailure(ninetyEight, now: 0)
        #expect(ninetyNine.failures == 99)
        #expect(!ninetyNine.locked)
        let hundred = policy.recordingFailure(ninetyNine, now: 0)
        #expect(hundred.failures == 100)
        #expect(hundred.locked)
        let small = ThrottlePolicy(throttleAfter: 3, baseDelay: 30, maxDelay: 900, lockAfter: 1)
        #expect(small.recordingFailure(UserState(), now: 0).locked)
    }

    @Test("the failure count saturates instead of overflowing or exceeding what the state file accepts")
    func saturation() throws {
        let policy = ThrottlePolicy.standard
        let huge = UserState(lastStep: 0, failures: Int.max, throttledUntil: 0, locked: true, usedBackupSalts: [])
        let next = policy.recordingFailure(huge, now: 0)
        #expect(next.failures == UserState.maximumFailures)
        let atMax = UserState(lastStep: 0, failures: UserState.maximumFailures, throttledUntil: 0, locked: true, usedBackupSalts: [])
        let after = policy.recordingFailure(atMax, now: 1_764_456_000)
        #expect(after.failures == UserState.maximumFailures)
        // The result can still be written and read back.
        #expect(try UserState.parse(after.serialized()) == after)
    }

    @Test("the throttle end saturates instead of overflowing")
    func clampedTime() {
        let policy = ThrottlePolicy.standard
        let state = UserState(lastStep: 0, failures: 10, throttledUntil: 0, locked: false, usedBackupSalts: [])
        #expect(policy.recordingFailure(state, now: .max - 5).throttledUntil == .max)
        #expect(Int64.max.addingClamped(1) == .max)
        #expect(Int64.min.addingClamped(-1) == .min)
        #expect(Int64(5).addingClamped(7) == 12)
    }

    @Test("the option ranges")
    func ranges() {
        #expect(ThrottlePolicy.throttleAfterRange == 1...100)
        #expect(ThrottlePolicy.baseDelayRange == 1...86_400)
        #expect(ThrottlePolicy.maxDelayRange == 1...86_400)
        #expect(ThrottlePolicy.lockAfterRange == 1...100)
    }
}
