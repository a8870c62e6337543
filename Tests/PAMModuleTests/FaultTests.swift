import Foundation
import Glibc
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

/// Helpers shared by the fault and security tests: users from nss_wrapper, and
/// driver runs inside a private mount namespace.
enum FaultSupport {
    static let nssWrapper = "/usr/lib/x86_64-linux-gnu/libnss_wrapper.so"

    /// Writes nss_wrapper passwd and group files under the harness root with root and
    /// `users` (uid 30000 + index, home `<root>/home/<name>` unless given), and returns
    /// the environment a driver needs to see them (passed through `launch(items:)`).
    static func fakeUsers(_ harness: PAMHarness, _ users: [String], homes: [String: String] = [:]) throws -> [String: String] {
        #expect(FileManager.default.fileExists(atPath: nssWrapper), "libnss-wrapper is not installed (apt-get install libnss-wrapper)")
        var lines = ["root:x:0:0:root:/root:/bin/sh"]
        for (index, user) in users.enumerated() {
            let home = homes[user] ?? harness.root.appendingPathComponent("home/\(user)").path
            lines.append("\(user):x:\(30000 + index):30000::\(home):/usr/sbin/nologin")
        }
        let passwd = harness.root.appendingPathComponent("passwd")
        let group = harness.root.appendingPathComponent("group")
        try (lines.joined(separator: "\n") + "\n").write(to: passwd, atomically: true, encoding: .utf8)
        try "root:x:0:\ns2fa-t:x:30000:\n".write(to: group, atomically: true, encoding: .utf8)
        return ["LD_PRELOAD": "libpam_wrapper.so \(nssWrapper)",
                "NSS_WRAPPER_PASSWD": passwd.path, "NSS_WRAPPER_GROUP": group.path]
    }

    /// `fakeUsers`, with a group `name` (gid 30100) whose only member is the first of
    /// `users` (all of them have the primary group s2fa-t, 30000), and group lookups that
    /// answer "no such group" as glibc does (nss_wrapper says ENOENT; the test preload
    /// turns that into "result NULL, error 0", the only "not found" the module accepts).
    static func fakeUsers(_ harness: PAMHarness, _ users: [String], group name: String) throws -> [String: String] {
        var environment = try fakeUsers(harness, users)
        let group = try #require(environment["NSS_WRAPPER_GROUP"])
        environment["LD_PRELOAD"] = "\(try HardeningSupport.compilePreload(harness)) \(environment["LD_PRELOAD"] ?? "")"
        try "root:x:0:\ns2fa-t:x:30000:\n\(name):x:30100:\(users.first ?? "")\n".write(toFile: group, atomically: true, encoding: .utf8)
        return environment
    }

    /// Runs `script` with `/bin/sh` in a private mount namespace (`unshare -m`); the
    /// script ends with `exec "$DRIVER" s2fa USER ANSWER` (DRIVER is set), so the
    /// driver runs under pam_wrapper with the same environment as `PAMHarness.launch`.
    static func launchInNamespace(_ harness: PAMHarness, script: String) throws -> RunningLogin {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["-m", "--propagation", "private", "/bin/sh", "-c", script]
        process.environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                               "DRIVER": PAMHarness.driverPath,
                               "PAM_WRAPPER": "1",
                               "PAM_WRAPPER_SERVICE_DIR": harness.serviceDirectory.path,
                               "PAM_WRAPPER_DEBUGLEVEL": "2"]
        let login = RunningLogin(process: process)
        try process.run()
        return login
    }

    /// The bytes of a file, or nil when it cannot be read.
    static func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// The current TOTP step of a record.
    static func step(_ record: SecretRecord, offset: Int64 = 0) -> UInt64 {
        (record.totp?.step(at: Int64(Date().timeIntervalSince1970)) ?? 0) &+ UInt64(bitPattern: offset)
    }

    /// The built benchmark client (Benchmarks/client.c), compiled once per test run.
    static let benchClient: String? = {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Benchmarks/client.c").standardized.path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("s2fa-bench-client-\(getpid())").path
        for compiler in ["/usr/bin/cc", "/opt/swift/usr/bin/clang", "/usr/bin/clang"] where FileManager.default.isExecutableFile(atPath: compiler) {
            let compiled = try? Program.run(compiler, ["-O2", "-w", "-o", output, source, "-lpam", "-lcrypto", "-lpthread"])
            if compiled?.status == 0 { return output }
        }
        return nil
    }()
}

