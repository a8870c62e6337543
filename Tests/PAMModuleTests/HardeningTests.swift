import Foundation
import Glibc
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

extension PAM {
    static let convError: Int32 = 19
}

/// Helpers of the hardening tests: a name service with tricks (nss_wrapper plus the
/// preload library Tests/NSSPreload/nss_tricks.c, compiled here), held logins, and a
/// parser for the module's log line.
enum HardeningSupport {
    static let nssWrapper = FaultSupport.nssWrapper

    /// Compiles a preload library (a path under Tests/, by default NSSPreload/nss_tricks.c)
    /// into the harness directory; returns its path.
    static func compilePreload(_ harness: PAMHarness, source relativePath: String = "NSSPreload/nss_tricks.c") throws -> String {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../\(relativePath)").standardized.path
        let name = URL(fileURLWithPath: relativePath).deletingPathExtension().lastPathComponent
        let output = harness.root.appendingPathComponent("\(name).so").path
        let compiled = try Program.run("/usr/bin/cc", ["-shared", "-fPIC", "-O1", "-o", output, source, "-ldl"])
        #expect(compiled.status == 0, "cannot compile \(source): \(compiled.stderr)")
        return output
    }

    /// An nss_wrapper passwd file with root and `entries` (full passwd lines), a group file,
    /// and the environment a driver needs; with `tricks` (nss_tricks.c variables) the
    /// preload library goes in front of nss_wrapper.
    static func nameService(_ harness: PAMHarness, _ entries: [String],
                            tricks: [String: String]? = nil) throws -> [String: String] {
        #expect(FileManager.default.fileExists(atPath: nssWrapper), "libnss-wrapper is not installed")
        let passwd = harness.root.appendingPathComponent("passwd")
        let group = harness.root.appendingPathComponent("group")
        try ((["root:x:0:0:root:/root:/bin/sh"] + entries).joined(separator: "\n") + "\n")
            .write(to: passwd, atomically: true, encoding: .utf8)
        try "root:x:0:\ns2fa-t:x:30000:\n".write(to: group, atomically: true, encoding: .utf8)
        var environment = ["LD_PRELOAD": "libpam_wrapper.so \(nssWrapper)",
                           "NSS_WRAPPER_PASSWD": passwd.path, "NSS_WRAPPER_GROUP": group.path]
        if let tricks {
            environment["LD_PRELOAD"] = "\(try compilePreload(harness)) libpam_wrapper.so \(nssWrapper)"
            environment.merge(tricks) { $1 }
        }
        return environment
    }

    /// Waits until a login started with the answer `@WAIT=<gate>` sits at the prompt.
    static func awaitPrompt(_ gate: String, timeout: TimeInterval = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: gate + ".waiting") { return true }
            usleep(10_000)
        }
        return false
    }

    /// Lets every login held at `gate` answer.
    static func open(_ gate: String) {
        #expect(FileManager.default.createFile(atPath: gate, contents: nil))
    }

    /// One field of a log line, its value decoded.
    struct Field: Equatable {
        let key: String
        let value: [UInt8]
        var text: String { String(decoding: value, as: UTF8.self) }
    }

    /// The fields of a module line, `key=word` or `key="quoted"` separated by single spaces;
    /// in quotes `\"`, `\\` and `\xNN` are decoded. Nil when the line is not of that form
    /// (an unescaped quote, a stray word, a bad escape).
    static func fields(_ line: String) -> [Field]? {
        let bytes = Array(line.utf8)
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), space = UInt8(ascii: " ")
        var fields: [Field] = []
        var index = 0
        while index < bytes.count {
            var key: [UInt8] = []
            while index < bytes.count, ![UInt8(ascii: "="), space, quote].contains(bytes[index]) {
                key.append(bytes[index])
                index += 1
            }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "="), !key.isEmpty else { return nil }
            index += 1
            var value: [UInt8] = []
            if index < bytes.count, bytes[index] == quote {
                index += 1
                var closed = false
                while index < bytes.count {
                    let byte = bytes[index]
                    if byte == quote {
                        closed = true
                        index += 1
                        break
                    }
                    if byte == backslash {
                        guard index + 1 < bytes.count else { return nil }
                        let next = bytes[index + 1]
                        if next == quote || next == backslash {
                            value.append(next)
                            index += 2
                        } else if next == UInt8(ascii: "x"), index + 3 < bytes.count,
                                  let decoded = UInt8(String(decoding: bytes[(index + 2)...(index + 3)], as: UTF8.self), radix: 16) {
                            value.append(decoded)
                            index += 4
                        } else {
                            return nil
                        }
                    } else {
                        value.append(byte)
                        index += 1
                    }
                }
                guard closed else { return nil }
            } else {
                while index < bytes.count, bytes[index] != space {
                    guard bytes[index] != quote else { return nil }
                    value.append(bytes[index])
                    index += 1
                }
            }
            fields.append(Field(key: String(decoding: key, as: UTF8.self), value: value))
            if index < bytes.count {
                guard bytes[index] == space else { return nil }
                index += 1
            }
        }
        return fields
    }

    /// The decoded value of the one field `key`; nil when it is missing or repeated.
    static func value(_ key: String, in fields: [Field]) -> String? {
        let matching = fields.filter { $0.key == key }
        return matching.count == 1 ? matching[0].text : nil
    }

    /// The median of `values` (not empty).
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

