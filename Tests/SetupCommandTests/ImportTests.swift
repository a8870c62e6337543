import Foundation
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

/// `import --google-authenticator` with files made by Debian's libpam-google-authenticator.
@Suite(.requiresRoot("the command acts for --user root and nobody, files are handed to other users, unshare -m"), .requiresOathtool, .requires("/usr/bin/google-authenticator", package: "libpam-google-authenticator"))
struct ImportTests {
    /// A real file from `google-authenticator`, in its own directory.
    private func makeFile(_ temp: TempStore, extra: [String] = []) throws -> (path: String, secret: String, scratch: [String]) {
        let path = temp.path + "-ga"
        let result = try Program.run("/usr/bin/google-authenticator",
                                     ["-t", "-d", "-f", "-q", "-C", "-r", "3", "-R", "30", "-w", "3", "-s", path] + extra)
        try #require(result.status == 0, "google-authenticator failed: \(result.stderr)")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        return (path, lines[0], lines.filter { $0.count == 8 && Int($0) != nil })
    }

    @Test func importsARealFileThatThenAcceptsItsCodes() throws {
        let temp = try TempStore()
        let file = try makeFile(temp)
        defer { try? FileManager.default.removeItem(atPath: file.path) }
        #expect(file.scratch.count == 5)
        let result = try CLI.run(["import", "--google-authenticator", file.path] + temp.args())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("5 scratch codes"))
        #expect(result.stdout.contains("RATE_LIMIT, WINDOW_SIZE"))

