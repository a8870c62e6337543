import Foundation
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

/// `--secret-file` (the module's `secret=`): the secret in the user's files, the state in the store.
@Suite(.requiresRoot("the secret files are handed to nobody, and the command runs as nobody through setpriv"), .requiresOathtool)
struct HomeModeTests {
    private let nobody: uid_t = 65534

    /// A directory owned by nobody (mode 0700), standing in for a user's home.
    private func nobodyDirectory(_ temp: TempStore) throws -> String {
        let path = temp.path + "-home"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        #expect(chown(path, nobody, nobody) == 0)
        return path
    }

    private func owner(_ path: String) -> uid_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_uid : nil
    }

    @Test func rootEnrollsItselfIntoASecretFile() throws {
        let temp = try TempStore()
        let home = temp.path + "-root-home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: home) }
        let file = home + "/.swift-2fa"
        let (secret, _) = try temp.enroll(extra: ["--secret-file", file])
        let record = try #require(try Store.readSecret(at: file, owners: [0]))
        #expect(Base32.encode(record.secret) == secret)
        #expect(temp.snapshot()["root.secret"] == nil)
        #expect(temp.snapshot()["root.state"] != nil)
        let code = try CLI.oathtool(secret, at: AuthenticatorApp.now() + 30)
        #expect(try CLI.run(["verify", "--code", code, "--secret-file", file] + temp.args()).status == 0)
        #expect(try CLI.run(["status", "--secret-file", file] + temp.args()).status == 0)
        // Not enrolled in the store: status says so on stdout and exits 2 without an error line.
        let notEnrolled = try CLI.run(["status"] + temp.args())
        #expect(notEnrolled.status == 2 && notEnrolled.stderr.isEmpty, "\(notEnrolled.stderr)")
    }

    @Test func rootWritesAUsersSecretFileAsThatUser() throws {
        let temp = try TempStore()
        let home = try nobodyDirectory(temp)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let file = home + "/.swift-2fa"
        let (secret, _) = try temp.enroll("nobody", extra: ["--secret-file", file])
        #expect(owner(file) == nobody)
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let record = try #require(try Store.readSecret(at: file, owners: [nobody, 0]))
        #expect(Base32.encode(record.secret) == secret)
        // ${USER} and ${HOME} style templates expand from the passwd entry, as in the module.
        let status = try CLI.run(["status", "--json", "--secret-file", home + "/.${USER}-2fa"] + temp.args("nobody"))
        #expect(status.status == 2)
        #expect(try status.json()["secret_file"] as? String == home + "/.nobody-2fa")
    }

    @Test func rootDoesNotFollowALinkInAUsersDirectory() throws {
        let temp = try TempStore()
        let home = try nobodyDirectory(temp)
        let elsewhere = try nobodyDirectory(try TempStore())
        let victim = temp.path + "-victim"
        #expect(FileManager.default.createFile(atPath: victim, contents: Data("keep\n".utf8), attributes: [.posixPermissions: 0o600]))
        defer {
            for path in [home, elsewhere, victim] { try? FileManager.default.removeItem(atPath: path) }
        }
        let file = home + "/.swift-2fa"
        let linkedDirectory = home + "/linked"

        // A link already there is reported before anything is shown.
        try FileManager.default.createSymbolicLink(atPath: file, withDestinationPath: victim)
        let refused = try CLI.run(["enroll", "--pending", "--secret-file", file] + temp.args("nobody"))
        #expect(refused.status == 74)
        #expect(refused.hasOneErrorLine)
        #expect(refused.stderr.contains("symbolic link"))
        try FileManager.default.removeItem(atPath: file)

        // Links that appear between enroll and confirm: the file itself, or its directory
        // (pointing to a directory the user may write, so only the link check stops it).
        for (target, link, destination) in [(file, file, victim), (linkedDirectory + "/.swift-2fa", linkedDirectory, elsewhere)] {
            let started = try CLI.run(["enroll", "--pending", "--json", "--force", "--secret-file", target] + temp.args("nobody"))
            #expect(started.status == 0, "\(started.stderr)")
            let secret = try #require(try started.json()["secret"] as? String)
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: destination)
            #expect(lchown(link, nobody, nobody) == 0)
            let before = temp.snapshot()
            let result = try CLI.run(["confirm", "--force", "--code", try CLI.oathtool(secret), "--secret-file", target]
                                     + temp.args("nobody"))
            #expect(result.status == 74)
            #expect(result.hasOneErrorLine, "\(result.stderr)")
            #expect(temp.snapshot() == before)
        }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep\n")
        #expect(TempStore.snapshot(of: elsewhere).isEmpty)
    }

    @Test func aUserEnrollsThemselvesIntoTheirOwnFile() throws {
        let temp = try TempStore()
        let home = try nobodyDirectory(temp)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let file = home + "/.swift-2fa"
        // The store belongs to root: the secret file is still written, with a warning.
        let (result, secret) = try CLI.enrollThroughTerminal(
            ["--store", temp.path, "--secret-file", file, "--qr", "none"],
            prefix: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("was not reset"))
        #expect(owner(file) == nobody)
        let record = try #require(try Store.readSecret(at: file, owners: [nobody]))
        #expect(Base32.encode(record.secret) == secret)
        #expect(temp.snapshot().isEmpty)
    }

    @Test("a user adds a credential to their own enrollment only with a code of an existing one")
    func aUserAddsACredentialWithAnExistingCode() throws {
        let temp = try TempStore()
        let home = try nobodyDirectory(temp)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let file = home + "/.swift-2fa"
        let (secret, _) = try temp.enroll("nobody", extra: ["--secret-file", file])
        // A store the user may use (its lock and state), as a per-user store would be.
        for entry in [temp.path] + temp.snapshot().keys.map({ temp.path + "/" + $0 }) {
            #expect(chown(entry, nobody, nobody) == 0, "\(entry)")
        }
        let seed = "3132333435363738393031323334353637383930"
        let token = try OathTool.hotp(hex: seed, counter: 0)
        let add = ["enroll", "--add", "--label", "token", "--hotp", "--seed-stdin", "--code", token,
                   "--store", temp.path, "--secret-file", file]
        let before = try String(contentsOfFile: file, encoding: .utf8)
        // No existing code (standard input holds the seed): refused, nothing written.
        let none = try CLI.run(add, input: seed + "\n", asNobody: true)
        #expect(none.status == 1 && none.hasOneErrorLine, "\(none.stderr)")
        let wrong = try CLI.run(add + ["--existing-code", "000000"], input: seed + "\n", asNobody: true)
        #expect(wrong.status == 1, "\(wrong.stderr)")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == before)
        let right = try CLI.oathtool(secret, at: AuthenticatorApp.now() + 30)
        let added = try CLI.run(add + ["--existing-code", right], input: seed + "\n", asNobody: true)
        #expect(added.status == 0, "\(added.stderr)")
        let record = try #require(try Store.readSecret(at: file, owners: [nobody]))
        #expect(record.credentials.map(\.label) == ["default", "token"])
        #expect(owner(file) == nobody)
    }
}
