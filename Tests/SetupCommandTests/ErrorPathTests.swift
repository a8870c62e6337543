import Foundation
import Testing
import TwoFactorCore
import TwoFactorStore

/// Bad input: one `swift-2fa-setup: ` line on stderr, the documented status, nothing changed.
@Suite(.requiresRoot("the command acts for --user root, and as nobody through setpriv"))
struct ErrorPathTests {
    /// Runs `arguments` and checks the status, the single error line and the unchanged store.
    private func expectRefusal(_ arguments: [String], in temp: TempStore, status: Int32, mentions: String,
                               asNobody: Bool = false) throws {
        let before = temp.snapshot()
        let result = try CLI.run(arguments, asNobody: asNobody)
        #expect(result.status == status, "\(arguments): \(result.stderr)")
        #expect(result.hasOneErrorLine, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(mentions), "\(arguments): \(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(temp.snapshot() == before)
    }

    @Test func unknownUser() throws {
        let temp = try TempStore()
        for command in ["enroll", "confirm", "status", "verify", "unlock", "reset", "disable", "backup-codes"] {
            var arguments = [command, "--store", temp.path, "--user", "no-such-user-s2fa"]
            if command == "confirm" || command == "verify" { arguments += ["--code", "123456"] }
            try expectRefusal(arguments, in: temp, status: 64, mentions: "unknown user 'no-such-user-s2fa'")
        }
        try expectRefusal(["status", "--store", temp.path, "--user", "../etc"], in: temp, status: 64,
                          mentions: "invalid user name")
    }

    @Test func usageErrors() throws {
        let temp = try TempStore()
        for (arguments, mentions) in [
            (["enroll", "--digits", "9"], "--digits"),
            (["enroll", "--period", "10"], "--period"),
            (["enroll", "--algorithm", "MD5"], "--algorithm"),
            (["enroll", "--json"], "--pending"),
            (["enroll", "--qr", "sixel"], "sixel"),
            (["verify"], "--code"),
            (["enroll", "--bogus"], "--bogus"),
            (["frobnicate"], "frobnicate"),
        ] {
            try expectRefusal(arguments + temp.args(), in: temp, status: 64, mentions: mentions)
        }
        try expectRefusal(["status", "--store", "relative/store"], in: temp, status: 64, mentions: "--store")
        try expectRefusal(["status", "--store", temp.path, "--secret-file", "secret"], in: temp, status: 64,
                          mentions: "--secret-file")
    }

    @Test func storeThatIsARegularFile() throws {
        let temp = try TempStore()
        let file = temp.path + "/not-a-directory"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8), attributes: [.posixPermissions: 0o600]))
        for store in [file, file + "/store"] {
            try expectRefusal(["enroll", "--pending", "--store", store, "--user", "root"], in: temp, status: 74,
                              mentions: "not a directory")
            try expectRefusal(["import", "--google-authenticator", file, "--store", store, "--user", "root"],
                              in: temp, status: 74, mentions: "not a directory")
        }
    }

    @Test func storeWritableByOthers() throws {
        let temp = try TempStore()
        let open = temp.path + "/open"
        try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o777])
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: open)
        try expectRefusal(["enroll", "--pending", "--store", open, "--user", "root"], in: temp, status: 74,
                          mentions: "writable by group or others")
    }

    @Test func nonRootUsersAndTheRootStore() throws {
        let temp = try TempStore()
        // The default system store, which nobody may not create or write.
        try expectRefusal(["enroll", "--pending"], in: temp, status: 74, mentions: "swift-2fa-setup: the system store /var/lib/swift-2fa needs root; run with sudo",
                          asNobody: true)
        let interactive = try CLI.run(["enroll", "--qr", "none"], asNobody: true)
        #expect(interactive.status == 74)
        #expect(interactive.stderr == "swift-2fa-setup: the system store /var/lib/swift-2fa needs root; run with sudo, or use --secret-file ~/.swift-2fa\n")
        // A store owned by root.
        try expectRefusal(["enroll", "--pending", "--store", temp.path], in: temp, status: 74,
                          mentions: "not writable by you", asNobody: true)
        // Someone else's enrollment.
        try expectRefusal(["enroll", "--pending", "--store", temp.path, "--user", "root"], in: temp, status: 74,
                          mentions: "only root may act for another user", asNobody: true)
    }

    @Test func malformedEnrollmentIsReportedAndKept() throws {
        let temp = try TempStore()
        let path = temp.store.secretPath(for: "root")
        try AtomicFile.write("version 1\nsecret !!!\n", to: path)
        try expectRefusal(["enroll", "--pending"] + temp.args(), in: temp, status: 74, mentions: "--force")
        try expectRefusal(["enroll", "--qr", "none"] + temp.args(), in: temp, status: 74, mentions: "invalid secret")
        try expectRefusal(["status"] + temp.args(), in: temp, status: 74, mentions: "invalid secret")
        try expectRefusal(["verify", "--code", "123456"] + temp.args(), in: temp, status: 74, mentions: "invalid secret")
        // A file others can read is not trusted either.
        try AtomicFile.write("version 1\n", to: path, mode: 0o644)
        try expectRefusal(["enroll", "--pending"] + temp.args(), in: temp, status: 74, mentions: "group or others")
        // --force replaces it, once the new code verifies.
        _ = try temp.enroll(extra: ["--force"])
        #expect(try temp.store.readSecret(user: "root") != nil)
    }

    @Test func symbolicLinkInTheStoreIsRefused() throws {
        let temp = try TempStore()
        let victim = temp.path + "-victim"
        #expect(FileManager.default.createFile(atPath: victim, contents: Data("keep\n".utf8), attributes: [.posixPermissions: 0o600]))
        defer { try? FileManager.default.removeItem(atPath: victim) }
        try FileManager.default.createSymbolicLink(atPath: temp.store.secretPath(for: "root"), withDestinationPath: victim)
        try expectRefusal(["enroll", "--pending"] + temp.args(), in: temp, status: 74, mentions: "symbolic link")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep\n")
    }
}