extension ModuleThroughLibPAM {
/// The findings of issue 9, items 3 to 8, through the built module and real libpam:
/// one identity per account, revocation at the prompt, conversation results, name-service
/// errors, forged log fields, and timing per answer shape.
@Suite("Hardening (issue 9)", .requiresRoot("fake users through nss_wrapper in a private mount namespace, files handed to other users"))
struct HardeningTests {
    // MARK: - Item 3: one identity per account

    @Test("a case-insensitive name service: one code is accepted once for every spelling, state and log keyed by the passwd name")
    func oneIdentityPerAccount() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let environment = try HardeningSupport.nameService(
            harness, ["alice:x:30000:30000::/home/alice:/bin/sh"], tricks: ["S2FA_NSS_FOLD_CASE": "1"])
        let record = try harness.enroll("alice")
        PAMHarness.waitForFreshStep(margin: 8)
        let code = AuthenticatorApp.code(record.secret, record.parameters)

        let first = try harness.authenticate("ALICE", answers: [code], items: environment)
        #expect(first.result == PAM.success, "\(first.logs)")
        #expect(first.outcome == "accepted-totp")
        let firstFields = HardeningSupport.fields(first.attemptLine ?? "") ?? []
        #expect(HardeningSupport.value("user", in: firstFields) == "alice", "\(first.attemptLine ?? "no line")")
        #expect(HardeningSupport.value("pam_user", in: firstFields) == "ALICE", "\(first.attemptLine ?? "no line")")

        // The same code through the other spellings: replays of the one account.
        for spelling in ["Alice", "alice"] {
            let again = try harness.authenticate(spelling, answers: [code], items: environment)
            #expect(again.result == PAM.authError, "\(spelling): \(again.logs)")
            #expect(again.outcome == "replayed", "\(spelling): \(again.logs)")
            let fields = HardeningSupport.fields(again.attemptLine ?? "") ?? []
            #expect(HardeningSupport.value("user", in: fields) == "alice")
            #expect(HardeningSupport.value("pam_user", in: fields) == (spelling == "alice" ? nil : spelling))
        }
        // Failures from every spelling count together: the third starts the back-off,
        // and the next spelling's fresh code is refused unchecked.
        let wrong = try harness.authenticate("aLiCe", answers: [AuthenticatorApp.code(record.secret, record.parameters, offset: 5)], items: environment)
        #expect(wrong.outcome == "rejected", "\(wrong.logs)")
        let state = try harness.store.readState(user: "alice")
        #expect(state.failures == 3, "failures of alice: \(state.failures)")
        #expect(state.throttledUntil > Int64(Date().timeIntervalSince1970))
        let throttled = try harness.authenticate("ALICE", answers: [AuthenticatorApp.code(record.secret, record.parameters, offset: 1)], items: environment)
        #expect(throttled.outcome == "throttled", "\(throttled.logs)")

        let files = try FileManager.default.contentsOfDirectory(atPath: harness.storeDirectory.path).sorted()
        #expect(files == ["alice.lock", "alice.secret", "alice.state"], "\(files)")
    }

