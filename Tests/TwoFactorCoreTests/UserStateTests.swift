import Testing
@testable import TwoFactorCore

@Suite("State file format (UserState)")
struct UserStateTests {
    static let salt1 = String(repeating: "0a", count: 16)
    static let salt2 = String(repeating: "f1", count: 16)

    static func validText(lastStep: String = "58839821", failures: String = "2", throttledUntil: String = "1764456030",
                          locked: String = "0", extra: [String] = [], omit: Set<String> = [],
                          version: String = "1") -> String {
        var lines = ["version \(version)"]
        let body = [("last_step", lastStep), ("failures", failures), ("throttled_until", throttledUntil), ("locked", locked)]
        for (key, value) in body where !omit.contains(key) { lines.append("\(key) \(value)") }
        lines += extra
        return lines.joined(separator: "\n") + "\n"
    }

    static func expectRefused(_ text: String, mentioning fragment: String? = nil,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        do throws(FileFormatError) {
            let state = try UserState.parse(text)
            Issue.record("accepted \(state) from \(text.debugDescription.prefix(200))", sourceLocation: sourceLocation)
        } catch {
            #expect(!error.description.isEmpty, sourceLocation: sourceLocation)
            if let fragment {
                #expect(error.description.contains(fragment), "message '\(error.description)' should mention '\(fragment)'",
                        sourceLocation: sourceLocation)
            }
        }
    }

    @Test("a fresh state is all zero")
    func fresh() {
        let state = UserState()
        #expect(state.lastStep == 0)
        #expect(state.failures == 0)
        #expect(state.throttledUntil == 0)
        #expect(!state.locked)
        #expect(state.usedBackupSalts.isEmpty)
    }

    @Test("a hand-written file parses to the expected state")
    func parsesHandWritten() throws {
        let text = Self.validText(locked: "1", extra: ["used_backup \(Self.salt1)", "# note", "",
                                                       "used_backup \(Self.salt2.uppercased())"])
        let state = try UserState.parse(text)
        #expect(state == UserState(lastStep: 58_839_821, failures: 2, throttledUntil: 1_764_456_030, locked: true,
                                   usedBackupSalts: [Self.salt1, Self.salt2]))
    }

    @Test("serialize then parse gives back the state")
    func roundTrip() throws {
        var generator = SeededGenerator(seed: 0x57A7E)
        let states = [
            UserState(),
            UserState(lastStep: .max, failures: 1_000_000, throttledUntil: Int64.max / 2, locked: true,
                      usedBackupSalts: [Self.salt1, Self.salt2]),
            UserState(lastStep: 666_666_666, failures: 0, throttledUntil: 0, locked: false, usedBackupSalts: []),
        ] + (0..<50).map { _ in
            UserState(lastStep: UInt64.random(in: 0...UInt64.max, using: &generator),
                      failures: Int.random(in: 0...100, using: &generator),
                      throttledUntil: Int64.random(in: 0...5_000_000_000, using: &generator),
                      locked: Bool.random(using: &generator),
                      usedBackupSalts: (0..<Int.random(in: 0...5, using: &generator)).map { _ in
                          hexString(generator.bytes(16))
                      })
        }
        for state in states {
            let text = state.serialized()
            #expect(text.hasPrefix("version 2\n"))
            #expect(try UserState.parse(text) == state)
        }
    }

    @Test("the serialized text has the documented lines")
    func serializedLines() {
        let state = UserState(lastStep: 7, failures: 3, throttledUntil: 99, locked: true, usedBackupSalts: [Self.salt1])
        #expect(state.serialized() == "version 2\nfailures 3\nthrottled_until 99\nlocked 1\nused_backup \(Self.salt1)\ncredential - 7 -\n")
        #expect(UserState().serialized() == "version 2\nfailures 0\nthrottled_until 0\nlocked 0\n")
    }

    @Test("backup_failures: optional, 0 when absent, written only when not 0, round trips")
    func backupFailures() throws {
        #expect(try UserState.parse(Self.validText()).backupFailures == 0, "a file written before the line")
        let parsed = try UserState.parse(Self.validText(extra: ["backup_failures 2"]))
        #expect(parsed.backupFailures == 2)
        #expect(parsed.failures == 2)
        let state = UserState(lastStep: 7, failures: 3, throttledUntil: 99, locked: false, usedBackupSalts: [],
                              backupFailures: 3)
        #expect(state.serialized() == "version 2\nfailures 3\nthrottled_until 99\nlocked 0\nbackup_failures 3\ncredential - 7 -\n")
        #expect(try UserState.parse(state.serialized()) == state)
        #expect(!UserState().serialized().contains("backup_failures"))
        #expect(try UserState.parse(Self.validText(extra: ["backup_failures 1000000"])).backupFailures == 1_000_000)
        for value in ["-1", "x", "1000001", "", "1.5"] {
            Self.expectRefused(Self.validText(extra: ["backup_failures \(value)"]))
        }
        Self.expectRefused(Self.validText(extra: ["backup_failures 1", "backup_failures 1"]), mentioning: "backup_failures")
    }

    @Test("empty text is refused")
    func empty() {
        Self.expectRefused("")
        Self.expectRefused("\n")
        Self.expectRefused("# nothing\n\n")
    }

    @Test("missing or unsupported version is refused")
    func versions() {
        Self.expectRefused(Self.validText().replacingLine(startingWith: "version", with: "# no version"), mentioning: "version")
        Self.expectRefused(Self.validText(version: "3"), mentioning: "version")
        Self.expectRefused(Self.validText(version: "0"), mentioning: "version")
        Self.expectRefused(Self.validText(version: "x"), mentioning: "version")
        Self.expectRefused("last_step 1\nversion 1\nfailures 0\nthrottled_until 0\nlocked 0\n", mentioning: "version")
    }

    @Test("an unknown key is refused")
    func unknownKey() {
        Self.expectRefused(Self.validText(extra: ["secret JBSWY3DPEHPK3PXP"]), mentioning: "unknown key 'secret'")
        Self.expectRefused(Self.validText(extra: ["Failures 0"]), mentioning: "unknown key 'Failures'")
    }

    @Test("duplicate keys are refused", arguments: ["last_step", "failures", "throttled_until", "locked"])
    func duplicateKey(key: String) {
        Self.expectRefused(Self.validText(extra: ["\(key) 0"]), mentioning: key)
    }

    @Test("missing keys are refused", arguments: ["last_step", "failures", "throttled_until", "locked"])
    func missingKey(key: String) {
        Self.expectRefused(Self.validText(omit: [key]), mentioning: key)
    }

    @Test("invalid numbers are refused")
    func invalidNumbers() {
        for value in ["-1", "x", "1.0", "18446744073709551616", "99999999999999999999999", "0x10"] {
            Self.expectRefused(Self.validText(lastStep: value), mentioning: "last_step")
        }
        for value in ["-1", "1000001", "x", "99999999999999999999999"] {
            Self.expectRefused(Self.validText(failures: value), mentioning: "failures")
        }
        for value in ["-1", "x", "9223372036854775808", "99999999999999999999"] {
            Self.expectRefused(Self.validText(throttledUntil: value), mentioning: "throttled_until")
        }
        for value in ["2", "-1", "true", "yes"] {
            Self.expectRefused(Self.validText(locked: value), mentioning: "locked")
        }
    }

    @Test("the edges of the accepted ranges parse")
    func edges() throws {
        #expect(try UserState.parse(Self.validText(lastStep: "18446744073709551615")).lastStep == .max)
        #expect(try UserState.parse(Self.validText(failures: "1000000")).failures == 1_000_000)
        #expect(try UserState.parse(Self.validText(failures: "0")).failures == 0)
        // Any time the module can write (StateRoundTripTests), up to Int64.max.
        #expect(try UserState.parse(Self.validText(throttledUntil: "9223372036854775807")).throttledUntil == .max)
        #expect(try UserState.parse(Self.validText(locked: "1")).locked)
        #expect(try !UserState.parse(Self.validText(locked: "0")).locked)
    }

    @Test("malformed used_backup lines are refused", arguments: [
        "used_backup 0a", "used_backup \(String(repeating: "0a", count: 17))", "used_backup \(String(repeating: "zz", count: 16))",
        "used_backup \(String(repeating: "0", count: 31))", "used_backup \(String(repeating: "0a", count: 15))0",
    ])
    func badUsedBackup(line: String) {
        Self.expectRefused(Self.validText(extra: [line]), mentioning: "used_backup")
    }

    @Test("binary garbage and control characters are refused")
    func garbage() {
        var generator = SeededGenerator(seed: 0xBAD5)
        for _ in 0..<50 {
            Self.expectRefused(String(decoding: generator.bytes(Int.random(in: 1...300, using: &generator)), as: UTF8.self))
        }
        for character in ["\u{0}", "\u{1}", "\t", "\u{7F}", "é", "\u{1B}"] {
            Self.expectRefused(Self.validText(failures: "0\(character)"))
            Self.expectRefused(Self.validText(extra: ["x\(character)y z"]))
        }
    }

    @Test("more than 64 KiB or too many lines are refused")
    func limits() {
        let base = Self.validText()
        let overSize = base + "#" + String(repeating: "x", count: 64 * 1024 - base.utf8.count - 1) + "\n"
        #expect(overSize.utf8.count == 64 * 1024 + 1)
        Self.expectRefused(overSize, mentioning: "larger")
        Self.expectRefused(base + String(repeating: "#\n", count: 300), mentioning: "lines")
    }

    @Test("unlock clears failures, back-off and lock, and keeps the used steps and backup codes")
    func unlocked() {
        let state = UserState(lastStep: 58_839_821, failures: 12, throttledUntil: 1_800_000_300, locked: true,
                              usedBackupSalts: ["00ff"], enrollment: "abc", backupFailures: 3)
        #expect(state.unlocked() == UserState(lastStep: 58_839_821, failures: 0, throttledUntil: 0, locked: false,
                                              usedBackupSalts: ["00ff"], enrollment: "abc", backupFailures: 0))
    }

    @Test("last_accepted: optional, read when present, written only when set, refused when not a time")
    func lastAccepted() throws {
        #expect(try UserState.parse(Self.validText()).lastAccepted == nil)
        let state = try UserState.parse(Self.validText(extra: ["last_accepted 1764456000"]))
        #expect(state.lastAccepted == 1_764_456_000)
        #expect(try UserState.parse(state.serialized()) == state)
        #expect(state.serialized().contains("last_accepted 1764456000\n"))
        var none = state
        none.lastAccepted = nil
        #expect(!none.serialized().contains("last_accepted"))
        #expect(state.unlocked().lastAccepted == state.lastAccepted, "unlock keeps it")
        for bad in ["-1", "x", "", "99999999999999999999999"] {
            Self.expectRefused(Self.validText(extra: ["last_accepted \(bad)"]))
        }
        Self.expectRefused(Self.validText(extra: ["last_accepted 1", "last_accepted 2"]))
    }
}
