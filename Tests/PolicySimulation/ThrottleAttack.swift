import TwoFactorCore

/// An attacker who knows the password and tries to reach the lock as soon as possible, whatever
/// the mix and timing of wrong answers (issue 9, item 2). The strategies and the loop are shared
/// by the pure core's test (`ThrottleBoundTests`) and the fleet's (`SQLThrottleBoundTests`), so the
/// same attacks run against the Swift policy and the database's `swift2fa.verify`.
public enum ThrottleAttack {
    /// The shape of a wrong answer.
    public enum Shape: CaseIterable, Sendable { case code, backup }

    /// What an attacker sends next: an answer shape and when (never before `now`). `state` is
    /// what the verifier holds before the answer (the attacker is granted full knowledge).
    public typealias Strategy = @Sendable (_ state: UserState, _ now: Int64, _ random: inout SeededGenerator)
        -> (time: Int64, shape: Shape)

    /// The strategies against a policy that throttles after `throttleAfter` failures.
    public static func strategies(throttleAfter: Int) -> [(name: String, next: Strategy)] {
        [
            ("codes, each when the back-off ends", { state, now, _ in
                (max(now, state.throttledUntil), .code)
            }),
            ("backup-shaped only, as fast as any is checked", { state, now, _ in
                let exhausted = now < state.throttledUntil && state.backupFailures >= throttleAfter
                return (exhausted ? state.throttledUntil : now, .backup)
            }),
            ("the period's backup tries, then a code when the back-off ends", { state, now, _ in
                if now < state.throttledUntil && state.backupFailures < throttleAfter { return (now, .backup) }
                return (max(now, state.throttledUntil), .code)
            }),
            ("the period's backup tries, then one more every 30 s until the end", { state, now, _ in
                (now < state.throttledUntil && state.backupFailures >= throttleAfter
                    ? min(now + 30, state.throttledUntil) : now, .backup)
            }),
            ("a code, then backup-shaped at the same second the back-off ends", { state, now, _ in
                if now < state.throttledUntil {
                    return (state.backupFailures < throttleAfter ? now : state.throttledUntil, .backup)
                }
                return (now, state.failures % 2 == 0 ? .code : .backup)
            }),
            ("random shapes at random times", { state, now, random in
                let shape: Shape = Bool.random(using: &random) ? .code : .backup
                switch Int.random(in: 0..<4, using: &random) {
                case 0: return (now, shape)
                case 1: return (max(now, state.throttledUntil), shape)
                case 2: return (max(now, state.throttledUntil - 1), shape)
                default: return (now + Int64.random(in: 1...120, using: &random), shape)
                }
            }),
        ]
    }

    /// The least time from the first failure to the lock that `policy` allows: the sum of the
    /// back-offs after failures `throttleAfter` to `lockAfter - 1`.
    public static func minimumLockTime(_ policy: ThrottlePolicy) -> Int64 {
        (policy.throttleAfter..<max(policy.throttleAfter, policy.lockAfter))
            .reduce(0) { $0 + Int64(policy.delay(afterFailures: $1)) }
    }

    /// The result of one simulated attack.
    public struct Run: Sendable {
        /// When the factor locked; nil if it did not within the answer limit.
        public var lockedAt: Int64?
        public var answers = 0
        /// Every distinct failure count seen, in order.
        public var failuresSeen: [Int] = []
        /// True when the strategy asked for a time before the previous answer's.
        public var wentBackInTime = false
    }

    /// Runs `strategy` from `start` until the factor locks or `limit` answers were sent.
    /// `answer` makes a wrong answer of a shape at a time; `verify` checks it against the
    /// verifier under test and returns the state afterwards.
    public static func run<Failure: Error>(
        _ strategy: Strategy, start: Int64, seed: UInt64, limit: Int,
        answer: (Shape, Int64, inout SeededGenerator) -> String,
        verify: (_ answer: String, _ now: Int64) throws(Failure) -> UserState
    ) throws(Failure) -> Run {
        var random = SeededGenerator(seed: seed)
        var state = UserState()
        var now = start
        var run = Run()
        while run.answers < limit {
            let (time, shape) = strategy(state, now, &random)
            if time < now { run.wentBackInTime = true }
            now = max(now, time)
            let typed = answer(shape, now, &random)
            state = try verify(typed, now)
            run.answers += 1
            if state.failures != run.failuresSeen.last { run.failuresSeen.append(state.failures) }
            if state.locked {
                run.lockedAt = now
                return run
            }
        }
        return run
    }
}