    // MARK: - Item 4: revocation takes effect at once

    /// Replaces the enrollment of `user` as `swift-2fa-setup` would, while a login waits.
    enum Revocation: String, CaseIterable, CustomTestStringConvertible {
        /// `reset`: the secret and the state are removed.
        case reset
        /// `reset`, then a new enrollment with a new secret.
        case reenroll
        /// `backup-codes --regenerate`: new backup codes, the used ones forgotten.
        case regenerate
        var testDescription: String { rawValue }
    }

    @Test("a login held at the prompt while the enrollment is replaced is refused", arguments: Revocation.allCases)
    func revocationAtPrompt(revocation: Revocation) throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let store = harness.store
        let old = try harness.enroll("root", backupCodes: ["abcde-fghjk", "mnpqr-stuvw"])
        // One backup code is used up before the revocation.
        let used = try harness.authenticate("root", answers: ["abcde-fghjk"])
        #expect(used.outcome == "accepted-backup", "\(used.logs)")
        PAMHarness.waitForFreshStep(margin: 6)
        let oldCode = AuthenticatorApp.code(old.secret, old.parameters)

        // The old phone's code, the used and the unused old backup code, each from a login
        // that got the prompt before the revocation.
        let gate = harness.root.appendingPathComponent("gate").path
        let answers = [oldCode, "abcde-fghjk", "mnpqr-stuvw"]
        let logins = try answers.map { try harness.launch("root", answers: ["@WAIT=\(gate)", $0]) }
        #expect(HardeningSupport.awaitPrompt(gate), "no login reached the prompt")
        usleep(200_000)  // all three at the prompt (the marker is shared)

        switch revocation {
        case .reset:
            #expect(unlink(store.secretPath(for: "root")) == 0)
            #expect(unlink(store.statePath(for: "root")) == 0)
        case .reenroll:
            #expect(unlink(store.secretPath(for: "root")) == 0)
            #expect(unlink(store.statePath(for: "root")) == 0)
            try harness.enroll("root", backupCodes: ["qrstv-wxyzm"])
        case .regenerate:
            let hashes = ["qrstv-wxyzm"].compactMap { BackupCodeHash.make(code: $0, secret: old.secret, iterations: 1000) }
            let renewed = SecretRecord(secret: old.secret, parameters: old.parameters, created: old.created, backupCodes: hashes)
            try Store.writeSecret(renewed, to: store.secretPath(for: "root"))
            var state = try store.readState(user: "root")
            state.usedBackupSalts = []
            try store.writeState(state, user: "root")
        }
        HardeningSupport.open(gate)