        let record = try #require(try temp.store.readSecret(user: "root"))
        #expect(Base32.encode(record.secret) == file.secret.uppercased())
        #expect(record.parameters == .standard)
        #expect(record.backupCodes.count == 5)
        #expect(try CLI.run(["verify", "--code", try CLI.oathtool(file.secret)] + temp.args()).status == 0)
        #expect(try CLI.run(["verify", "--code", file.scratch[2]] + temp.args()).status == 0)
        #expect(try CLI.run(["verify", "--code", file.scratch[2]] + temp.args()).status == 1)
        // The original file is left in place.
        #expect(FileManager.default.fileExists(atPath: file.path))
    }

    @Test("imported scratch codes are tagged; a repeated one is dropped with a warning")
    func scratchCodesTaggedAndRepeatsDropped() throws {
        let temp = try TempStore()
        let path = temp.path + "-ga"
        let text = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n31415926\n27182818\n31415926\n"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try CLI.run(["import", "--json", "--google-authenticator", path] + temp.args())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try result.json()["backup_codes"] as? Int == 2)
        #expect(result.stderr.contains("1 of 3 scratch codes dropped"), "\(result.stderr)")
        let record = try #require(try temp.store.readSecret(user: "root"))
        #expect(record.backupCodes.count == 2)
        #expect(!record.backupCodesNeedRegeneration, "imported codes were stored without tags")
        #expect(try CLI.run(["verify", "--code", "27182818"] + temp.args()).status == 0)
        #expect(try CLI.run(["verify", "--code", "31415926"] + temp.args()).status == 0)
    }

    @Test func stepSizeBecomesThePeriod() throws {
        let temp = try TempStore()
        let file = try makeFile(temp, extra: ["-S", "60"])
        defer { try? FileManager.default.removeItem(atPath: file.path) }
        let result = try CLI.run(["import", "--json", "--google-authenticator", file.path] + temp.args())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try result.json()["period"] as? Int == 60)
        let code = try CLI.oathtool(file.secret, period: 60)
        #expect(try CLI.run(["verify", "--code", code] + temp.args()).status == 0)
    }

    /// Writes `text` as a private file and tries to import it; the store must not change.
    private func refusedImport(_ text: String, status: Int32, mentions: String) throws {
        try refusedImport(bytes: Data(text.utf8), status: status, mentions: mentions)
    }

    /// Writes `bytes` as a private file and tries to import it; the store must not change.
    private func refusedImport(bytes: Data, status: Int32, mentions: String) throws {
        let temp = try TempStore()
        let path = temp.path + "-ga"
        #expect(FileManager.default.createFile(atPath: path, contents: bytes, attributes: [.posixPermissions: 0o600]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let before = temp.snapshot()
        let result = try CLI.run(["import", "--google-authenticator", path] + temp.args())
        #expect(result.status == status, "\(result.stderr)")
        #expect(result.hasOneErrorLine, "\(result.stderr)")
        #expect(result.stderr.contains(mentions), "\(result.stderr)")
        #expect(temp.snapshot() == before)
    }

    @Test("a counter-based file (HOTP_COUNTER) becomes a HOTP credential from its counter")
    func importsACounterBasedFile() throws {
        let temp = try TempStore()
        let path = temp.path + "-ga"
        let result = try Program.run("/usr/bin/google-authenticator", ["-c", "-f", "-q", "-C", "-r", "3", "-R", "30", "-w", "3", "-s", path])
        try #require(result.status == 0, "google-authenticator failed: \(result.stderr)")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.contains("\" HOTP_COUNTER 1"))
        let secret = try #require(Base32.decode(lines[0]))
        let imported = try CLI.run(["import", "--json", "--google-authenticator", path] + temp.args())
        #expect(imported.status == 0, "\(imported.stderr)")
        let object = try imported.json()
        #expect(object["kind"] as? String == "HOTP" && object["counter"] as? Int == 1 && object["period"] == nil)
        #expect(object["backup_codes"] as? Int == 5)
        func code(_ counter: UInt64) throws -> String { try OathTool.hotp(hex: Hex.encode(secret), counter: counter) }
        #expect(try CLI.verifyResult(try code(0), temp.args()) == "rejected", "below the file's counter")
        #expect(try CLI.verifyResult(try code(1), temp.args()) == "accepted-hotp")
        #expect(try CLI.verifyResult(try code(1), temp.args()) == "rejected", "the counter moved past it")
        #expect(try CLI.verifyResult(try code(2), temp.args()) == "accepted-hotp")
        let scratch = try #require(lines.last)
        #expect(try CLI.verifyResult(scratch, temp.args()) == "accepted-backup")
    }

    @Test func refusesInvalidBase32() throws {
        try refusedImport("JBSWY3DP!HPK3PXP\n\" TOTP_AUTH\n", status: 64, mentions: "base32")
        try refusedImport("JBSW\n\" TOTP_AUTH\n", status: 64, mentions: "base32")
    }

    @Test func refusesGarbageLines() throws {
        try refusedImport("JBSWY3DPEHPK3PXPJBSWY3DPEH\n\" TOTP_AUTH\nhello\n", status: 64, mentions: "line 3")
        try refusedImport("JBSWY3DPEHPK3PXPJBSWY3DPEH\n\" STEP_SIZE 5\n", status: 64, mentions: "STEP_SIZE")
    }

    @Test("a binary file is malformed: status 64 like any other")
    func refusesBinaryFiles() throws {
        try refusedImport(bytes: Data([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0xFF, 0xFE, 0x0A]),
                          status: 64, mentions: "not a text file")
        try refusedImport(bytes: Data("JBSWY3DPEHPK3PXP\n\u{0}\u{1}\u{2}\n".utf8), status: 64, mentions: "line 2")
    }

    @Test("every option google-authenticator writes is read; the ignored ones are listed")
    func everyOptionGoogleAuthenticatorWrites() throws {
        let temp = try TempStore()
        let path = temp.path + "-ga"
        // As the PAM module leaves it after logins with a phone whose clock drifted: tabs
        // and spaces between values, RESETTING_TIME_SKEW and TIME_SKEW.
        let text = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n\" RATE_LIMIT 3 30 1764456000 1764456010\n"
            + "\" WINDOW_SIZE\t17\n\" DISALLOW_REUSE 58815200\t58815201\n\" STEP_SIZE 30\n\" TIME_SKEW -1\n"
            + "\" RESETTING_TIME_SKEW 58815199-1 58815200-1\n\" OTP_DISABLED\n\" TOTP_AUTH\n31415926\n"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try CLI.run(["import", "--json", "--google-authenticator", path] + temp.args())
        #expect(result.status == 0, "\(result.stderr)")
        let object = try result.json()
        #expect(object["ignored"] as? [String] == ["RATE_LIMIT", "WINDOW_SIZE", "TIME_SKEW", "RESETTING_TIME_SKEW", "OTP_DISABLED"])
        #expect(object["backup_codes"] as? Int == 1)
        #expect(result.stderr.contains("off by -1 time steps"), "\(result.stderr)")
        let text2 = try CLI.run(["import", "--force", "--google-authenticator", path] + temp.args())
        #expect(text2.stdout.contains("ignored: RATE_LIMIT, WINDOW_SIZE, TIME_SKEW, RESETTING_TIME_SKEW, OTP_DISABLED"))
        #expect(try temp.store.readState(user: "root").lastStep == 58_815_201)
    }

    @Test("a forged DISALLOW_REUSE step is clamped to the current step")
    func forgedDisallowReuseIsClamped() throws {
        let temp = try TempStore()
        let path = temp.path + "-ga"
        let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        let text = "\(secret)\n\" DISALLOW_REUSE 18446744073709551615\n\" TOTP_AUTH\n"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let imported = try CLI.run(["import", "--google-authenticator", path] + temp.args())
        #expect(imported.status == 0, "\(imported.stderr)")
        let lastStep = try temp.store.readState(user: "root").lastStep
        #expect(lastStep <= UInt64(AuthenticatorApp.now() / 30))
        #expect(lastStep + 1 >= UInt64(AuthenticatorApp.now() / 30))
        // The current step counts as used (it is the clamp), the next one works.
        awayFromStepBoundary()
        let verified = try CLI.run(["verify", "--json", "--code", try CLI.oathtool(secret, at: AuthenticatorApp.now() + 30)] + temp.args())
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(try verified.json()["result"] as? String == "accepted-totp")
    }

    /// Runs the command in a private mount namespace where `directory` is mounted on /mnt,
    /// so the file is in a root-only path (/ and /mnt owned by root, not writable by others)
    /// without touching the host's directories.
    private func runWithDirectoryOnMnt(_ directory: String, _ arguments: [String]) throws -> ProgramResult {
        try Program.run("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c",
                                             "mount --bind \"$0\" /mnt && exec \"$@\"", directory, CLI.binary] + arguments)
    }

    @Test("root imports google-authenticator's root-owned layout (secret=/var/lib/google-authenticator/${USER} user=root)")
    func rootOwnedLayout() throws {
        let temp = try TempStore()
        let library = temp.path + "-galib"
        try FileManager.default.createDirectory(atPath: library, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: library) }
        let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        #expect(FileManager.default.createFile(atPath: library + "/nobody", contents: Data("\(secret)\n\" TOTP_AUTH\n12345678\n".utf8),
                                               attributes: [.posixPermissions: 0o600]))
        // In /tmp (writable by others) the file is read as nobody, who cannot enter the directory.
        let asUser = try CLI.run(["import", "--google-authenticator", library + "/nobody"] + temp.args("nobody"))
        #expect(asUser.status == 74)
        #expect(asUser.hasOneErrorLine)
        #expect(asUser.stderr.contains("Permission denied"), "\(asUser.stderr)")
        #expect(temp.snapshot().isEmpty)

        let result = try runWithDirectoryOnMnt(library, ["import", "--google-authenticator", "/mnt/nobody"] + temp.args("nobody"))
        #expect(result.status == 0, "\(result.stderr)")
        let record = try #require(try temp.store.readSecret(user: "nobody"))
        #expect(Base32.encode(record.secret) == secret)
        #expect(record.backupCodes.count == 1)

        // A file there that belongs to another user is refused, naming the owner.
        let daemon = try PasswdEntry.lookup(uid: 1)
        #expect(chown(library + "/nobody", daemon.uid, daemon.gid) == 0)
        let before = temp.snapshot()
        let foreign = try runWithDirectoryOnMnt(library, ["import", "--force", "--google-authenticator", "/mnt/nobody"]
                                                + temp.args("nobody"))
        #expect(foreign.status == 74)
        #expect(foreign.hasOneErrorLine, "\(foreign.stderr)")
        #expect(foreign.stderr.contains("belongs to \(daemon.name) (uid 1), not to nobody or root"), "\(foreign.stderr)")
        #expect(temp.snapshot() == before)
    }

    @Test("a file in the user's directory that belongs to someone else is refused, naming the owner")
    func foreignFileInAUsersDirectory() throws {
        let temp = try TempStore()
        let home = temp.path + "-home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: home) }
        #expect(chown(home, 65534, 65534) == 0)
        let path = home + "/.google_authenticator"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n".utf8),
                                               attributes: [.posixPermissions: 0o644]))
        #expect(chown(path, 4242, 4242) == 0)
        let result = try CLI.run(["import", "--google-authenticator", path] + temp.args("nobody"))
        #expect(result.status == 74)
        #expect(result.hasOneErrorLine)
        let owner = (try? PasswdEntry.lookup(uid: 4242)).map { "\($0.name) (uid 4242)" } ?? "uid 4242"
        #expect(result.stderr.contains("belongs to \(owner), not to nobody or root"), "\(result.stderr)")
        #expect(temp.snapshot().isEmpty)
    }

    @Test func refusesMissingUnreadableAndLinkedFiles() throws {
        let temp = try TempStore()
        let missing = try CLI.run(["import", "--google-authenticator", temp.path + "/none"] + temp.args())
        #expect(missing.status == 74)
        #expect(missing.hasOneErrorLine)
        let directory = try CLI.run(["import", "--google-authenticator", temp.path] + temp.args())
        #expect(directory.status == 74)
        #expect(directory.hasOneErrorLine)
        let file = try makeFile(temp)
        let link = temp.path + "-link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: file.path)
        defer {
            try? FileManager.default.removeItem(atPath: file.path)
            try? FileManager.default.removeItem(atPath: link)
        }
        let linked = try CLI.run(["import", "--google-authenticator", link] + temp.args())
        #expect(linked.status == 74)
        #expect(linked.stderr.contains("symbolic link"))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        let readable = try CLI.run(["import", "--google-authenticator", file.path] + temp.args())
        #expect(readable.status == 74)
        #expect(readable.stderr.contains("group or others"))
        #expect(temp.snapshot().isEmpty)
    }

    @Test func importDoesNotReplaceWithoutForce() throws {
        let temp = try TempStore()
        _ = try temp.enroll()
        let file = try makeFile(temp)
        defer { try? FileManager.default.removeItem(atPath: file.path) }
        let before = temp.snapshot()
        let refused = try CLI.run(["import", "--google-authenticator", file.path] + temp.args())
        #expect(refused.status == 64)
        #expect(temp.snapshot() == before)
        #expect(try CLI.run(["import", "--force", "--google-authenticator", file.path] + temp.args()).status == 0)
    }
}
