import Foundation
import Glibc
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

extension ModuleThroughLibPAM {
/// Damaged, hostile and misplaced secret and state files: always a refusal and a log line.
@Suite("Bad secret and state files", .requiresRoot("the store must be owned by root, and files are handed to other users"))
struct SecretFileTests {
    /// Writes `bytes` as root's secret file in the store with `mode`.
    private func plant(_ harness: PAMHarness, _ bytes: [UInt8], mode: mode_t = 0o600) throws -> String {
        let path = harness.store.secretPath(for: "root")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, mode) == 0)
        return path
    }

    private func expectFileError(_ harness: PAMHarness, reason: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let run = try harness.authenticate("root", answers: ["123456"])
        #expect(run.result == PAM.authError, sourceLocation: sourceLocation)
        #expect(run.outcome == "file-error", "\(run.logs)", sourceLocation: sourceLocation)
        #expect(run.attemptLine?.contains(reason) == true, "\(run.attemptLine ?? "no line")", sourceLocation: sourceLocation)
    }

    static let validText: String = {
        SecretRecord(secret: Array(repeating: 7, count: 20), parameters: .standard, created: 1_700_000_000).serialized()
    }()

    @Test("malformed contents are refused", arguments: [
        ("empty", ""),
        ("truncated", String(validText.prefix(60))),
        ("unknown version", validText.replacingOccurrences(of: "version 2", with: "version 9")),
        ("binary", "\u{0}\u{1}\u{2}\u{FF}garbage"),
        ("no credential", validText.split(separator: "\n").filter { !$0.hasPrefix("credential") }.joined(separator: "\n")),
    ])
    func malformed(name: String, text: String) throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        _ = try plant(harness, Array(text.utf8))
        try expectFileError(harness, reason: "secret")
    }

    @Test("a 10 MB secret file is refused without being read")
    func huge() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        _ = try plant(harness, Array(repeating: UInt8(ascii: "A"), count: 10 * 1024 * 1024))
        try expectFileError(harness, reason: "larger than")
    }

    @Test("a group- or world-readable secret is refused", arguments: [mode_t(0o640), 0o604, 0o644, 0o660])
    func permissions(mode: mode_t) throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        _ = try plant(harness, Array(Self.validText.utf8), mode: mode)
        try expectFileError(harness, reason: "accessible by group or others")
    }

    @Test("a secret in the root store owned by a user is refused")
    func wrongOwner() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let path = try plant(harness, Array(Self.validText.utf8))
        #expect(chown(path, 1, 1) == 0)
        try expectFileError(harness, reason: "owned by uid 1")
    }

    @Test("a symlink in place of the secret is refused, even to a valid file")
    func symlinkSecret() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let target = harness.root.appendingPathComponent("elsewhere").path
        try Self.validText.write(toFile: target, atomically: true, encoding: .utf8)
        #expect(chmod(target, 0o600) == 0)
        #expect(symlink(target, harness.store.secretPath(for: "root")) == 0)
        try expectFileError(harness, reason: "symbolic link")
    }

    @Test("a directory in place of the secret is refused")
    func directorySecret() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        #expect(mkdir(harness.store.secretPath(for: "root"), 0o700) == 0)
        try expectFileError(harness, reason: "not a regular file")
    }

    @Test("a FIFO in place of the secret does not hang the login")
    func fifoSecret() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        #expect(mkfifo(harness.store.secretPath(for: "root"), 0o600) == 0)
        try expectFileError(harness, reason: "not a regular file")
    }

    @Test("a store writable by group or others is refused")
    func openStore() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        try harness.enroll("root")
        #expect(chmod(harness.storeDirectory.path, 0o777) == 0)
        try expectFileError(harness, reason: "writable by group or others")
    }

    @Test("a missing store is refused, even with nullok")
    func missingStore() throws {
        let harness = try PAMHarness()
        try harness.service([harness.moduleLine("nullok").replacingOccurrences(of: "store=\(harness.storeDirectory.path)", with: "store=\(harness.root.path)/absent")])
        try expectFileError(harness, reason: "absent")
    }

    @Test("a damaged state file refuses the login and is left alone", arguments: ["", "garbage", "version 1\nlast_step x\n", "version 2\n", "version 1\nlast_step 1\nfailures -1\nthrottled_until 0\nlocked 0\n"])
    func badState(text: String) throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try harness.enroll("root")
        let statePath = harness.store.statePath(for: "root")
        try text.write(toFile: statePath, atomically: true, encoding: .utf8)
        #expect(chmod(statePath, 0o600) == 0)
        let run = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)])
        #expect(run.result == PAM.authError)
        #expect(run.outcome == "state-error")
        #expect(try String(contentsOfFile: statePath, encoding: .utf8) == text)
    }

    @Test("the secret file is never rewritten by a login")
    func secretUntouched() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly()
        let record = try harness.enroll("root", backupCodes: ["abcde-fghjk"])
        let path = harness.store.secretPath(for: "root")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        var info = stat()
        #expect(stat(path, &info) == 0)
        PAMHarness.waitForFreshStep()
        _ = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)])
        _ = try harness.authenticate("root", answers: ["abcde-fghjk"])
        _ = try harness.authenticate("root", answers: ["000000"])
        var after = stat()
        #expect(stat(path, &after) == 0)
        #expect(after.st_ino == info.st_ino)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }
}
}