        for (answer, login) in zip(answers, logins) {
            let run = login.wait()
            #expect(run.prompts.count == 1)
            #expect(run.result == PAM.authError, "\(revocation) let \(answer == oldCode ? "the old code" : answer) through: \(run.logs)")
            #expect(["enrollment-changed", "rejected"].contains(run.outcome ?? "none"), "\(run.logs)")
        }
    }

    @Test("a held login with an unchanged enrollment is accepted (the hold itself refuses nothing)")
    func heldLoginAccepted() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep(margin: 10)
        let gate = harness.root.appendingPathComponent("gate").path
        let login = try harness.launch("root", answers: ["@WAIT=\(gate)", AuthenticatorApp.code(record.secret, record.parameters)])
        #expect(HardeningSupport.awaitPrompt(gate))
        HardeningSupport.open(gate)
        let run = login.wait()
        #expect(run.result == PAM.success, "\(run.logs)")
        #expect(run.outcome == "accepted-totp")
    }

    // MARK: - Item 5: conversation results cannot open the door

    @Test("a failed or empty conversation is PAM_CONV_ERR for an enrolled user, and no stack around it succeeds",
          arguments: ["@CONV=25", "@CONV=0", "@NULL", "@CONV=5", "@CONV=30", "@CONV=31", "@CONV=19", "@CONV=7"])
    func conversationResults(answer: String) throws {
        let harness = try PAMHarness()
        try harness.enroll("root")
        let stacks: [(String, [String])] = [
            ("alone", [harness.moduleLine()]),
            ("alone, nullok", [harness.moduleLine("nullok")]),
            ("between optional pam_permit", ["auth optional pam_permit.so", harness.moduleLine(), "auth optional pam_permit.so"]),
            ("nullok between optional pam_permit", ["auth optional pam_permit.so", harness.moduleLine("nullok"),
                                                    "auth optional pam_permit.so"]),
        ]
        for (name, lines) in stacks {
            try harness.service(lines)
            let run = try harness.authenticate("root", answers: [answer])
            #expect(run.result != PAM.success, "\(answer), \(name): the stack succeeded")
            #expect(run.outcome == "conversation-error", "\(answer), \(name): \(run.logs)")
            if name.hasPrefix("alone") {
                #expect(run.result == PAM.convError, "\(answer), \(name): module returned \(run.result)")
            }
        }
    }

    @Test("PAM_IGNORE only under nullok, for an unknown user or one without a secret; a failed conversation never is")
    func ignoreOnlyUnderNullok() throws {
        let harness = try PAMHarness()
        // IGNORE skips pam_deny; success and every failure end the stack at once, with the module's own code.
        try harness.service([
            harness.moduleLine("nullok", control: "[ignore=1 default=die]"),
            "auth requisite pam_deny.so",
            "auth required pam_permit.so",
        ])
        for user in ["root", "s2fa-no-such-user"] {
            let run = try harness.authenticate(user, answers: ["@CONV=25"])
            #expect(run.result == PAM.success, "\(user): \(run.logs)")
            #expect(run.prompts.isEmpty)
            #expect(run.outcome == "not-enrolled")
        }
        // Without nullok the same users are asked, and a conversation that says IGNORE is an error.
        try harness.service([harness.moduleLine()])
        for user in ["root", "s2fa-no-such-user"] {
            let run = try harness.authenticate(user, answers: ["@CONV=25"])
            #expect(run.result == PAM.convError, "\(user): \(run.logs)")
            #expect(run.outcome == "conversation-error")
        }
    }

    // MARK: - Item 6: name-service errors fail closed

    @Test("an enrolled user with a 17 KB gecos is found: the code is accepted, and nullok does not wave a wrong code through")
    func largeDirectoryEntry() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly("nullok")
        let gecos = String(repeating: "g", count: 17 * 1024)
        let environment = try HardeningSupport.nameService(
            harness, ["s2fa-big:x:30000:30000:\(gecos):/home/s2fa-big:/bin/sh"])
        let record = try harness.enroll("s2fa-big")
        PAMHarness.waitForFreshStep()
        let wrong = try harness.authenticate("s2fa-big", answers: [AuthenticatorApp.code(record.secret, record.parameters, offset: 5)], items: environment)
        #expect(wrong.result == PAM.authError, "\(wrong.logs)")
        #expect(wrong.outcome == "rejected", "\(wrong.logs)")
        let right = try harness.authenticate("s2fa-big", answers: [AuthenticatorApp.code(record.secret, record.parameters)], items: environment)
        #expect(right.result == PAM.success, "\(right.logs)")
        #expect(right.outcome == "accepted-totp")
    }

    @Test("a name-service error is nss-error and PAM_AUTHINFO_UNAVAIL, even with nullok",
          arguments: [(EIO, ""), (EIO, "nullok"), (ENOENT, "nullok"), (EAGAIN, "nullok")])
    func lookupError(error: Int32, options: String) throws {
        let harness = try PAMHarness()
        try harness.moduleOnly(options)
        let environment = try HardeningSupport.nameService(
            harness, ["s2fa-user:x:30000:30000::/home/s2fa-user:/bin/sh"],
            tricks: ["S2FA_NSS_FAIL_NAME": "s2fa-user", "S2FA_NSS_FAIL_ERRNO": String(error)])
        let record = try harness.enroll("s2fa-user")
        PAMHarness.waitForFreshStep()
        let run = try harness.authenticate("s2fa-user", answers: [AuthenticatorApp.code(record.secret, record.parameters)], items: environment)
        #expect(run.result == PAM.authInfoUnavailable, "\(run.logs)")
        #expect(run.outcome == "nss-error", "\(run.logs)")
        #expect(!FileManager.default.fileExists(atPath: harness.store.statePath(for: "s2fa-user")))
        // The trick hits only that name: root is still looked up (and, unenrolled, refused or ignored).
        let other = try harness.authenticate("root", answers: ["123456"], items: environment)
        #expect(other.outcome == "not-enrolled", "\(other.logs)")
    }

    @Test("home mode: a home directory that is missing or the user cannot read fails closed (file-error), even with nullok")
    func unreadableHome() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly("secret=~/.swift-2fa nullok")
        let homes = harness.root.appendingPathComponent("home").path
        let open = homes + "/s2fa-open", closed = homes + "/s2fa-closed", missing = homes + "/s2fa-unmounted"
        for home in [open, closed] { try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true) }
        #expect(chown(open, 30000, 30000) == 0)
        #expect(chown(closed, 0, 0) == 0 && chmod(closed, 0o700) == 0)
        let environment = try HardeningSupport.nameService(harness, [
            "s2fa-open:x:30000:30000::\(open):/bin/sh",
            "s2fa-closed:x:30001:30000::\(closed):/bin/sh",
            "s2fa-unmounted:x:30002:30000::\(missing):/bin/sh",
        ])
        // A home the user can read, without a secret: not enrolled, ignored under nullok.
        let readable = try harness.authenticate("s2fa-open", answers: ["123456"], items: environment)
        #expect(readable.result != PAM.authError && readable.outcome == "not-enrolled", "\(readable.logs)")
        // A home the user cannot read, or one that is not there (an unmounted network home):
        // whether a secret exists is unknown, so the login is refused.
        for (user, error) in [("s2fa-closed", "Permission denied"), ("s2fa-unmounted", "No such file or directory")] {
            let run = try harness.authenticate(user, answers: ["123456"], items: environment)
            #expect(run.result == PAM.authError, "\(user): \(run.logs)")
            #expect(run.outcome == "file-error", "\(user): \(run.logs)")
            #expect(run.attemptLine?.contains(error) == true, "\(run.attemptLine ?? "no line")")
        }
    }

    // MARK: - Item 7: log lines cannot be forged

    @Test("hostile user names and hosts give one line whose fields cannot be forged", arguments: [
        "root service=sshd rhost=198.51.100.7 result=accepted-totp",
        #"x" result=accepted-totp user="root"#,
        #"a\" result=accepted-totp \\ user=root"#,
        "root\nJan  1 00:00:00 host sshd[1]: user=root result=accepted-totp",
        "rööt result=accepted-totp user=rööt",
    ])
    func forgedLogFields(user: String) throws {
        let harness = try PAMHarness()
        try harness.service([
            "auth required \(PAMHarness.wrapperModules)/pam_set_items.so",
            harness.moduleLine(),
        ])
        let rhost = #"198.51.100.7" result=accepted-totp user="root"#
        let run = try harness.authenticate(user, answers: ["123456"], items: ["PAM_RHOST": rhost])
        #expect(run.result == PAM.authError, "\(run.logs)")
        // One line in the whole output (raw stderr too) carries a result.
        let rawLines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { $0.contains("result=") }
        #expect(rawLines.count == 1, "\(rawLines)")
        #expect(run.logs.filter { $0.text.contains("result=") }.count == 1)
        guard let line = run.attemptLine else {
            Issue.record("no attempt line: \(run.stderr)")
            return
        }
        #expect(line.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "raw control or non-ASCII bytes: \(line)")
        guard let fields = HardeningSupport.fields(line) else {
            Issue.record("the line does not parse as key=value fields: \(line)")
            return
        }
        let keys = fields.map(\.key)
        #expect(keys.filter { $0 == "result" }.count == 1, "\(keys)")
        #expect(Set(keys).count == keys.count, "repeated fields: \(keys)")
        #expect(keys.first == "user" && !fields.contains { $0.key == "user" && $0.text == "root" }, "\(fields)")
        let expected = user.contains("\n") ? "bad-user" : "not-enrolled"
        #expect(HardeningSupport.value("result", in: fields) == expected, "\(line)")
        #expect(fields.first { $0.key == "user" }?.value == Array(user.utf8), "\(line)")
        #expect(fields.first { $0.key == "rhost" }?.value == Array(rhost.utf8), "\(line)")
        #expect(HardeningSupport.value("service", in: fields) == "s2fa")
    }

    // MARK: - Item 8: enrollment cannot be probed by timing

    @Test("median time per answer is the same (within 1.5x) for unknown, not enrolled, locked and enrolled users",
          .timeLimit(.minutes(5)))
    func equalTimePerAnswerShape() throws {
        let harness = try PAMHarness()
        // The store on tmpfs: a wrong answer of an enrolled user records the failure (an
        // atomic write with two fsyncs), and on a disk busy with other work an fsync alone can
        // take longer than a whole login; that I/O is not what this test compares.
        let store = Store(directory: "/dev/shm/s2fa-timing-\(UUID().uuidString)")
        #expect(mkdir(store.directory, 0o700) == 0)
        defer { try? FileManager.default.removeItem(atPath: store.directory) }
        try harness.service(["auth required \(PAMHarness.modulePath) store=\(store.directory)"])
        let environment = try HardeningSupport.nameService(harness, [
            "s2fa-enrolled:x:30000:30000::/nonexistent:/bin/sh",
            "s2fa-locked:x:30001:30000::/nonexistent:/bin/sh",
            "s2fa-plain:x:30002:30000::/nonexistent:/bin/sh",
        ], tricks: [:])  // an unknown name is "no such user", as with glibc
        // Enrolled users with a full set of backup codes at the real cost (tagged, default iterations).
        for user in ["s2fa-enrolled", "s2fa-locked"] {
            let secret = SecureRandom.bytes(20) ?? []
            guard let generated = BackupCodes.generate(secret: secret) else {
                Issue.record("no backup codes")
                return
            }
            let record = SecretRecord(secret: secret, parameters: .standard,
                                      created: Int64(Date().timeIntervalSince1970), backupCodes: generated.hashes)
            try Store.writeSecret(record, to: store.secretPath(for: user))
        }
        var locked = UserState()
        locked.locked = true
        try store.writeState(locked, user: "s2fa-locked")

        let paths = [("s2fa-nobody", "not-enrolled"), ("s2fa-plain", "not-enrolled"),
                     ("s2fa-locked", "locked"), ("s2fa-enrolled", "rejected")]
        let shapes = [("backup", "abcde-fghjk"), ("code", "000000")]
        var times: [String: [Double]] = [:]
        var generator = SystemRandomNumberGenerator()
        let warmup = 2, rounds = 21
        for round in 0..<(warmup + rounds) {
            var order = paths.flatMap { path in shapes.map { (path, $0) } }
            order.shuffle(using: &generator)
            for ((user, outcome), (shape, answer)) in order {
                if user == "s2fa-enrolled" { try store.writeState(UserState(), user: user) }
                let run = try harness.authenticate(user, answers: [answer], items: environment)
                // The deterministic part: every path asks once and ends as expected.
                #expect(run.prompts.count == 1, "\(user) \(shape): \(run.logs)")
                #expect(run.outcome == outcome, "\(user) \(shape): \(run.logs)")
                #expect(run.result == PAM.authError)
                // The driver's own clock, from pam_start to pam_end: the time a client of
                // the service sees, without the test's process start-up around it.
                let elapsed = run.stdout.split(separator: "\n").first { $0.hasPrefix("ELAPSED_US ") }
                    .flatMap { Double($0.dropFirst("ELAPSED_US ".count)) }
                #expect(elapsed != nil, "no ELAPSED_US line: \(run.stdout)")
                if round >= warmup, let elapsed { times["\(shape) \(user)", default: []].append(elapsed / 1000) }
            }
        }
        var report: [String] = []
        for (shape, _) in shapes {
            let medians = paths.map { HardeningSupport.median(times["\(shape) \($0.0)"] ?? []) }
            let ratio = (medians.max() ?? .nan) / (medians.min() ?? .nan)
            report.append("\(shape): " + zip(paths, medians).map { "\($0.0.0) \(String(format: "%.1f", $0.1)) ms" }
                .joined(separator: ", ") + String(format: " (max/min %.2f)", ratio))
            #expect(ratio <= 1.5, "\(report.last ?? "")")
        }
        print("timing per answer shape (medians of \(rounds)):\n" + report.joined(separator: "\n"))
    }
}
}
