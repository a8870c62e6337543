import Foundation
import PolicySimulation
import TestSupport
import Testing
@testable import TwoFactorCore
import TwoFactorStore

/// The fleet's SQL policy (`swift2fa.verify`) proven equal to the Swift one (`VerificationPolicy`)
/// on generated sequences (issue 18, item 2; issue 19): each seed enrolls a random user (1 to 8
/// credentials, TOTP with clock offsets and HOTP with counters, of 6, 7 or 8 digits, each with
/// or without a used step, plus backup codes) under a random policy (window, HOTP look-ahead,
/// throttle), then sends answers at generated times to both and compares every outcome, every
/// resulting state (each credential's replay state, the drift finding), and what the module
/// logs and its event hook hears of (the credential that matched, the drift, the backup codes
/// left, whether the attempt locked the factor). Between answers it unlocks, resets and
/// re-enrolls, replaces the enrollment, regenerates the backup codes, adds and removes
/// credentials and changes the policy.
///
/// Backup codes are hashed differently (PBKDF2 with a salt in Swift, bcrypt in SQL), so they are
/// compared by which code was used: the Swift state's salts and the database's tags are both
/// mapped to the code's index. The database's clock is the test clock (Tests/fleet/test-clock.sql).
@Suite(.serialized, .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/psql"),
                             "needs root and PostgreSQL (Tests/fleet/pg.sh)"))
struct PolicyDifferentialTests {
    static let seeds: [UInt64] = (0..<40).map { 0x5EED_2026_0000 + $0 }
    static let answersPerSeed = 260

    /// The Swift side of one seed's run, and what the generator knows.
    struct Model {
        var policy: VerificationPolicy
        var record: SecretRecord
        var codes: [String]
        var state: UserState
        var now: Int64

        /// Indexes of the used backup codes, by salt.
        var usedIndexes: Set<Int> {
            let used = Set(state.usedBackupSalts)
            return Set(record.backupCodes.indices.filter { used.contains(Hex.encode(record.backupCodes[$0].salt)) })
        }

        /// Indexes of the used backup codes, by the database's tags.
        func indexes(ofTags tags: Set<String>) -> Set<Int> {
            Set(record.backupCodes.indices.filter { index in
                record.backupCodes[index].tag.map { tags.contains(Hex.encode($0)) } ?? false
            })
        }

        /// The counter (TOTP: step) a code of `credential` is expected at now: its step with its
        /// offset, or the next HOTP counter.
        func expected(_ credential: Credential) -> UInt64 {
            switch credential.kind {
            case .totp: return credential.step(at: now) ?? 0
            case .hotp(let counter):
                if let last = state.state(of: credential).lastCounter, last >= counter { return last + 1 }
                return counter
            }
        }

        /// Each credential's id and last step or counter as the database lists them ("2:-" when none).
        var credentialStates: [String] {
            record.credentials.map { "\($0.id):" + (state.state(of: $0).lastCounter.map(String.init) ?? "-") }
        }

        /// The drift finding as the database keeps it: "credential-id steps time", or empty
        /// (also for a finding of a credential removed since).
        var drift: String {
            guard let finding = state.lastDrift,
                  let credential = record.credentials.first(where: { $0.fingerprint == finding.fingerprint }) else { return "" }
            return "\(credential.id) \(finding.steps) \(finding.time)"
        }
    }

