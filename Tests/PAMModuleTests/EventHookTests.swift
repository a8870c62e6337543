import Foundation
import Glibc
import Testing
import TestSupport
import TwoFactorCore

extension ModuleThroughLibPAM {
/// The admin's event hook (`notify =` in the configuration file) through real libpam: what
/// it hears, in which environment, and that it never holds up or changes a login.
@Suite("Event hooks through libpam", .serialized)
struct EventHookTests {
    /// A hook script in the harness directory that appends its standard input to
    /// `events.json` and its environment to `events.env`, then runs `extra`.
    static func hook(_ harness: PAMHarness, extra: String = "", mode: mode_t = 0o755) throws -> String {
        let path = harness.root.appendingPathComponent("notify").path
        let out = harness.root.path
        try "#!/bin/sh\ncat >> \(out)/events.json\nenv >> \(out)/events.env\n\(extra)\n"
            .write(toFile: path, atomically: false, encoding: .utf8)
        #expect(chmod(path, mode) == 0)
        return path
    }

    /// The configuration file naming `program`, plus `more` lines.
    static func config(_ harness: PAMHarness, program: String, more: String = "") throws -> String {
        try ConfigFileLoginTests.config(harness, "notify = \(program)\n\(more)")
    }

    /// The lines `events.json` has once it holds `count` of them (waited for up to 5 s:
    /// the hook runs detached).
    static func events(_ harness: PAMHarness, count: Int) -> [String] {
        let path = harness.root.appendingPathComponent("events.json").path
        var lines: [String] = []
        for _ in 0..<100 {
            lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            if lines.count >= count { break }
            usleep(50_000)
        }
        return lines
    }

    static func object(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("a backup code used, and two or fewer left: one JSON object each, without the code, in a clean environment")
    func backupCodes() throws {
        let harness = try PAMHarness()
        let program = try Self.hook(harness)
        let config = try Self.config(harness, program: program)
        try harness.service(["auth required \(PAMHarness.wrapperModules)/pam_set_items.so",
                             harness.moduleLine("config=\(config)")])
        let codes = ["abcde-fghjk", "bcdef-ghjkm", "cdefg-hjkmn"]
        try harness.enroll("root", backupCodes: codes)
        let first = try harness.authenticate("root", answers: [codes[0]], items: ["PAM_RHOST": "192.0.2.7"])
        #expect(first.outcome == "accepted-backup")
        let events = Self.events(harness, count: 2)
        #expect(events.count == 2, "\(events)")
        // The two hooks run detached, side by side: in either order.
        let objects = try events.map(Self.object)
        #expect(Set(objects.compactMap { $0["event"] as? String }) == ["backup-code-used", "backup-codes-low"], "\(events)")
        let used = try #require(objects.first { $0["event"] as? String == "backup-code-used" })
        #expect(used["user"] as? String == "root")
        #expect(used["service"] as? String == "s2fa" && used["rhost"] as? String == "192.0.2.7")
        #expect(used["backup_codes_left"] as? Int == 2 && (used["time"] as? Int ?? 0) > 1_700_000_000)
        #expect(!(used["host"] as? String ?? "").isEmpty)
        #expect(!events.joined().contains(codes[0]) && !events.joined().contains("abcdefghjk"))

        let environment = (try? String(contentsOfFile: harness.root.appendingPathComponent("events.env").path, encoding: .utf8)) ?? ""
        let names = Set(environment.split(separator: "\n").compactMap { $0.split(separator: "=").first.map(String.init) })
        #expect(!names.contains("LD_PRELOAD") && !names.contains("PAM_WRAPPER") && !names.contains("PAM_RHOST"), "\(names)")
        #expect(environment.contains("PATH=/usr/sbin:/usr/bin:/sbin:/bin"))

        // A code accepted is no event.
        PAMHarness.waitForFreshStep()
        let record = try harness.store.readSecret(user: "root")
        let code = AuthenticatorApp.code(try #require(record).secret)
        #expect(try harness.authenticate("root", answers: [code]).outcome == "accepted-totp")
        usleep(500_000)
        #expect(Self.events(harness, count: 3).count == 2)
    }

    @Test("the lock is an event")
    func lock() throws {
        let harness = try PAMHarness()
        let config = try Self.config(harness, program: try Self.hook(harness), more: "lock_after = 2\nthrottle_after = 5\n")
        try harness.moduleOnly("config=\(config)")
        try harness.enroll("root")
        #expect(try harness.authenticate("root", answers: ["000000"]).outcome == "rejected")
        #expect(try harness.authenticate("root", answers: ["000001"]).outcome == "rejected")
        #expect(try harness.authenticate("root", answers: ["000002"]).outcome == "locked")
        let events = Self.events(harness, count: 1)
        #expect(events.count == 1, "\(events)")
        #expect(try Self.object(try #require(events.first))["event"] as? String == "locked")
    }

    @Test("a hook that sleeps 30 s does not hold up the login, and is killed after 10 s")
    func slowHook() throws {
        let harness = try PAMHarness()
        let finished = harness.root.appendingPathComponent("finished").path
        let program = try Self.hook(harness, extra: "sleep 30\ntouch \(finished)")
        try harness.moduleOnly("config=\(try Self.config(harness, program: program))")
        try harness.enroll("root", backupCodes: ["abcde-fghjk"])
        let run = try harness.authenticate("root", answers: ["abcde-fghjk"])
        #expect(run.outcome == "accepted-backup" && run.result == PAM.success)
        #expect(Self.events(harness, count: 2).count == 2, "the hook started")
        #expect(!FileManager.default.fileExists(atPath: finished), "the login returned while the hook still ran")
        // The hook's shell and its sleep are gone 10 s on (killed), long before the sleep ends.
        sleep(12)
        let remaining = try Program.run("/usr/bin/pgrep", ["-f", program]).stdout
        #expect(remaining.isEmpty, "still running: \(remaining)")
        #expect(!FileManager.default.fileExists(atPath: finished))
    }

    @Test("a program others may change is not run; the login goes on and logs why")
    func untrusted() throws {
        let harness = try PAMHarness()
        let program = try Self.hook(harness, mode: 0o775)
        try harness.moduleOnly("config=\(try Self.config(harness, program: program))")
        try harness.enroll("root", backupCodes: ["abcde-fghjk"])
        let run = try harness.authenticate("root", answers: ["abcde-fghjk"])
        #expect(run.outcome == "accepted-backup" && run.result == PAM.success)
        #expect(run.logs.contains { $0.text.contains("notify program refused") && $0.text.contains("writable by group or others") },
                "\(run.logs)")
        usleep(500_000)
        #expect(Self.events(harness, count: 1).isEmpty)
    }

    @Test("notify is set in the configuration file only, never on a module line")
    func fileOnly() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly("notify=/bin/true")
        let run = try harness.authenticate("root", answers: ["000000"])
        #expect(run.result == PAM.serviceError && run.outcome == "config-error")
    }
}
}
