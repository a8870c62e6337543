import Foundation
import Glibc
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

extension ModuleThroughLibPAM {
/// The syncs a login costs, counted with strace on real logins through libpam and the built
/// module: an accepted login writes its state in place with one fdatasync (`StateSlotFile`).
@Suite("Syncs per login")
struct SyncCountTests {
    /// Runs one login with the driver under `strace -f -e trace=fsync,fdatasync`; returns the
    /// run and how many fsync and fdatasync calls the login process (and any child) made.
    static func traced(_ harness: PAMHarness, _ user: String, answer: String) throws -> (run: PAMRun, fsync: Int, fdatasync: Int) {
        let trace = harness.root.appendingPathComponent("sync-\(UUID().uuidString).trace").path
        defer { unlink(trace) }
        var environment = harness.driverEnvironment(items: [:])
        // Preloaded into the driver only, not into strace.
        let preload = environment.removeValue(forKey: "LD_PRELOAD") ?? ""
        let output = try Program.run("/usr/bin/strace", ["-f", "-qq", "-e", "trace=fsync,fdatasync", "-o", trace,
                                                         "-E", "LD_PRELOAD=\(preload)", PAMHarness.driverPath, "s2fa", user, answer],
                                     environment: environment)
        let run = PAMRun(stdout: output.stdout, stderr: output.stderr)
        // Lines such as `4242 fdatasync(5) = 0`.
        let calls = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").compactMap { line in
            line.split(separator: " ").dropFirst().first?.split(separator: "(").first
        }
        return (run, calls.filter { $0 == "fsync" }.count, calls.filter { $0 == "fdatasync" }.count)
    }

    @Test("an accepted login: one fdatasync, no fsync; a refused one: the fdatasync of its failure; a throttled one: none")
    func syncsPerLogin() throws {
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/strace"), "strace is not installed (apt-get install strace)")
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try harness.enroll("root")
        let totp = try #require(record.totp)
        PAMHarness.waitForFreshStep(margin: 15)
        let step = FaultSupport.step(record)
        // The first login creates the state file whole: the new file and its directory are synced.
        let first = try Self.traced(harness, "root", answer: try #require(totp.code(forStep: step - 1)))
        #expect(first.run.outcome == "accepted-totp", "\(first.run.logs)")
        #expect((first.fsync, first.fdatasync) == (2, 0), "creating the state file: \(first)")
        for offset: UInt64 in [0, 1] {
            let accepted = try Self.traced(harness, "root", answer: try #require(totp.code(forStep: step + offset)))
            #expect(accepted.run.outcome == "accepted-totp", "\(accepted.run.logs)")
            #expect((accepted.fsync, accepted.fdatasync) == (0, 1), "an accepted login at step +\(offset): \(accepted)")
        }
        #expect(try harness.store.readState(user: "root").lastStep == step + 1)
        // A wrong code is a failure, which the throttle must keep: its one fdatasync. The third
        // starts the back-off; an attempt during it is refused unchecked and writes nothing.
        for attempt in 1...3 {
            let refused = try Self.traced(harness, "root", answer: "000000")
            #expect(refused.run.outcome == "rejected", "\(refused.run.logs)")
            #expect((refused.fsync, refused.fdatasync) == (0, 1), "refused attempt \(attempt): \(refused)")
        }
        let throttled = try Self.traced(harness, "root", answer: "000000")
        #expect(throttled.run.outcome == "throttled", "\(throttled.run.logs)")
        #expect((throttled.fsync, throttled.fdatasync) == (0, 0), "a throttled attempt: \(throttled)")
        #expect(try harness.store.readState(user: "root").failures == 3)
    }

    @Test("a text state file of an earlier version is replaced once, then updated in place")
    func upgradeFromText() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try harness.enroll("root")
        let totp = try #require(record.totp)
        let statePath = harness.store.statePath(for: "root")
        PAMHarness.waitForFreshStep(margin: 10)
        let step = FaultSupport.step(record)
        let old = UserState(lastStep: step - 2, failures: 1, throttledUntil: 0, locked: false, usedBackupSalts: [])
        #expect(FileManager.default.createFile(atPath: statePath, contents: Data(old.serialized().utf8),
                                               attributes: [.posixPermissions: 0o600]))
        let upgrade = try Self.traced(harness, "root", answer: try #require(totp.code(forStep: step)))
        #expect(upgrade.run.outcome == "accepted-totp", "\(upgrade.run.logs)")
        #expect((upgrade.fsync, upgrade.fdatasync) == (2, 0), "the upgrade: \(upgrade)")
        #expect(StateSlotFile.isSlotFile(Array(FaultSupport.contents(statePath) ?? Data())))
        let next = try Self.traced(harness, "root", answer: try #require(totp.code(forStep: step + 1)))
        #expect(next.run.outcome == "accepted-totp", "\(next.run.logs)")
        #expect((next.fsync, next.fdatasync) == (0, 1), "after the upgrade: \(next)")
        let state = try harness.store.readState(user: "root")
        #expect(state.lastStep == step + 1 && state.failures == 0)
    }
}
}
