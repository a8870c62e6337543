import Foundation
import Glibc
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

extension ModuleThroughLibPAM {
/// Security regressions: races on the secret file, foreign owners, loose modes,
/// path tricks in the user name, backup-code reuse, and the throttle's bound.
@Suite("Security regressions", .requiresRoot("files and homes are handed to other users"))
struct SecurityTests {
    /// A valid secret file text for `secret`.
    private static func secretText(_ secret: [UInt8]) -> String {
        SecretRecord(secret: secret, parameters: .standard, created: 1_700_000_000).serialized()
    }

    private static func writeFile(_ path: String, _ text: String, mode: mode_t = 0o600, owner: uid_t? = nil) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        #expect(chmod(path, mode) == 0)
        if let owner { #expect(chown(path, owner, 30000) == 0) }
    }

    @Test("the secret swapped for a symlink between check and open is never followed", arguments: ["store", "home"])
    func symlinkSwapRace(mode: String) throws {
        let harness = try PAMHarness()
        let user = "s2fa-victim"
        let home = harness.root.appendingPathComponent("home/\(user)").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        #expect(chown(home, 30000, 30000) == 0)
        let environment = try FaultSupport.fakeUsers(harness, [user], homes: [user: home])
        // Throttling would hide the check; keep every attempt checked.
        let secretPath: String
        if mode == "home" {
            try harness.moduleOnly("secret=~/.swift-2fa throttle_after=100 lock_after=100")
            secretPath = home + "/.swift-2fa"
        } else {
            try harness.moduleOnly("throttle_after=100 lock_after=100")
            secretPath = harness.store.secretPath(for: user)
        }
        let owner: uid_t = mode == "home" ? 30000 : 0
        let real = Array(repeating: UInt8(0x11), count: 20)
        let foreign = Array(repeating: UInt8(0x22), count: 20)
        // The attacker's target: a valid, root-owned secret file elsewhere (e.g. another user's).
        let target = harness.root.appendingPathComponent("foreign.secret").path
        try Self.writeFile(target, Self.secretText(foreign))
        let realCopy = harness.root.appendingPathComponent("real.secret").path
        try Self.writeFile(realCopy, Self.secretText(real), owner: owner)
        try Self.writeFile(secretPath, Self.secretText(real), owner: owner)

        // The attacker: atomically swaps the secret between the real file and a symlink.
        let control = AttackerControl()
        let linkTemp = secretPath + ".link"
        let fileTemp = secretPath + ".file"
        let attacker = Thread {
            while !control.stopped {
                unlink(linkTemp)
                symlink(target, linkTemp)
                rename(linkTemp, secretPath)
                unlink(fileTemp)
                if let data = FileManager.default.contents(atPath: realCopy) {
                    _ = FileManager.default.createFile(atPath: fileTemp, contents: data, attributes: [.posixPermissions: 0o600])
                    chown(fileTemp, owner, owner == 0 ? 0 : 30000)
                }
                rename(fileTemp, secretPath)
                control.swapped()
            }
        }
        attacker.start()
        var outcomes: [String: Int] = [:]
        PAMHarness.waitForFreshStep(margin: 10)
        let foreignCode = AuthenticatorApp.code(foreign)
        for _ in 0..<6 {
            let runs = try harness.authenticateInParallel(Array(repeating: (user, foreignCode), count: 8), items: environment)
            for run in runs {
                #expect(run.result != PAM.success, "accepted the symlink target's code: \(run.logs)")
                outcomes[run.outcome ?? "none", default: 0] += 1
            }
        }
        control.stop()
        while !attacker.isFinished { usleep(1000) }
        #expect(outcomes["accepted-totp"] == nil, "\(outcomes)")
        #expect(control.swaps > 10, "the attacker barely ran (\(control.swaps) swaps)")
        // Both sides of the race were seen: the symlink refused, the real file read (and the code rejected).
        #expect((outcomes["file-error"] ?? 0) + (outcomes["rejected"] ?? 0) == 48, "\(outcomes)")
    }

    /// Shared between the test and its attacker thread.
    final class AttackerControl: @unchecked Sendable {
        private let lock = NSLock()
        private var isStopped = false
        private var count = 0
        var stopped: Bool { lock.withLock { isStopped } }
        var swaps: Int { lock.withLock { count } }
        func stop() { lock.withLock { isStopped = true } }
        func swapped() { lock.withLock { count += 1 } }
    }

