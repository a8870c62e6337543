import Foundation
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

/// `import --pam-oath`: pam_oath's users.oath for three users (root, nobody, daemon) into a
/// private store, the codes computed by oathtool.
@Suite(.requiresRoot("the command imports for root, nobody and daemon"), .requiresOathtool)
struct PamOathImportTests {
    static let rootHOTP = "3132333435363738393031323334353637383930"
    static let rootTOTP = "4c65616b79207365637265742031323334353637"
    static let nobodyHOTP = "0123456789abcdef0123456789abcdef"
    static let daemonTOTP = "4141414141414141414141414141414141414141"
    static let daemonHOTP = "42424242424242424242424242424242424242424242"

    /// `text` as a users file next to the store, root's and private like /etc/users.oath.
    private func write(_ text: String, for temp: TempStore) -> String {
        temp.privateFile("users.oath", contents: Data(text.utf8))
    }

    /// pam_oath's local time of `time` (`2026-12-07T05:49:33L`), in the time zone the command runs in.
    private func localTime(_ time: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'L'"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(time)))
    }

    /// Three users, five lines: root a HOTP key at counter 3 and an 8-digit TOTP key whose code
    /// of the current step pam_oath accepted, nobody a 7-digit HOTP key at counter 5 with a
    /// PIN, daemon a 60-second TOTP key and a HOTP key whose code of counter 7 was accepted.
    private func goodFile(step: UInt64) throws -> String {
        let time = Int64(step) * 30
        let lastTOTP = try CLI.oathtool(try CLI.base32(hex: Self.rootTOTP), at: time, digits: 8)
        let lastHOTP = try OathTool.hotp(hex: Self.daemonHOTP, counter: 7)
        return """
            # users.oath
            HOTP\troot\t-\t\(Self.rootHOTP)\t3
            HOTP/T30/8\troot\t-\t\(Self.rootTOTP)\t0\t\(lastTOTP)\t\(localTime(time + 5))
            HOTP/E/7 nobody 1234 \(Self.nobodyHOTP) 5
            HOTP/T60 daemon - \(Self.daemonTOTP)
            HOTP daemon - \(Self.daemonHOTP) 7 \(lastHOTP) \(localTime(time))

            """
    }

    @Test("3 users, 5 lines, one malformed: status 64 naming the line, nothing written for anyone")
    func oneMalformedLineWritesNothing() throws {
        let temp = try TempStore()
        var lines = try goodFile(step: UInt64(AuthenticatorApp.now() / 30)).split(separator: "\n", omittingEmptySubsequences: false)
        lines[4] = "HOTP/T45 daemon - \(Self.daemonTOTP)"
        let path = write(lines.joined(separator: "\n"), for: temp)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try CLI.run(["import", "--pam-oath", path, "--store", temp.path])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.hasOneErrorLine, "\(result.stderr)")
        #expect(result.stderr.contains("line 5: unknown token type 'HOTP/T45'"), "\(result.stderr)")
        #expect(temp.snapshot().isEmpty)

