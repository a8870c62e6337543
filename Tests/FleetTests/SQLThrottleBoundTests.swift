import Foundation
import PolicySimulation
import Testing
@testable import TwoFactorCore

/// The throttle-bound attacks of `ThrottleBoundTests` (issue 9, item 2) against the database's
/// `swift2fa.verify`, with the standard policy and the test clock: every strategy must take at
/// least the documented time to lock, and each answer gets the same outcome and state as the
/// Swift policy gives. Each attack runs to the lock (a few hundred to a few thousand answers);
/// the per-answer work counts are checked on the Swift side only (the database has no counter).
@Suite(.serialized, .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/psql"),
                             "needs root and PostgreSQL (Tests/fleet/pg.sh)"))
struct SQLThrottleBoundTests {
    static let start: Int64 = 1_764_456_015
    static let secret = Array("12345678901234567890".utf8)

    @Test("every attack takes at least the documented time to lock the database's factor", arguments: [6, 8])
    func lockTime(digits: Int) throws {
        let policy = VerificationPolicy.standard
        let minimum = ThrottleAttack.minimumLockTime(policy.throttle)
        #expect(minimum == 83_730, "the documented bound (ThrottleBoundTests.documentedLockTime)")
        try SQLPolicy.with { sql in
            try sql.setPolicy(policy)
            var total = 0
            for (index, strategy) in ThrottleAttack.strategies(throttleAfter: policy.throttle.throttleAfter).enumerated() {
                let seed = 0xB0B + UInt64(index)
                let run = try Self.attack(strategy.next, digits: digits, seed: seed, policy: policy, sql: sql)
                total += run.answers
                let lockedAt = try #require(run.lockedAt, "\(strategy.name): not locked after \(run.answers) answers")
                let elapsed = lockedAt - Self.start
                print("SQL throttle bound, \(digits) digits, \(strategy.name): locked after \(elapsed) s, \(run.answers) answers")
                #expect(!run.wentBackInTime, "\(strategy.name)")
                #expect(elapsed >= minimum, "\(strategy.name): locked after \(elapsed) s (seed \(seed))")
                #expect(run.failuresSeen == Array(1...policy.throttle.lockAfter), "\(strategy.name) (seed \(seed))")
                if index == 0 { #expect(elapsed == minimum, "the bound is the bound of the plain strategy") }
            }
            print("SQL throttle bound, \(digits) digits: \(total) answers")
        }
    }

    /// One attack against the database, with the Swift policy in lockstep: any difference in
    /// outcome or state stops the attack with a failure naming the seed and the answer.
    static func attack(_ strategy: ThrottleAttack.Strategy, digits: Int, seed: UInt64, policy: VerificationPolicy,
                       sql: SQLPolicy) throws -> ThrottleAttack.Run {
        let generated = try #require(BackupCodes.generate(secret: secret, iterations: 1))
        let record = SecretRecord(secret: secret, parameters: OTPParameters(algorithm: .sha1, digits: digits, period: 30),
                                  created: start, backupCodes: generated.hashes)
        let totp = try #require(TOTP(secret: secret, parameters: record.parameters))
        var swiftPolicy = policy
        swiftPolicy.dummyHashIterations = 1
        _ = try sql.reset()
        try sql.enroll(record, used: [], codes: generated.codes, now: start)
        var state = UserState()
        return try ThrottleAttack.run(strategy, start: start, seed: seed, limit: 20_000, answer: { shape, now, random in
            switch shape {
            case .code: return wrongCode(totp, window: policy.window, at: now)
            case .backup:
                return String(decoding: (0..<10).map { _ in BackupCodes.alphabet.randomElement(using: &random) ?? 0x61 },
                              as: UTF8.self)
            }
        }, verify: { (answer: String, now: Int64) throws -> UserState in
            let decision = swiftPolicy.verify(answer: answer, record: record, state: state, now: now)
            state = decision.state
            let (reply, stored) = try sql.verify(answer, now: now)
            let stateRow = try #require(stored)
            let where_ = "seed \(seed), answer \(answer.debugDescription) at \(now)"
            try #require(reply.outcome == decision.outcome.logName, "\(where_): SQL \(reply.outcome), Swift \(decision.outcome)")
            try #require(stateRow.failures == state.failures && stateRow.throttledUntil == state.throttledUntil
                         && stateRow.backupFailures == state.backupFailures && stateRow.locked == state.locked
                         && stateRow.credentials == ["1:-"] && state.lastStep == 0 && stateRow.usedTags.isEmpty,
                         "\(where_): SQL \(stateRow), Swift \(state)")
            #expect(!decision.outcome.isAccepted, "\(where_): a wrong answer was accepted")
            return UserState(failures: stateRow.failures, throttledUntil: stateRow.throttledUntil, locked: stateRow.locked,
                             usedBackupSalts: [], credentials: [], backupFailures: stateRow.backupFailures)
        })
    }

    /// A code of `digits` digits that matches no step within the window at `now`.
    static func wrongCode(_ totp: TOTP, window: Int, at now: Int64) -> String {
        let current = totp.step(at: now) ?? 0
        let valid = Set((current - UInt64(window)...current + UInt64(window)).compactMap { totp.code(forStep: $0) })
        var candidate = totp.code(forStep: current) ?? ""
        while valid.contains(candidate) {
            let bumped = (Int(candidate) ?? 0) + 1
            candidate = String(String(bumped).suffix(totp.parameters.digits))
            candidate = String(repeating: "0", count: totp.parameters.digits - candidate.count) + candidate
        }
        return candidate
    }
}