    @Test("a user-owned secret or state under the root store is refused")
    func userOwnedFilesInStore() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let environment = try FaultSupport.fakeUsers(harness, ["s2fa-user"])
        let record = try harness.enroll("s2fa-user")
        let secretPath = harness.store.secretPath(for: "s2fa-user")
        #expect(chown(secretPath, 30000, 30000) == 0)
        PAMHarness.waitForFreshStep()
        let run = try harness.authenticate("s2fa-user", answers: [AuthenticatorApp.code(record.secret, record.parameters)], items: environment)
        #expect(run.result == PAM.authError)
        #expect(run.outcome == "file-error")
        #expect(run.attemptLine?.contains("owned by uid 30000") == true, "\(run.attemptLine ?? "no line")")

        // The same for the state file: a user who could write it could reset their own throttle.
        #expect(chown(secretPath, 0, 0) == 0)
        try harness.store.writeState(UserState(), user: "s2fa-user")
        #expect(chown(harness.store.statePath(for: "s2fa-user"), 30000, 30000) == 0)
        let stateRun = try harness.authenticate("s2fa-user", answers: [AuthenticatorApp.code(record.secret, record.parameters)], items: environment)
        #expect(stateRun.result == PAM.authError)
        #expect(stateRun.outcome == "state-error", "\(stateRun.logs)")
        #expect(stateRun.attemptLine?.contains("owned by uid 30000") == true, "\(stateRun.attemptLine ?? "no line")")
    }

    @Test("a group- or world-readable secret is refused, in the store and in home mode",
          arguments: [("store", mode_t(0o640)), ("store", 0o604), ("home", 0o640), ("home", 0o604), ("home", 0o644)])
    func looseModes(place: String, mode: mode_t) throws {
        let harness = try PAMHarness()
        let user = "s2fa-user"
        let home = harness.root.appendingPathComponent("home/\(user)").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let environment = try FaultSupport.fakeUsers(harness, [user], homes: [user: home])
        let secret = Array(repeating: UInt8(0x33), count: 20)
        let path: String
        if place == "home" {
            try harness.moduleOnly("secret=${HOME}/.swift-2fa")
            path = home + "/.swift-2fa"
            try Self.writeFile(path, Self.secretText(secret), mode: mode, owner: 30000)
        } else {
            try harness.moduleOnly()
            path = harness.store.secretPath(for: user)
            try Self.writeFile(path, Self.secretText(secret), mode: mode)
        }
        PAMHarness.waitForFreshStep()
        let code = AuthenticatorApp.code(secret)
        let run = try harness.authenticate(user, answers: [code], items: environment)
        #expect(run.result == PAM.authError)
        #expect(run.outcome == "file-error")
        #expect(run.attemptLine?.contains("accessible by group or others") == true, "\(run.attemptLine ?? "no line")")
    }