    @Test("swift2fa.verify and VerificationPolicy agree on every outcome and state, over 10,000 generated answers")
    func differential() throws {
        try SQLPolicy.with { sql in
            var seen: [String: Int] = [:]
            var findings: [String] = []
            for seed in Self.seeds {
                do {
                    try Self.run(seed: seed, sql: sql, seen: &seen)
                } catch let finding as Finding {
                    findings.append(finding.text)
                }
            }
            let answers = Self.outcomes.reduce(0) { $0 + seen[$1, default: 0] }
            print("policy differential: \(answers) answers over \(Self.seeds.count) seeds, \(findings.count) differences; "
                  + seen.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            #expect(findings.isEmpty, "\(findings.count) seeds differ; the first:\n\(findings.prefix(3).joined(separator: "\n\n"))")
            #expect(answers >= 10_000)
            // The sequences reach every outcome, every rule and every admin operation, so each path is compared.
            for event in Self.outcomes + ["locked now", "unlock", "reset", "replace", "regenerate", "policy", "add", "remove",
                                          "drift", "accepted 7 digits", "accepted with an offset", "accepted beyond the first",
                                          "hotp counter moved", "replay of one credential, another accepted"] {
                #expect(seen[event, default: 0] > 0, "no \(event) in the generated sequences")
            }
        }
    }

    struct Finding: Error { let text: String }

    static let outcomes = ["accepted-totp", "accepted-hotp", "accepted-backup", "rejected", "replayed", "throttled", "locked"]

    /// One seed: counts the answers' outcomes and the operations in `seen`; throws a `Finding`
    /// at the first difference.
    static func run(seed: UInt64, sql: SQLPolicy, seen: inout [String: Int]) throws {
        var random = SeededGenerator(seed: seed)
        var log: [String] = []
        func fail(_ what: String) -> Finding {
            Finding(text: "seed \(String(seed, radix: 16)): \(what)\nlast steps:\n" + log.suffix(12).joined(separator: "\n"))
        }
        var model = try newModel(&random, now: Int64.random(in: 1_600_000_000...1_900_000_000, using: &random),
                                 policy: randomPolicy(&random))
        _ = try sql.reset()
        try sql.setPolicy(model.policy)
        log.append("policy \(model.policy)")
        try enroll(&model, sql: sql, random: &random, log: &log)

        var answers = 0
        while answers < answersPerSeed {
            advanceClock(&model, &random)
            // A locked factor refuses everything: unlock it sooner than otherwise, so most answers test more.
            let operation = model.state.locked && Int.random(in: 0..<5, using: &random) == 0
                ? 0 : Int.random(in: 0..<1000, using: &random)
            let names = [(15, "unlock"), (25, "reset"), (35, "replace"), (50, "regenerate"), (60, "policy"), (75, "add"),
                         (90, "remove")]
            switch operation {
            case 0..<15:
                let before = model.state
                model.state.failures = 0
                model.state.throttledUntil = 0
                model.state.locked = false
                model.state.backupFailures = 0
                let answer = try sql.unlock()
                log.append("unlock")
                guard let answer, answer.failures == before.failures, answer.locked == before.locked else {
                    throw fail("unlock returned \(String(describing: answer)), Swift had \(before.failures), \(before.locked)")
                }
            case 15..<25:
                guard try sql.reset() else { throw fail("reset found no enrollment") }
                let (answer, state) = try sql.verify("123456", now: model.now)
                log.append("reset; verify -> \(answer.outcome)")
                guard answer.outcome == "not-enrolled", answer.backupCodesLeft == nil, !answer.lockedNow, state == nil else {
                    throw fail("after reset: \(answer)")
                }
                model = try newModel(&random, now: model.now, policy: model.policy)
                try enroll(&model, sql: sql, random: &random, log: &log)
            case 25..<35:
                model = try newModel(&random, now: model.now, policy: model.policy)
                try enroll(&model, sql: sql, random: &random, log: &log)
            case 35..<50:
                let (codes, hashes) = try backupCodes(&random, key: model.record.backupKey)
                model.codes = codes
                model.record.backupCodes = hashes
                guard try sql.regenerateBackupCodes(codes) else { throw fail("regenerate found no enrollment") }
                log.append("regenerate backup codes \(codes)")
            case 50..<60:
                model.policy = randomPolicy(&random)
                try sql.setPolicy(model.policy)
                log.append("policy \(model.policy)")
            case 60..<75:
                guard model.record.credentials.count < Credential.maximumCount else { continue }
                let credential = randomCredential(&random, id: 0, now: model.now)
                let counter = model.expected(credential)
                let (record, added) = try model.record.adding(credential)
                model.record = record
                model.state = model.state.updating(CredentialState(fingerprint: added.fingerprint, lastCounter: counter))
                let id = try sql.add(credential, counter: counter)
                log.append("add \(added.kindName) \(added.label), counter \(counter)")
                guard id == added.id else { throw fail("add_credential gave id \(id), Swift \(added.id)") }
            case 75..<90:
                guard model.record.credentials.count > 1,
                      let removed = model.record.credentials.randomElement(using: &random) else { continue }
                model.record = try model.record.removing(String(removed.id)).record
                try sql.remove(id: removed.id)
                log.append("remove \(removed.label)")
            default:
                let typed = try answer(model, &random, seen: &seen)
                let decision = model.policy.verify(answer: typed, record: model.record, state: model.state, now: model.now)
                // What the file store's verify tells the module (the log's credential and drift, the hook's
                // backup count and lock).
                let told = LoginVerification(decision, record: model.record, before: model.state)
                let (answer, stored) = try sql.verify(typed, now: model.now)
                let before = model.state
                model.state = decision.state
                answers += 1
                count(decision, before: before, model: model, seen: &seen)
                log.append("t=\(model.now) \(typed.debugDescription): Swift \(decision.outcome), SQL \(answer.outcome)")
                guard let stored else { throw fail("the enrollment is gone") }
                let expected = SQLPolicy.Answer(outcome: decision.outcome.logName, failures: model.state.failures,
                                                throttledUntil: model.state.throttledUntil,
                                                backupCodesLeft: told.backupCodesLeft, lockedNow: told.lockedNow,
                                                credential: told.credential, drift: told.drift)
                if answer != expected { throw fail("answer: SQL \(answer), Swift \(expected)") }
                if case .throttled(let until) = decision.outcome, answer.throttledUntil != until {
                    throw fail("throttled until: SQL \(answer.throttledUntil), Swift \(until)")
                }
                try compare(model, stored, fail)
                continue
            }
            if let name = names.first(where: { operation < $0.0 })?.1 { seen[name, default: 0] += 1 }
        }
    }

    /// Counts the rules an accepted or rejected code went through.
    static func count(_ decision: VerificationPolicy.Decision, before: UserState, model: Model, seen: inout [String: Int]) {
        seen[decision.outcome.logName, default: 0] += 1
        if decision.state.locked && !before.locked { seen["locked now", default: 0] += 1 }
        if decision.drift != nil { seen["drift", default: 0] += 1 }
        guard case .acceptedCode(let match) = decision.outcome,
              let credential = model.record.credentials.first(where: { $0.id == match.credentialID }) else { return }
        if credential.digits == 7 { seen["accepted 7 digits", default: 0] += 1 }
        if case .totp(_, let offset) = credential.kind, offset != 0 { seen["accepted with an offset", default: 0] += 1 }
        if credential.id != model.record.credentials.first?.id { seen["accepted beyond the first", default: 0] += 1 }
        if case .hotp(let counter) = credential.kind, match.counter > counter { seen["hotp counter moved", default: 0] += 1 }
        // Per-credential replay: a code of another credential at a step this one used is still fresh.
        let others = model.record.credentials.filter { $0.id != credential.id && $0.isTOTP == credential.isTOTP }
        if others.contains(where: { before.state(of: $0).hasUsed(match.counter) }) {
            seen["replay of one credential, another accepted", default: 0] += 1
        }
    }

    static func compare(_ model: Model, _ stored: SQLPolicy.State, _ fail: (String) -> Finding) throws {
        let swift = model.state
        let usedSQL = model.indexes(ofTags: stored.usedTags)
        let same = stored.failures == swift.failures && stored.throttledUntil == swift.throttledUntil
            && stored.backupFailures == swift.backupFailures && stored.locked == swift.locked && usedSQL == model.usedIndexes
            && stored.usedTags.count == usedSQL.count && stored.credentials == model.credentialStates
            && stored.drift == model.drift
        if !same {
            throw fail("state: SQL \(stored) (codes \(usedSQL.sorted())), Swift failures \(swift.failures) "
                       + "throttled_until \(swift.throttledUntil) backup_failures \(swift.backupFailures) locked \(swift.locked) "
                       + "codes \(model.usedIndexes.sorted()) credentials \(model.credentialStates) drift '\(model.drift)'")
        }
    }

    // MARK: - Generation

    static func randomPolicy(_ random: inout SeededGenerator) -> VerificationPolicy {
        let base = [1, 2, 5, 30, 60, 300].randomElement(using: &random) ?? 30
        var policy = VerificationPolicy(window: Int.random(in: 0...3, using: &random),
                                        hotpWindow: [0, 1, 3, 10, 10, 40].randomElement(using: &random) ?? 10,
                                        throttle: ThrottlePolicy(
            throttleAfter: Int.random(in: 1...5, using: &random), baseDelay: base,
            maxDelay: [1, base, base * 4, 900, 86_400].randomElement(using: &random) ?? 900,
            lockAfter: [2, 3, 5, 8, 12, 20].randomElement(using: &random) ?? 5))
        policy.dummyHashIterations = 1
        return policy
    }

    /// A random credential made at `now`: mostly TOTP (a third with a clock offset), else HOTP
    /// at a random counter; 6, 7 or 8 digits; labelled by a random number.
    static func randomCredential(_ random: inout SeededGenerator, id: Int, now: Int64) -> Credential {
        let kind: Credential.Kind
        if Int.random(in: 0..<10, using: &random) < 7 {
            let offset = Int.random(in: 0..<3, using: &random) == 0 ? Int.random(in: Credential.offsetRange, using: &random) : 0
            kind = .totp(period: [15, 30, 30, 60, 300].randomElement(using: &random) ?? 30, offset: offset)
        } else {
            kind = .hotp(counter: UInt64.random(in: 0...1_000, using: &random))
        }
        return Credential(id: id, label: "c\(UInt32.random(in: 0...UInt32.max, using: &random))", kind: kind,
                          algorithm: HashAlgorithm.allCases.randomElement(using: &random) ?? .sha1,
                          digits: [6, 6, 7, 8].randomElement(using: &random) ?? 6,
                          secret: random.bytes([10, 20, 32, 64].randomElement(using: &random) ?? 20), created: now)
    }

    /// A random enrollment at `now` (not yet sent to the database): mostly one credential, up
    /// to eight.
    static func newModel(_ random: inout SeededGenerator, now: Int64, policy: VerificationPolicy) throws -> Model {
        let count = Bool.random(using: &random) ? 1 : Int.random(in: 2...Credential.maximumCount, using: &random)
        let credentials = (1...count).map { randomCredential(&random, id: $0, now: now) }
        let key = random.bytes(20)
        let (codes, hashes) = try backupCodes(&random, key: key)
        let record = SecretRecord(credentials: credentials, created: now, backupKey: key, backupCodes: hashes)
        return Model(policy: policy, record: record, codes: codes, state: UserState(), now: now)
    }

    /// Five letter codes and two 8-digit ones (as google-authenticator imports), tagged with `key`.
    static func backupCodes(_ random: inout SeededGenerator, key: [UInt8]) throws -> (codes: [String], hashes: [BackupCodeHash]) {
        var seeded = random
        let generated = BackupCodes.generate(count: 5, secret: key, iterations: 1, randomBytes: { seeded.bytes($0) })
        random = seeded
        let letters = try #require(generated)
        let digits = (0..<2).map { _ in String(format: "%08d", Int.random(in: 0...99_999_999, using: &random)) }
        let codes = letters.codes + digits
        let hashed = try #require(BackupCodes.hashes(for: codes, secret: key, iterations: 1))
        try #require(hashed.dropped == 0, "a tag collision in the seeded codes")
        return (codes, hashed.hashes)
    }

    /// Sends the model's enrollment to the database, each credential with no used step or a
    /// recent one (as a confirming code or an import leaves it), and gives the Swift side the
    /// matching state.
    static func enroll(_ model: inout Model, sql: SQLPolicy, random: inout SeededGenerator, log: inout [String]) throws {
        var used: [CredentialState] = []
        for credential in model.record.credentials where Bool.random(using: &random) {
            let expected = model.expected(credential)
            let last = credential.isTOTP ? expected - UInt64.random(in: 0...1, using: &random)
                : expected + UInt64.random(in: 0...2, using: &random) - (expected > 0 ? 1 : 0)
            used.append(CredentialState(fingerprint: credential.fingerprint, lastCounter: last))
        }
        model.state = UserState(failures: 0, throttledUntil: 0, locked: false, usedBackupSalts: [], credentials: used)
        try sql.enroll(model.record, used: used, codes: model.codes, now: model.now)
        log.append("enroll \(model.record.credentials.map { "\($0.label) \($0.kind) \($0.algorithm) \($0.digits)" }) "
                   + "used \(model.credentialStates), codes \(model.codes)")
    }

    /// Clock moves: small steps, a time step, exactly at or just before the back-off's end,
    /// long jumps, and now and then a step back (a clock corrected by NTP).
    static func advanceClock(_ model: inout Model, _ random: inout SeededGenerator) {
        let until = model.state.throttledUntil
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<35: model.now += Int64.random(in: 0...5, using: &random)
        case 35..<50: model.now += Int64(model.record.parameters.period)
        case 50..<60: if until > model.now { model.now = until }
        case 60..<66: if until > model.now + 1 { model.now = until - 1 }
        case 66..<76: model.now += Int64.random(in: 1...2_000, using: &random)
        case 76..<79: model.now -= Int64.random(in: 1...90, using: &random)
        default: model.now += 1
        }
    }