extension ModuleThroughLibPAM {
/// `secret=` outside the store (home mode): opened as the user, strict owner and mode checks.
@Suite("Secret in the user's files", .requiresRoot("the secret files are handed to the users they belong to"))
struct HomeSecretTests {
    /// `daemon` (uid 1) exists on every Debian system; its secret goes in a directory it can read.
    private func setUp(mode: mode_t = 0o600, owner: uid_t = 1) throws -> (PAMHarness, SecretRecord, String) {
        let harness = try PAMHarness()
        let homes = harness.root.appendingPathComponent("homes")
        try FileManager.default.createDirectory(at: homes, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        try harness.moduleOnly("secret=\(homes.path)/${USER}.2fa")
        let record = SecretRecord(secret: SecureRandom.bytes(20) ?? [], parameters: .standard, created: 1_700_000_000)
        let path = homes.appendingPathComponent("daemon.2fa").path
        try Store.writeSecret(record, to: path, owner: (owner, owner))
        #expect(chmod(path, mode) == 0)
        return (harness, record, path)
    }

    @Test("a user-owned 0600 secret works, and its state goes to the store")
    func userOwned() throws {
        let (harness, record, _) = try setUp()
        PAMHarness.waitForFreshStep()
        let run = try harness.authenticate("daemon", answers: [AuthenticatorApp.code(record.secret, record.parameters)])
        #expect(run.outcome == "accepted-totp", "\(run.logs)")
        #expect(FileManager.default.fileExists(atPath: harness.store.statePath(for: "daemon")))
    }

    @Test("group- or world-readable user secrets are refused", arguments: [mode_t(0o640), 0o644, 0o606])
    func userPermissions(mode: mode_t) throws {
        let (harness, _, _) = try setUp(mode: mode)
        let run = try harness.authenticate("daemon", answers: ["123456"])
        #expect(run.outcome == "file-error")
    }

    @Test("a secret owned by another user is refused, readable or not", arguments: [mode_t(0o600), 0o604])
    func otherOwner(mode: mode_t) throws {
        let (harness, _, _) = try setUp(mode: mode, owner: 2)
        let run = try harness.authenticate("daemon", answers: ["123456"])
        #expect(run.outcome == "file-error")
        // 0600: the user cannot even open it; 0604: the owner check refuses it.
        let reason = mode == 0o600 ? "Permission denied" : "owned by uid 2"
        #expect(run.attemptLine?.contains(reason) == true, "\(run.attemptLine ?? "")")
    }

    @Test("a symlink to another user's secret is refused")
    func symlinked() throws {
        let (harness, _, path) = try setUp()
        let moved = path + ".real"
        #expect(rename(path, moved) == 0)
        #expect(symlink(moved, path) == 0)
        let run = try harness.authenticate("daemon", answers: ["123456"])
        #expect(run.outcome == "file-error")
        #expect(run.attemptLine?.contains("symbolic link") == true)
    }

    @Test("${HOME} and ~/ expand from the passwd entry")
    func homeExpansion() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly("secret=~/.swift-2fa-test-\(UUID().uuidString)")
        // daemon's home (/usr/sbin) has no such file: not enrolled, and the log names the expanded path under it.
        let run = try harness.authenticate("daemon", answers: ["123456"])
        #expect(run.outcome == "not-enrolled")
    }
}
}