    @Test("path tricks in the user name are refused before any file is touched",
          arguments: ["../root", "..", ".", "root/../root", "../../etc/shadow", "root\nuser=admin"])
    func pathTricksInUserName(user: String) throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        // A valid secret where "../root" would lead: <store>/../root.secret.
        let secret = Array(repeating: UInt8(0x44), count: 20)
        try Self.writeFile(harness.root.appendingPathComponent("root.secret").path, Self.secretText(secret))
        PAMHarness.waitForFreshStep()
        let code = AuthenticatorApp.code(secret)
        let run = try harness.authenticate(user, answers: [code])
        #expect(run.result == PAM.authError, "\(run.logs)")
        #expect(run.outcome == "bad-user", "\(run.logs)")
        #expect(run.attemptLine?.contains("\n") != true)
        #expect(!FileManager.default.fileExists(atPath: harness.root.appendingPathComponent("root.state").path))
        #expect(!FileManager.default.fileExists(atPath: harness.root.appendingPathComponent("root.lock").path))
    }

    @Test("a used backup code is refused in every spelling, and each reuse counts as a failure")
    func backupCodeReuse() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        try harness.enroll("root", backupCodes: ["abcde-fghjk", "mnpqr-stuvw"])
        #expect(try harness.authenticate("root", answers: ["abcde-fghjk"]).outcome == "accepted-backup")
        for (index, spelling) in ["abcde-fghjk", "ABCDEFGHJK"].enumerated() {
            let run = try harness.authenticate("root", answers: [spelling])
            #expect(run.result == PAM.authError)
            #expect(run.outcome == "rejected")
            #expect(try harness.store.readState(user: "root").failures == index + 1)
        }
        let state = try harness.store.readState(user: "root")
        #expect(state.usedBackupSalts.count == 1)
        // Reuse even while throttled is checked and counted; the unused code still works.
        _ = try harness.authenticate("root", answers: [" abcde fghjk "])
        #expect(try harness.store.readState(user: "root").failures == 3)
        #expect(try harness.authenticate("root", answers: ["mnpqr-stuvw"]).outcome == "accepted-backup")
    }

    // MARK: - The throttle's bound, simulated with an injected clock

    /// A small deterministic generator (SplitMix64), so the simulation is reproducible.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    struct Simulation {
        var attempts = 0          // guesses the attacker tried to submit
        var checked = 0           // guesses actually verified (not throttled or locked)
        var successes = 0
        var lockedAt: Int64?      // simulated seconds after the start when the lock hit
        var elapsed: Int64 = 0
    }

    /// An attacker who knows the password submits random 6-digit codes as fast as the
    /// policy allows: after each failure the clock jumps exactly to `throttledUntil`.
    /// With `legitimateEvery`, the real user logs in successfully at that interval
    /// (which resets the failure count). Stops at `guesses` attempts or one year.
    static func simulate(guesses: Int, policy: VerificationPolicy, legitimateEvery: Int64? = nil, seed: UInt64 = 2024) -> Simulation {
        let year: Int64 = 365 * 86_400
        let start: Int64 = 1_767_225_600  // 2026-01-01
        let record = SecretRecord(secret: Array("12345678901234567890".utf8), parameters: .standard, created: 0)
        var state = UserState()
        var now = start
        var nextLegitimate = legitimateEvery.map { start + $0 }
        var random = SplitMix64(state: seed)
        var result = Simulation()
        while result.attempts < guesses && now - start < year {
            if let due = nextLegitimate, now >= due, let code = record.totp?.code(at: due) {
                let decision = policy.verify(answer: code, record: record, state: state, now: due)
                if decision.stateChanged { state = decision.state }
                nextLegitimate = due + (legitimateEvery ?? year)
            }
            let guess = String(format: "%06d", Int.random(in: 0..<1_000_000, using: &random))
            result.attempts += 1
            let decision = policy.verify(answer: guess, record: record, state: state, now: now)
            switch decision.outcome {
            case .acceptedCode, .acceptedBackup:
                result.successes += 1
                result.checked += 1
                state = decision.state
            case .rejected, .replayed:
                result.checked += 1
                state = decision.state
                if state.locked && result.lockedAt == nil { result.lockedAt = now - start }
            case .throttled(let until):
                now = until
                continue
            case .locked:
                // Nothing more to gain until an admin unlocks (or, with legitimate
                // logins, never: the lock also holds for the real user).
                if legitimateEvery == nil { result.elapsed = now - start; return result }
                now = nextLegitimate ?? now + 3600
                continue
            }
            if state.throttledUntil > now { now = state.throttledUntil }
        }
        result.elapsed = now - start
        return result
    }

    @Test("the throttle against 1,000,000 guesses: locked after 100, success bound 3e-4 with the defaults")
    func throttleBound() {
        let policy = VerificationPolicy.standard
        let sim = Self.simulate(guesses: 1_000_000, policy: policy)
        // Each checked guess matches one of the 3 codes in the window (±1 step) with probability 3/10^6.
        let perGuess = Double(2 * policy.window + 1) / 1_000_000
        let bound = 1 - pow(1 - perGuess, Double(sim.checked))
        #expect(sim.checked == 100, "checked \(sim.checked) guesses")
        #expect(sim.lockedAt != nil)
        #expect((sim.lockedAt ?? .max) < 86_400, "locked after \(sim.lockedAt ?? -1) s")
        #expect(bound <= 3.0e-4)
        print("throttle: \(sim.attempts) guesses tried, \(sim.checked) checked, locked after \(sim.lockedAt ?? -1) s, success bound \(bound)")

        // google-authenticator with RATE_LIMIT 3 30 and WINDOW_SIZE 3: 3 checked guesses
        // every 30 s for a year, each matching 3 of 10^6 codes, and no lock.
        let gaChecked = 3.0 * Double(365 * 86_400) / 30
        let gaBound = 1 - pow(1 - perGuess, gaChecked)
        #expect(gaBound > 0.9999)
        #expect(bound < gaBound / 3000)
    }

    @Test("the real user's TOTP logins every 8 hours do not reset the count while the attacker keeps it throttled")
    func throttleBoundWithLegitimateLogins() {
        let policy = VerificationPolicy.standard
        let sim = Self.simulate(guesses: 1_000_000, policy: policy, legitimateEvery: 8 * 3600)
        let perGuess = Double(2 * policy.window + 1) / 1_000_000
        let bound = 1 - pow(1 - perGuess, Double(sim.checked))
        print("throttle, real user every 8 h: \(sim.checked) guesses checked in a year, locked after \(sim.lockedAt ?? -1) s, success bound \(bound)")
        // The attacker guesses the moment each back-off ends, so the real user's code always
        // arrives during a back-off and is refused unchecked: it cannot reset the count.
        #expect(sim.checked == 100)
        #expect((sim.lockedAt ?? .max) < 86_400)
        #expect(bound <= 3.0e-4)
    }
}
}