extension ModuleThroughLibPAM {
/// Load, full disks, read-only stores, crashes in the middle of a state write, and leaks.
@Suite("Faults and load", .requiresRoot("fake users through nss_wrapper in a private mount namespace, tmpfs stores"))
struct FaultTests {
    @Test("50 concurrent logins for one user with the same code: exactly one success, the rest replayed or throttled")
    func fiftySameCode() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep(margin: 15)
        let code = AuthenticatorApp.code(record.secret, record.parameters)
        let step = FaultSupport.step(record)
        let runs = try harness.authenticateInParallel(Array(repeating: ("root", code), count: 50))
        let outcomes = runs.map { $0.outcome ?? "none" }
        #expect(outcomes.filter { $0 == "accepted-totp" }.count == 1, "\(outcomes)")
        #expect(runs.filter { $0.result == PAM.success }.count == 1)
        let replayed = outcomes.filter { $0 == "replayed" }.count
        let throttled = outcomes.filter { $0 == "throttled" }.count
        #expect(replayed == 3, "\(outcomes)")
        #expect(1 + replayed + throttled == 50, "\(outcomes)")
        let state = try harness.store.readState(user: "root")
        #expect(state.lastStep == step)
        #expect(state.failures == replayed, "failures counted = replays seen")
        #expect(state.throttledUntil > Int64(Date().timeIntervalSince1970))
        #expect(!state.locked)
    }