    /// One answer: codes of any credential in and out of its window (and out to the drift
    /// search), replays, right, used and wrong backup codes in the ways people type them, and
    /// answers of neither shape, sometimes wrapped in blanks.
    static func answer(_ model: Model, _ random: inout SeededGenerator, seen: inout [String: Int]) throws -> String {
        let credential = try #require(model.record.credentials.randomElement(using: &random))
        let expected = Int64(clamping: model.expected(credential))
        let window = Int64(credential.isTOTP ? model.policy.window : model.policy.hotpWindow)
        let used = model.usedIndexes  // a Set: sorted before any random pick, so a seed replays exactly
        let unused = model.codes.indices.filter { !used.contains($0) }
        func code(at counter: Int64) -> String {
            credential.code(forCounter: UInt64(max(counter, 0))) ?? ""
        }
        var typed: String
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<30:
            typed = credential.isTOTP ? code(at: expected + Int64.random(in: -(window + 2)...(window + 2), using: &random))
                : code(at: expected + Int64.random(in: -2...(window + 2), using: &random))
        case 30..<38:
            let away = Int64.random(in: (window + 1)...max(window + 1, Int64(DriftFinding.searchedSteps) + 2), using: &random)
            typed = code(at: expected + (Bool.random(using: &random) ? away : -away))
        case 38..<45:
            typed = code(at: Int64(clamping: model.state.state(of: credential).lastCounter ?? 0))
        case 45..<52:
            typed = String((0..<credential.digits).map { _ in Character(String(Int.random(in: 0...9, using: &random))) })
        case 52..<62:
            let index = unused.randomElement(using: &random) ?? Int.random(in: 0..<model.codes.count, using: &random)
            typed = formatted(model.codes[index], &random)
        case 62..<67:
            let index = used.sorted().randomElement(using: &random) ?? Int.random(in: 0..<model.codes.count, using: &random)
            typed = formatted(model.codes[index], &random)
        case 67..<74:
            typed = Bool.random(using: &random)
                ? String(decoding: (0..<10).map { _ in BackupCodes.alphabet.randomElement(using: &random) ?? 0x61 }, as: UTF8.self)
                : String(format: "%08d", Int.random(in: 0...99_999_999, using: &random))
        case 74..<78:
            typed = model.codes[model.codes.count - 1 - Int.random(in: 0...1, using: &random)]
        default:
            let code = code(at: expected)
            typed = [
                "", " ", "\t", "abc", "12345", "1234567", "123456789", "123 456", String(code.dropLast()), code + "0",
                "ÄBCDE-FGHJK", "abcde-fghjk-mnpqr", "abcdefghjkmnpqrst", "abcdefg", "a1b2c3d4", "ABCD EFGH",
                "\n" + code, code + "\r\n", " \t" + code + " \t\r\n", code.replacingOccurrences(of: "1", with: "l"),
                "--------", "abcde_fghjk", "１２３４５６",
            ].randomElement(using: &random) ?? ""
        }
        switch Int.random(in: 0..<10, using: &random) {
        case 0: typed = " \t" + typed
        case 1: typed += " \r\n"
        case 2: typed += "\n"
        default: break
        }
        return typed
    }

    /// A backup code as a person might type it.
    static func formatted(_ code: String, _ random: inout SeededGenerator) -> String {
        switch Int.random(in: 0..<6, using: &random) {
        case 0: return code.uppercased()
        case 1: return code.replacingOccurrences(of: "-", with: "")
        case 2: return code.replacingOccurrences(of: "-", with: " ")
        case 3: return String(code.prefix(3)) + "\t" + String(code.dropFirst(3))
        case 4: return String(code.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.uppercased()) : $0.element })
        default: return code
        }
    }
}