        // A user without a passwd entry refuses the file too, naming the line.
        lines[4] = "HOTP/T60 s2fa-no-such-user - \(Self.daemonTOTP)"
        try lines.joined(separator: "\n").write(toFile: path, atomically: false, encoding: .utf8)
        let unknown = try CLI.run(["import", "--pam-oath", path, "--store", temp.path])
        #expect(unknown.status == 64, "\(unknown.stderr)")
        #expect(unknown.stderr.contains("line 5 of \(path): unknown user 's2fa-no-such-user'"), "\(unknown.stderr)")
        #expect(temp.snapshot().isEmpty)
    }

    @Test("every user enrolled with the file's keys, counters and used steps; oathtool's codes log in")
    func importsEveryUser() throws {
        awayFromStepBoundary()
        let temp = try TempStore()
        let step = UInt64(AuthenticatorApp.now() / 30)
        let path = write(try goodFile(step: step), for: temp)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try CLI.run(["import", "--json", "--pam-oath", path, "--store", temp.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("line 4: user nobody has a PIN"), "\(result.stderr)")
        let users = try #require(try result.json()["users"] as? [[String: Any]])
        #expect(users.map { $0["user"] as? String } == ["root", "nobody", "daemon"])
        let labels = users.map { ($0["credentials"] as? [[String: Any]] ?? []).map { $0["label"] as? String ?? "" } }
        #expect(labels == [["oath-line-2", "oath-line-3"], ["oath-line-4"], ["oath-line-5", "oath-line-6"]])

        // root: the HOTP counter carries over and moves; the last used TOTP step stays used.
        let root = temp.args("root")
        #expect(try CLI.verifyResult(try OathTool.hotp(hex: Self.rootHOTP, counter: 2), root) == "rejected")
        let third = try OathTool.hotp(hex: Self.rootHOTP, counter: 3)
        #expect(try CLI.verifyResult(third, root) == "accepted-hotp")
        #expect(try CLI.verifyResult(third, root) == "rejected", "the counter moved past it")
        #expect(try CLI.verifyResult(try OathTool.hotp(hex: Self.rootHOTP, counter: 5), root) == "accepted-hotp")
        let status = try CLI.run(["status", "--json"] + root)
        let credentials = try #require(try status.json()["credentials"] as? [[String: Any]])
        #expect(credentials.first?["next_counter"] as? Int == 6)
        let rootTOTP = try CLI.base32(hex: Self.rootTOTP)
        #expect(try CLI.verifyResult(try CLI.oathtool(rootTOTP, at: Int64(step) * 30, digits: 8), root) == "replayed")
        #expect(try CLI.verifyResult(try CLI.oathtool(rootTOTP, at: Int64(step + 1) * 30, digits: 8), root) == "accepted-totp")

        // nobody: 7 digits from counter 5 (the PIN is not asked for).
        let nobody = temp.args("nobody")
        #expect(try CLI.verifyResult(try OathTool.hotp(hex: Self.nobodyHOTP, counter: 5, digits: 7), nobody) == "accepted-hotp")

        // daemon: 60-second codes; the accepted counter 7 is used, 8 is next.
        let daemon = temp.args("daemon")
        #expect(try CLI.verifyResult(try CLI.oathtool(try CLI.base32(hex: Self.daemonTOTP), period: 60), daemon) == "accepted-totp")
        #expect(try CLI.verifyResult(try OathTool.hotp(hex: Self.daemonHOTP, counter: 7), daemon) == "rejected")
        #expect(try CLI.verifyResult(try OathTool.hotp(hex: Self.daemonHOTP, counter: 8), daemon) == "accepted-hotp")
    }

    @Test("only root imports a users file")
    func needsRoot() throws {
        let temp = try TempStore()
        let path = write(try goodFile(step: UInt64(AuthenticatorApp.now() / 30)), for: temp)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try CLI.run(["import", "--pam-oath", path, "--store", temp.path], asNobody: true)
        #expect(result.status == 74, "\(result.stderr)")
        #expect(result.stderr.contains("need root"), "\(result.stderr)")
        #expect(temp.snapshot().isEmpty)
    }

    @Test("--user imports one user's lines; an enrolled user is refused unless --force or --add")
    func oneUserAndExistingEnrollments() throws {
        let temp = try TempStore()
        let path = write(try goodFile(step: UInt64(AuthenticatorApp.now() / 30)), for: temp)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try CLI.run(["import", "--pam-oath", path] + temp.args("daemon"))
        #expect(first.status == 0, "\(first.stderr)")
        #expect(Set(temp.snapshot().keys).isSubset(of: ["daemon.secret", "daemon.state", "daemon.lock"]), "\(temp.snapshot().keys)")

        // Enrolled: the whole file is refused, naming the user, and nothing is written.
        let before = temp.snapshot()
        let refused = try CLI.run(["import", "--pam-oath", path, "--store", temp.path])
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr.contains("daemon is already enrolled (line 5, line 6)"), "\(refused.stderr)")
        #expect(temp.snapshot() == before)

        // --add: the labels are taken, so the new ones get a suffix; at most 8 in all.
        let added = try CLI.run(["import", "--json", "--add", "--pam-oath", path] + temp.args("daemon"))
        #expect(added.status == 0, "\(added.stderr)")
        let status = try CLI.run(["status", "--json"] + temp.args("daemon"))
        let labels = (try status.json()["credentials"] as? [[String: Any]] ?? []).map { $0["label"] as? String }
        #expect(labels == ["oath-line-5", "oath-line-6", "oath-line-5-2", "oath-line-6-2"])
        for _ in 0..<2 { #expect(try CLI.run(["import", "--add", "--pam-oath", path] + temp.args("daemon")).status == 0) }
        let full = temp.snapshot()
        let refusedNinth = try CLI.run(["import", "--add", "--pam-oath", path] + temp.args("daemon"))
        #expect(refusedNinth.status == 64)
        #expect(refusedNinth.stderr.contains("holds 8 credentials and would hold 10"), "\(refusedNinth.stderr)")
        #expect(temp.snapshot() == full)

        // --force: only the file's keys again.
        #expect(try CLI.run(["import", "--force", "--pam-oath", path] + temp.args("daemon")).status == 0)
        let replaced = try CLI.run(["status", "--json"] + temp.args("daemon"))
        #expect((try replaced.json()["credentials"] as? [[String: Any]])?.count == 2)
    }
}