    @Test("50 concurrent logins for 50 distinct users all succeed")
    func fiftyDistinctUsers() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let users = (0..<50).map { String(format: "s2fa-t-%02d", $0) }
        let environment = try FaultSupport.fakeUsers(harness, users)
        var records: [String: SecretRecord] = [:]
        for user in users { records[user] = try harness.enroll(user) }
        PAMHarness.waitForFreshStep(margin: 15)
        let runs = try harness.authenticateInParallel(
            users.map { user in (user, records[user].map { AuthenticatorApp.code($0.secret, $0.parameters) } ?? "") }, items: environment)
        #expect(runs.map { $0.outcome ?? "none" } == Array(repeating: "accepted-totp", count: 50), "\(runs.map { $0.attemptLine ?? $0.stderr })")
        for user in users {
            #expect(try harness.store.readState(user: user).lastStep == FaultSupport.step(records[user]!))
        }
    }

    @Test("50 concurrent uses of one backup code: exactly one success")
    func fiftySameBackupCode() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        try harness.enroll("root", backupCodes: ["abcde-fghjk", "mnpqr-stuvw"])
        let runs = try harness.authenticateInParallel(Array(repeating: ("root", "abcde-fghjk"), count: 50))
        let outcomes = runs.map { $0.outcome ?? "none" }
        #expect(outcomes.filter { $0 == "accepted-backup" }.count == 1, "\(outcomes)")
        // 3 failures start the back-off; during it 3 more wrong backup answers are checked
        // (not failures), the rest are refused unchecked.
        #expect(outcomes.filter { $0 == "rejected" }.count == 6, "\(outcomes)")
        #expect(outcomes.filter { $0 == "throttled" }.count == 43, "\(outcomes)")
        var state = try harness.store.readState(user: "root")
        #expect(state.usedBackupSalts.count == 1)
        #expect(state.failures == 3)
        #expect(state.backupFailures == 3)
        #expect(!state.locked)
        // The other code is still good once this back-off period is over.
        state.throttledUntil = 0
        try harness.store.writeState(state, user: "root")
        #expect(try harness.authenticate("root", answers: ["mnpqr-stuvw"]).outcome == "accepted-backup")
    }

    /// Prepares a secret and an old state for root outside the store, to be copied into
    /// a fresh mount: the state in slots, or as a text file of an earlier version. Returns the
    /// record and the two files' paths.
    private func prepared(_ harness: PAMHarness, textState: Bool = false) throws -> (SecretRecord, secret: String, state: String) {
        let record = try harness.enroll("root")
        let old = UserState(lastStep: FaultSupport.step(record, offset: -10), failures: 1, throttledUntil: 0,
                            locked: false, usedBackupSalts: [])
        if textState {
            try AtomicFile.write(old.serialized(), to: harness.store.statePath(for: "root"))
        } else {
            try harness.store.writeState(old, user: "root")
        }
        let secret = harness.root.appendingPathComponent("root.secret.prepared").path
        let state = harness.root.appendingPathComponent("root.state.prepared").path
        #expect(copyfile(harness.store.secretPath(for: "root"), secret))
        #expect(copyfile(harness.store.statePath(for: "root"), state))
        return (record, secret, state)
    }

    private func copyfile(_ from: String, _ to: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: from) else { return false }
        return FileManager.default.createFile(atPath: to, contents: data, attributes: [.posixPermissions: 0o600])
    }

    /// Lines of `run.stdout` that start with `prefix`, without it.
    private func lines(_ run: PAMRun, _ prefix: String) -> [String] {
        run.stdout.split(separator: "\n").filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    @Test("a full disk (64 KiB tmpfs store): a state in slots is updated in place; a text state to upgrade fails closed and truncates nothing",
          arguments: [false, true])
    func fullDisk(textState: Bool) throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let (record, secret, state) = try prepared(harness, textState: textState)
        let store = harness.storeDirectory.path
        // The state as the full store holds it after the login, copied out of the private mount.
        let after = harness.root.appendingPathComponent("after")
        try FileManager.default.createDirectory(at: after, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        PAMHarness.waitForFreshStep()
        let code = AuthenticatorApp.code(record.secret, record.parameters)
        let script = """
            set -e
            mount -t tmpfs -o size=64k,mode=0700 s2fa-full "\(store)"
            cp -p "\(secret)" "\(store)/root.secret"
            cp -p "\(state)" "\(store)/root.state"
            dd if=/dev/zero of="\(store)/filler" bs=4096 2>/dev/null || true
            set +e
            LD_PRELOAD=libpam_wrapper.so "$DRIVER" s2fa root \(code)
            echo "FREE $(df -k --output=avail "\(store)" | tail -1)"
            for f in root.secret root.state; do echo "SUM $f $(sha256sum < "\(store)/$f" | cut -c1-64)"; done
            cp -p "\(store)/root.state" "\(after.path)/root.state"
            ls -a "\(store)" | sed 's/^/FILE /'
            """
        let run = try FaultSupport.launchInNamespace(harness, script: script).wait()
        let sums = lines(run, "SUM ")
        #expect(sums.count == 2)
        #expect(sums.contains("root.secret \(try sha256(secret))"), "the secret changed on the full disk: \(sums)")
        #expect(!lines(run, "FILE ").contains { $0.contains(".tmp.") }, "a temporary file was left behind: \(lines(run, "FILE "))")
        let stateAfter = try Store(directory: after.path).readState(user: "root")
        if textState {
            // The upgrade needs a new file, which the full disk refuses: nothing is changed.
            #expect(run.result == PAM.authError, "\(run.stdout)\(run.stderr)")
            #expect(run.outcome == "state-error", "\(run.logs)")
            #expect(run.attemptLine?.contains("No space left on device") == true, "\(run.attemptLine ?? "no line")")
            #expect(run.attemptLine?.contains("not saved") == true)
            #expect(sums.contains("root.state \(try sha256(state))"), "the state changed on the full disk: \(sums)")
        } else {
            // The slots' blocks exist already: the in-place write needs no new block.
            #expect(run.result == PAM.success, "\(run.stdout)\(run.stderr)")
            #expect(run.outcome == "accepted-totp", "\(run.logs)")
            #expect(stateAfter.lastStep == FaultSupport.step(record) && stateAfter.failures == 0, "\(stateAfter)")
        }
    }

    @Test("a corrupted or cut slot: a login uses the other slot, or fails closed with a state-error line")
    func damagedSlots() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly("throttle_after=100 lock_after=100")
        let record = try harness.enroll("root")
        let path = harness.store.statePath(for: "root")
        let slot1 = StateSlotFile.blockSize
        let slot2 = StateSlotFile.blockSize + StateSlotFile.minimumSlotSize
        let textStart = StateSlotFile.slotHeaderLength
        // How the file is damaged, and the failures the login must start from (nil: it fails closed).
        let cases: [(name: String, damage: (inout [UInt8]) -> Void, failuresBefore: Int?)] = [
            ("slot 2 (newer) corrupted", { $0[slot2 + textStart + 3] ^= 0x20 }, 4),
            ("slot 1 (older) corrupted", { $0[slot1 + textStart + 3] ^= 0x20 }, 5),
            ("slot 2's checksum corrupted", { $0[slot2 + 14] ^= 0x01 }, 4),
            ("cut inside slot 2", { $0.removeSubrange((slot2 + textStart + 4)...) }, 4),
            ("both slots corrupted", { $0[slot1 + textStart + 3] ^= 0x20; $0[slot2 + textStart + 3] ^= 0x20 }, nil),
            ("cut inside slot 1", { $0.removeSubrange((slot1 + textStart + 4)...) }, nil),
            ("cut inside the header", { $0.removeSubrange(10...) }, nil),
            ("emptied", { $0.removeAll() }, nil),
        ]
        PAMHarness.waitForFreshStep(margin: 10)
        for (name, damage, failuresBefore) in cases {
            // Slot 1 (sequence 1) holds 4 failures, slot 2 (sequence 2) 5.
            unlink(path)
            for failures in [4, 5] {
                try harness.store.writeState(UserState(lastStep: FaultSupport.step(record, offset: -5), failures: failures,
                                                       throttledUntil: 0, locked: false, usedBackupSalts: []), user: "root")
            }
            var bytes = Array(try #require(FaultSupport.contents(path)))
            damage(&bytes)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            if let failuresBefore {
                let run = try harness.authenticate("root", answers: ["000000"])
                #expect(run.outcome == "rejected", "\(name): \(run.logs)")
                #expect(try harness.store.readState(user: "root").failures == failuresBefore + 1, "\(name)")
            } else {
                // Even a valid code is refused: no state is never "no failures, nothing used".
                let run = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)])
                #expect(run.result == PAM.authError, "\(name): \(run.stdout)")
                #expect(run.outcome == "state-error", "\(name): \(run.logs)")
                #expect(run.attemptLine?.contains("is damaged") == true, "\(name): \(run.attemptLine ?? "no line")")
                #expect(FaultSupport.contents(path).map { Array($0) } == bytes, "\(name): the damaged file was changed")
            }
        }
    }

    @Test("a read-only store fails closed with a clear line and changes nothing", arguments: [false, true])
    func readOnlyStore(lockExists: Bool) throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let (record, secret, state) = try prepared(harness)
        if lockExists {
            #expect(FileManager.default.createFile(atPath: harness.store.lockPath(for: "root"), contents: nil,
                                                   attributes: [.posixPermissions: 0o600]))
        }
        let store = harness.storeDirectory.path
        PAMHarness.waitForFreshStep()
        let code = AuthenticatorApp.code(record.secret, record.parameters)
        let script = """
            set -e
            mount --bind "\(store)" "\(store)"
            mount -o remount,bind,ro "\(store)"
            set +e
            LD_PRELOAD=libpam_wrapper.so "$DRIVER" s2fa root \(code)
            """
        let run = try FaultSupport.launchInNamespace(harness, script: script).wait()
        #expect(run.result == PAM.authError, "\(run.stdout)\(run.stderr)")
        #expect(["file-error", "state-error"].contains(run.outcome ?? "none"), "\(run.logs)")
        #expect(run.attemptLine?.contains("Read-only file system") == true, "\(run.attemptLine ?? "no line")")
        #expect(FaultSupport.contents(harness.store.secretPath(for: "root")) == FaultSupport.contents(secret))
        #expect(FaultSupport.contents(harness.store.statePath(for: "root")) == FaultSupport.contents(state))
    }

    private func sha256(_ path: String) throws -> String {
        String(try Program.run("/usr/bin/sha256sum", [path]).stdout.prefix(64))
    }

    @Test("SIGKILL at random moments during logins: the state always parses and never rolls back past an accepted step")
    func killDuringStateWrites() throws {
        let harness = try PAMHarness()
        // No throttling in the way: every attempt is checked and writes the state.
        try harness.moduleOnly("throttle_after=100 lock_after=100")
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep(margin: 20)
        var generator = SystemRandomNumberGenerator()
        var highestAccepted: UInt64 = 0
        var highestSeen: UInt64 = 0
        var kills = 0
        var completed = 0
        var nextValidOffset: Int64 = -1
        // The delay before the kill adapts so that about half the logins are killed,
        // however fast this machine runs them.
        var maximumDelay: UInt32 = 30_000
        var iteration = 0
        while iteration < 80 || ((kills < 15 || completed < 10) && iteration < 400) {
            defer { iteration += 1 }
            // Now and then a valid code for a later step than any before; otherwise a wrong code.
            let valid = iteration % 20 == 5 && nextValidOffset <= 1
            let step = FaultSupport.step(record, offset: nextValidOffset)
            let answer = valid ? (record.totp?.code(forStep: step) ?? "x") : String(format: "%06d", Int.random(in: 0..<1_000_000, using: &generator))
            if valid { nextValidOffset += 1 }
            let login = try harness.launch("root", answers: [answer])
            usleep(UInt32.random(in: 0..<maximumDelay, using: &generator))
            if login.process.isRunning {
                kill(login.process.processIdentifier, SIGKILL)
                kills += 1
                maximumDelay = min(maximumDelay + maximumDelay / 5, 200_000)
            } else {
                maximumDelay = max(maximumDelay - maximumDelay / 5, 1_000)
            }
            let outData = login.out.fileHandleForReading.readDataToEndOfFile()
            _ = login.err.fileHandleForReading.readDataToEndOfFile()
            login.process.waitUntilExit()
            let stdout = String(decoding: outData, as: UTF8.self)
            if stdout.contains("RESULT 0 ") {
                highestAccepted = max(highestAccepted, step)
            }
            if stdout.contains("RESULT ") { completed += 1 }
            // Whatever happened, the state on disk parses and keeps every accepted step.
            let state = try harness.store.readState(user: "root")
            #expect(state.lastStep >= highestAccepted, "rolled back below an accepted step at iteration \(iteration)")
            #expect(state.lastStep >= highestSeen, "lastStep went backwards at iteration \(iteration)")
            highestSeen = max(highestSeen, state.lastStep)
            #expect(!state.locked)
        }
        #expect(kills >= 15, "too few logins were killed to mean anything (\(kills))")
        #expect(completed >= 10, "too few logins completed to mean anything (\(completed))")
        // Leftover temporary files of killed writers do not disturb later logins.
        let after = try harness.authenticate("root", answers: ["000000"])
        #expect(after.outcome == "rejected" || after.outcome == "replayed", "\(after.logs)")
    }

    @Test("10,000 logins in one process: no memory growth (VmRSS) and all succeed", .timeLimit(.minutes(3)))
    func noLeakOverTenThousandLogins() throws {
        guard let client = FaultSupport.benchClient else {
            Issue.record("cannot compile Benchmarks/client.c (needs cc or clang, libpam0g-dev, libssl-dev)")
            return
        }
        let harness = try PAMHarness()
        try harness.moduleOnly()
        // 3,334 users x 3 window steps = 10,002 successful logins, no replays.
        let count = 3334
        let users = (0..<count).map { String(format: "s2fa-l-%05d", $0) }
        let environment = try FaultSupport.fakeUsers(harness, users)
        var lines: [String] = []
        for (index, user) in users.enumerated() {
            var seed = UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15
            let secret = (0..<20).map { _ -> UInt8 in
                seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
                return UInt8(truncatingIfNeeded: seed)
            }
            try harness.enroll(user, secret: secret)
            lines.append("\(user) \(Hex.encode(secret))")
        }
        let usersFile = harness.root.appendingPathComponent("users.txt")
        try (lines.joined(separator: "\n") + "\n").write(to: usersFile, atomically: true, encoding: .utf8)
        PAMHarness.waitForFreshStep(margin: 10)
        var env = ["PATH": "/usr/bin:/bin", "PAM_WRAPPER": "1", "PAM_WRAPPER_SERVICE_DIR": harness.serviceDirectory.path]
        for (key, value) in environment { env[key] = value }
        let out = try Program.run(client, ["leak", "s2fa", usersFile.path, String(count), "3"], environment: env).stdout
        var rss: [Int: Int] = [:]
        var ok = 0
        var failed = -1
        for line in out.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.first == "RSS", parts.count == 3, let n = Int(parts[1]), let kb = Int(parts[2]) { rss[n] = kb }
            if parts.first == "WARM", parts.count >= 3 { ok = Int(parts[1]) ?? 0; failed = Int(parts[2]) ?? -1 }
        }
        #expect(ok == 3 * count && failed == 0, "logins: \(ok) ok, \(failed) failed")
        guard let early = rss[1000], let late = rss[10000] else {
            Issue.record("no RSS samples: \(out.suffix(500))")
            return
        }
        // A leak of even 200 bytes per login would add 1.8 MB between login 1,000 and 10,000.
        // Known cause when this fails: libpam dlcloses the module at every pam_end, and what the
        // static Swift runtime allocated while loaded is never freed (about 3 KB per login).
        // Linking the module with -z nodelete keeps it loaded (docs/proof.md).
        #expect(late - early < 1024, "VmRSS grew from \(early) KiB to \(late) KiB over 9,000 logins: \(rss.sorted { $0.key < $1.key })")
    }
}
}
