import Foundation
import Testing
import TwoFactorCore
import TwoFactorStore

/// The interactive enrollment: through a pseudo-terminal (expect), and with piped answers.
@Suite(.requiresRoot("the command acts for --user root"), .requiresOathtool, .requires("/usr/bin/expect", package: "expect"))
struct InteractiveTests {
    @Test func promptWrongCodeThenRightCodeThroughAPseudoTerminal() throws {
        let temp = try TempStore()
        let (result, secret) = try CLI.enrollThroughTerminal(["--store", temp.path, "--user", "root", "--qr", "utf8"])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("Scan this QR code"))
        #expect(result.stdout.contains("2 tries left"))
        let record = try #require(try temp.store.readSecret(user: "root"))
        #expect(Base32.encode(record.secret) == secret)
        #expect(record.backupCodes.count == 10)
    }

    @Test func threeWrongCodesWriteNothing() throws {
        let temp = try TempStore()
        let svg = temp.path + "-qr.svg"
        let result = try CLI.run(["--qr", "none", "--qr-svg", svg] + temp.args(), input: "1\n2\n3\n")
        #expect(result.status == 1)
        #expect(result.hasOneErrorLine)
        #expect(result.stderr.contains("nothing was written"))
        #expect(result.stdout.components(separatedBy: "Enter the 6-digit code from your app: ").count == 4)
        #expect(temp.snapshot().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: svg))
    }

    @Test func threeWrongCodesKeepThePreviousEnrollment() throws {
        let temp = try TempStore()
        _ = try temp.enroll()
        let before = temp.snapshot()
        let result = try CLI.run(["enroll", "--force", "--qr", "none"] + temp.args(), input: "1\n2\n3\n")
        #expect(result.status == 1)
        #expect(temp.snapshot() == before)
    }

    @Test func wrongCodeOptionWritesNothingWithoutPrompting() throws {
        // A right --code needs the secret first, which is what the pending flow is for;
        // a wrong one must write nothing and never fall back to prompting.
        let temp = try TempStore()
        let result = try CLI.run(["enroll", "--code", "123456", "--qr", "none"] + temp.args())
        #expect(result.status == 1)
        #expect(!result.stdout.contains("Enter the"))
        #expect(temp.snapshot().isEmpty)
    }

    @Test func noAnswerWritesNothing() throws {
        let temp = try TempStore()
        let result = try CLI.run(["enroll", "--qr", "none"] + temp.args(), input: "")
        #expect(result.status == 1)
        #expect(result.hasOneErrorLine)
        #expect(temp.snapshot().isEmpty)
    }
}
