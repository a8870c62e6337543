import Foundation
import Testing
import TwoFactorCore
import TwoFactorStore

/// `import --google-authenticator` with files made by Debian's libpam-google-authenticator.
@Suite struct ImportTests {
    /// A real file from `google-authenticator`, in its own directory.
    private func makeFile(_ temp: TempStore, extra: [String] = []) throws -> (path: String, secret: String, scratch: [String]) {
        let path = temp.path + "-ga"
        let result = try CLI.program("/usr/bin/google-authenticator",
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
        let temp = try TempStore()
        let path = temp.path + "-ga"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let before = temp.snapshot()
        let result = try CLI.run(["import", "--google-authenticator", path] + temp.args())
        #expect(result.status == status, "\(result.stderr)")
        #expect(result.hasOneErrorLine, "\(result.stderr)")
        #expect(result.stderr.contains(mentions), "\(result.stderr)")
        #expect(temp.snapshot() == before)
    }

    @Test func refusesHOTPFiles() throws {
        try refusedImport("JBSWY3DPEHPK3PXPJBSWY3DPEH\n\" HOTP_COUNTER 1\n12345678\n", status: 64, mentions: "HOTP")
    }

    @Test func refusesInvalidBase32() throws {
        try refusedImport("JBSWY3DP!HPK3PXP\n\" TOTP_AUTH\n", status: 64, mentions: "base32")
        try refusedImport("JBSW\n\" TOTP_AUTH\n", status: 64, mentions: "base32")
    }

    @Test func refusesGarbageLines() throws {
        try refusedImport("JBSWY3DPEHPK3PXPJBSWY3DPEH\n\" TOTP_AUTH\nhello\n", status: 64, mentions: "line 3")
        try refusedImport("JBSWY3DPEHPK3PXPJBSWY3DPEH\n\" STEP_SIZE 5\n", status: 64, mentions: "STEP_SIZE")
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
