import Testing
@testable import TwoFactorCore

@Suite("UserName")
struct UserNameTests {
    /// The reason `UserName.check` gives, or nil when it accepts the name.
    static func reason(_ name: String) -> String? {
        do throws(UserNameError) {
            try UserName.check(name)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("unsafe names are refused with a reason", arguments: [
        "", ".", "..", "../root", "a/b", "/", "/etc/passwd", "alice/", "x\n", "\nx", "a\tb", "a\rb", "\u{7f}", "a\u{0}b",
        "\u{1B}[31m", String(repeating: "a", count: 257), String(repeating: "é", count: 129),
    ])
    func refused(name: String) {
        let problem = Self.reason(name)
        #expect(problem != nil, "\(name.debugDescription) was accepted")
        #expect(problem?.isEmpty == false)
        #expect(!UserName.isSafe(name))
    }

    @Test("ordinary names are accepted", arguments: [
        "alice", "first.last", "user@example.com", "DOMAIN\\user", "a", "...", ".hidden", "a..b", "x-y_z", "jörg",
        "user name", "$user", String(repeating: "a", count: 256), String(repeating: "é", count: 128),
    ])
    func accepted(name: String) {
        #expect(Self.reason(name) == nil, "\(name.debugDescription) was refused")
        #expect(UserName.isSafe(name))
    }

    @Test("the limit is 256 bytes, not 256 characters")
    func byteLimit() {
        #expect(UserName.maximumLength == 256)
        let twoByte = String(repeating: "é", count: 129) // 258 bytes, 129 characters
        #expect(twoByte.count < 256)
        #expect(Self.reason(twoByte) != nil)
        #expect(Self.reason(String(repeating: "a", count: 255) + "é") != nil) // 257 bytes
    }

    @Test("the reasons say what is wrong")
    func reasons() {
        #expect(Self.reason("")?.contains("empty") == true)
        #expect(Self.reason("a/b")?.contains("/") == true)
        #expect(Self.reason("x\n")?.contains("control") == true)
        #expect(Self.reason(String(repeating: "a", count: 257))?.contains("long") == true)
    }
}
