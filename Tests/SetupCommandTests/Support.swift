import Foundation
import Testing
import TestSupport
import TwoFactorCore
import TwoFactorStore

extension ProgramResult {
    /// The stdout parsed as one JSON object.
    func json() throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
        return try #require(value as? [String: Any], "stdout is not a JSON object: \(stdout)")
    }

    /// True when stderr is exactly one `swift-2fa-setup: ` line (warnings aside).
    var hasOneErrorLine: Bool {
        let lines = stderr.split(separator: "\n")
        return lines.count == 1 && lines[0].hasPrefix("swift-2fa-setup: ")
    }
}

/// Runs the built `swift-2fa-setup`.
enum CLI {
    /// The binary in the same build directory as this test bundle, so the tests use the
    /// build of whatever scratch path they were run from.
    static let binary = BuiltProduct.path("swift-2fa-setup")

    /// Runs the command with `arguments`, feeding `input` on stdin.
    @discardableResult
    static func run(_ arguments: [String], input: String = "", asNobody: Bool = false) throws -> ProgramResult {
        if asNobody {
            return try Program.run("/usr/bin/setpriv",
                                   ["--reuid=65534", "--regid=65534", "--clear-groups", binary] + arguments, input: input)
        }
        return try Program.run(binary, arguments, input: input)
    }

    /// The code `oathtool` (an independent implementation) computes for `secret` at `time`.
    static func oathtool(_ secret: String, at time: Int64 = AuthenticatorApp.now(), digits: Int = 6,
                         algorithm: String = "SHA1", period: Int = 30) throws -> String {
        try OathTool.totp(secret, at: time, digits: digits, algorithm: algorithm, period: period)
    }

    /// The base32 form of a hex secret, for `oathtool(_:)`.
    static func base32(hex: String) throws -> String {
        Base32.encode(try #require(Hex.decode(Substring(hex))))
    }

    /// `verify --json --code CODE` for `args`: its `result` (`accepted-hotp`, `rejected`, …).
    static func verifyResult(_ code: String, _ args: [String]) throws -> String {
        let result = try run(["verify", "--json", "--code", code] + args)
        return try result.json()["result"] as? String ?? "no result: \(result.stderr)"
    }
}

/// A private store directory (mode 0700) for one test, removed at the end.
final class TempStore {
    let directory: TemporaryDirectory
    var path: String { directory.path }
    var store: Store { Store(directory: path) }

    init() throws { directory = try TemporaryDirectory() }

    /// `--store PATH --user USER`.
    func args(_ user: String = "root") -> [String] { ["--store", path, "--user", user] }

    /// A file `<store>-<name>` next to the store, mode 0600 and owned by the test's user
    /// (root), with `contents`; its path. The caller removes it.
    func privateFile(_ name: String, contents: Data) -> String {
        let path = self.path + "-" + name
        #expect(FileManager.default.createFile(atPath: path, contents: contents, attributes: [.posixPermissions: 0o600]))
        return path
    }

    /// Every file below the store with its mode and contents, to prove nothing changed.
    func snapshot() -> [String: String] { TempStore.snapshot(of: path) }

    /// Every file below `directory` with its mode and contents.
    static func snapshot(of directory: String) -> [String: String] {
        var result: [String: String] = [:]
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return result }
        for case let name as String in enumerator {
            let full = directory + "/" + name
            let attributes = try? FileManager.default.attributesOfItem(atPath: full)
            let mode = (attributes?[.posixPermissions] as? Int).map { String($0, radix: 8) } ?? "?"
            let contents = (try? String(contentsOfFile: full, encoding: .utf8)) ?? "<not a text file>"
            result[name] = "\(mode) \(contents)"
        }
        return result
    }

    /// Enrolls `user` through `enroll --pending --json` and `confirm` with an oathtool code.
    /// Returns the secret and the backup codes.
    func enroll(_ user: String = "root", extra: [String] = []) throws -> (secret: String, backupCodes: [String]) {
        let started = try CLI.run(["enroll", "--pending", "--json"] + args(user) + extra)
        try #require(started.status == 0, "enroll --pending failed: \(started.stderr)")
        let secret = try #require(try started.json()["secret"] as? String)
        let confirmed = try CLI.run(["confirm", "--json", "--code", try CLI.oathtool(secret)] + args(user) + extra)
        try #require(confirmed.status == 0, "confirm failed: \(confirmed.stderr)")
        let codes = try #require(try confirmed.json()["backup_codes"] as? [String])
        return (secret, codes)
    }
}

/// The built module copied under its real name (`good/pam_swift2fa.so`) into a private
/// directory, as a PAM line names it.
final class InstalledModule {
    let directory: TempStore
    var path: String { "\(directory.path)/good/pam_swift2fa.so" }

    init() throws {
        let built = URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().appendingPathComponent("libpam_swift2fa.so").path
        try #require(FileManager.default.fileExists(atPath: built), "build the module first")
        directory = try TempStore()
        try FileManager.default.createDirectory(atPath: "\(directory.path)/good", withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: built, toPath: path)
    }
}

extension CLI {
    /// Runs an interactive enrollment in a pseudo-terminal with expect: it reads the secret
    /// from the screen, computes codes with oathtool, types a wrong code, then the right
    /// one. Returns expect's transcript (exit status = the command's) and the secret.
    /// `prefix` runs the command through another program (e.g. setpriv).
    static func enrollThroughTerminal(_ arguments: [String], prefix: [String] = []) throws -> (ProgramResult, String) {
        let command = (prefix + [binary] + arguments).map { "{\($0)}" }.joined(separator: " ")
        let script = """
            set timeout 30
            spawn \(command)
            expect -re {\\n    ((?:[A-Z2-7]{4} ){7}[A-Z2-7]{4})\\r}
            set secret [string map {" " ""} $expect_out(1,string)]
            expect "Enter the 6-digit code from your app: "
            set right [exec /usr/bin/oathtool --totp -b $secret]
            scan $right %d number
            set wrong [format %06d [expr {($number + 500000) % 1000000}]]
            send "$wrong\\r"
            expect "That code is not right"
            expect "Enter the 6-digit code from your app: "
            send "$right\\r"
            expect "is now active for"
            expect "Backup codes"
            expect eof
            puts "SECRET=$secret"
            catch wait result
            exit [lindex $result 3]
            """
        let transcript = try Program.run("/usr/bin/expect", ["-c", script])
        // A terminal ends lines with CR LF, which Swift treats as one character: drop the CRs.
        let result = ProgramResult(status: transcript.status,
                               stdout: String(String.UnicodeScalarView(transcript.stdout.unicodeScalars.filter { $0 != "\r" })),
                               stderr: transcript.stderr)
        let line = result.stdout.components(separatedBy: "\n").first { $0.hasPrefix("SECRET=") } ?? "SECRET="
        return (result, String(line.dropFirst("SECRET=".count)).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
