import Testing
@testable import TwoFactorCore

@Suite("Configuration file")
struct ConfigFileTests {
    static func parsed(_ text: String) throws -> ConfigFile {
        try ConfigFile.parse(text, path: "/etc/swift-2fa/swift-2fa.conf")
    }

    @Test("key = value lines, comments, blank lines, spaces and CR LF")
    func format() throws {
        let config = try Self.parsed("# site policy\n\nwindow = 2\r\n  throttle_after=5  \nlock_after =\t50\nstore = /srv/2fa dir\n")
        #expect(config.entries.map(\.key) == ["window", "throttle_after", "lock_after", "store"])
        #expect(config.entries.map(\.value) == ["2", "5", "50", "/srv/2fa dir"])
        #expect(config.entries.map(\.line) == [3, 4, 5, 6])
    }

    @Test("an empty file or only comments is the defaults")
    func empty() throws {
        #expect(try Self.parsed("").entries.isEmpty)
        #expect(try Self.parsed("# nothing\n\n").entries.isEmpty)
        let options = try ModuleOptions.parse([], config: Self.parsed("# nothing\n"))
        #expect(options == ModuleOptions())
    }

    @Test("malformed files are refused with the line number", arguments: [
        ("window 2\n", "line 1: expected 'key = value'"),
        ("\n\nbogus = 1\n", "line 3: unknown key 'bogus'"),
        ("window =\n", "line 1: 'window' has no value"),
        ("window = 1\nwindow = 2\n", "line 2: 'window' is set more than once"),
        ("nullok = 1\n", "line 1: unknown key 'nullok'"),
        ("secret = /x\n", "line 1: unknown key 'secret'"),
        ("window = 1\u{1B}\n", "line 1: control character"),
    ])
    func malformed(text: String, message: String) {
        do throws(OptionError) {
            _ = try ConfigFile.parse(text, path: "/etc/swift-2fa/swift-2fa.conf")
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.description == "/etc/swift-2fa/swift-2fa.conf \(message)", "\(error)")
        }
    }

    @Test("bad values are refused with the file and line", arguments: [
        ("window = 11\n", "line 1: option 'window' needs a whole number from 0 to 10"),
        ("\nlock_after = 101\n", "line 2: option 'lock_after' needs a whole number from 1 to 100"),
        ("store = relative\n", "line 1: option 'store' needs an absolute path"),
    ])
    func badValues(text: String, message: String) throws {
        let config = try Self.parsed(text)
        do throws(OptionError) {
            _ = try ModuleOptions.parse([], config: config)
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.description.hasPrefix("/etc/swift-2fa/swift-2fa.conf \(message)"), "\(error)")
        }
    }

    @Test("the file sets the policy and the store; module options override it per service")
    func precedence() throws {
        let config = try Self.parsed("window = 3\nthrottle_after = 5\nthrottle_delay = 10\nthrottle_max = 60\nlock_after = 20\nstore = /srv/2fa\n")
        let fromFile = try ModuleOptions.parse([], config: config)
        #expect(fromFile.policy == VerificationPolicy(window: 3, throttle: ThrottlePolicy(
            throttleAfter: 5, baseDelay: 10, maxDelay: 60, lockAfter: 20)))
        #expect(fromFile.storeDirectory == "/srv/2fa")
        let overridden = try ModuleOptions.parse(["window=0", "lock_after=7", "store=/other"], config: config)
        #expect(overridden.policy.window == 0)
        #expect(overridden.policy.throttle.lockAfter == 7)
        #expect(overridden.policy.throttle.throttleAfter == 5, "keys the line does not name stay the file's")
        #expect(overridden.storeDirectory == "/other")
    }

    @Test("config= names the file; it is validated and may appear once")
    func configOption() throws {
        #expect(try ModuleOptions.configPath(in: []) == "/etc/swift-2fa/swift-2fa.conf")
        #expect(try ModuleOptions.configPath(in: ["nullok", "config=/srv/a.conf"]) == "/srv/a.conf")
        #expect((try? ModuleOptions.configPath(in: ["config=relative"])) == nil)
        #expect((try? ModuleOptions.configPath(in: ["config=/a/../b"])) == nil)
        #expect((try? ModuleOptions.configPath(in: ["config"])) == nil)
        #expect((try? ModuleOptions.configPath(in: ["config=/a", "config=/b"])) == nil)
    }
}
