import Foundation
import Testing
@testable import TwoFactorCore

/// pam_oath's users file (`import --pam-oath`).
@Suite("OATHUsersFile")
struct OATHUsersFileTests {
    /// RFC 4226 Appendix D: the secret "12345678901234567890" and its codes for counters 0 to 5.
    static let rfcSecret = "3132333435363738393031323334353637383930"
    static let rfcCodes = ["755224", "287082", "359152", "969429", "338314", "254676"]
    /// 2026-12-07T05:50:39Z.
    static let now: Int64 = 1_796_622_639

    static func parse(_ text: String, now: Int64 = now, utcOffset: Int = 0) throws -> OATHUsersFile {
        try OATHUsersFile.parse(text, now: now, utcOffset: utcOffset)
    }

    /// The problems of a refused file, or an issue when it was accepted.
    static func problems(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [OATHUsersFile.Note] {
        do throws(OATHUsersFile.ParseError) {
            let parsed = try OATHUsersFile.parse(text, now: now, utcOffset: 0)
            Issue.record("accepted: \(parsed.entries.count) entries", sourceLocation: sourceLocation)
            return []
        } catch {
            #expect(!error.description.contains(rfcSecret), "leaks the secret", sourceLocation: sourceLocation)
            return error.problems
        }
    }

    @Test("a file written by liboath 2.6.7 (Tests/Fixtures/oath/README.md)")
    func liboathFixture() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/oath/users.oath")
        // The file was written at 1796622639 in Europe/Berlin (UTC+1); imported 100 s later.
        let file = try Self.parse(try String(contentsOf: url, encoding: .utf8), now: Self.now + 100, utcOffset: 3600)
        #expect(file.findings.isEmpty)
        #expect(file.entries.map(\.user) == ["alice", "bob", "carol", "dave"])
        #expect(file.entries.map(\.line) == [2, 3, 5, 6])
        let kinds = file.entries.map(\.credential.kind)
        // alice's code of counter 2 was accepted: 3 is next. bob's 8-digit code of step
        // (now + 60) / 30 was accepted. carol's line was never used: counter 5 is next.
        #expect(kinds == [.hotp(counter: 3), .totp(period: 30, lastUsedStep: 59_887_423), .hotp(counter: 5),
                          .totp(period: 60, lastUsedStep: nil)])
        #expect(file.entries.map(\.credential.digits) == [6, 8, 7, 7])
        #expect(file.entries.map(\.credential.label) == ["oath-line-2", "oath-line-3", "oath-line-5", "oath-line-6"])
        #expect(file.entries.allSatisfy { $0.credential.algorithm == .sha1 && !$0.hadPIN })
        #expect(file.entries[1].credential.secret == Array("Leaky secret 1234567".utf8))
        #expect(file.entries[2].credential.secret == bytes(hex: "0123456789abcdef0123456789abcdef"))
    }

    @Test("3 users on 5 lines, one malformed: the error names that line and only it")
    func oneMalformedLine() {
        let text = """
            HOTP alice - \(Self.rfcSecret)
            HOTP/T30 alice - \(Self.rfcSecret)
            HOTP/T60 bob - \(Self.rfcSecret)
            HOTP/E carol - \(Self.rfcSecret) twelve
            HOTP/E/8 carol - \(Self.rfcSecret) 12

            """
        let problems = Self.problems(text)
        #expect(problems.map(\.line) == [4])
        #expect(problems.first?.description.hasPrefix("line 4: the counter") == true)
    }

    @Test("every bad line is reported, not only the first")
    func everyProblem() {
        let text = """
            TOTP alice - \(Self.rfcSecret)
            HOTP bob
            # a comment
            HOTP carol -
            HOTP dave - 31323g
            HOTP erin - 3132
            HOTP frank - \(Self.rfcSecret) 1 2 3
            HOTP/T30 gina - \(Self.rfcSecret) 0 123456 2026-13-01T00:00:00L
            HOTP/T30 hank - \(Self.rfcSecret) 0 123456 2026-12-07T05:49:33L extra
            HOTP ivan - \(Self.rfcSecret) 0 1234567
            HOTP a/b - \(Self.rfcSecret)
            """
        let problems = Self.problems(text)
        #expect(problems.map(\.line) == [1, 2, 4, 5, 6, 7, 8, 9, 10, 11])
        #expect(problems[0].message.contains("'TOTP'"))
        #expect(problems[1].message == "no PIN field (- for none)")
        #expect(problems[2].message == "no secret")
        #expect(problems[4].message.contains("2 bytes"))
    }

    @Test("each token type", arguments: [
        ("HOTP", 6, nil), ("HOTP/E", 6, nil), ("HOTP/E/6", 6, nil), ("HOTP/E/7", 7, nil), ("HOTP/E/8", 8, nil),
        ("HOTP/T30", 6, 30), ("HOTP/T30/6", 6, 30), ("HOTP/T30/7", 7, 30), ("HOTP/T30/8", 8, 30),
        ("HOTP/T60", 6, 60), ("HOTP/T60/6", 6, 60), ("HOTP/T60/7", 7, 60), ("HOTP/T60/8", 8, 60),
    ] as [(String, Int, Int?)])
    func tokenType(type: String, digits: Int, period: Int?) throws {
        let file = try Self.parse("\(type) alice - \(Self.rfcSecret)\n")
        let credential = try #require(file.entries.first?.credential)
        #expect(credential.digits == digits)
        #expect(credential.kind == (period.map { .totp(period: $0, lastUsedStep: nil) } ?? .hotp(counter: 0)))
    }

    @Test("types liboath does not know are refused",
          arguments: ["hotp", "HOTP/", "HOTP/6", "HOTP/E/9", "HOTP/E/", "HOTP/T30/", "HOTP/T45", "HOTP/T30/7/7", "TOTP", "HOTP/T300"])
    func unknownType(type: String) {
        #expect(Self.problems("\(type) alice - \(Self.rfcSecret)\n").map(\.line) == [1])
    }

    @Test("PINs are reported per line, never quoted, and the keys kept")
    func pins() throws {
        let text = """
            HOTP alice s3cretPIN \(Self.rfcSecret)
            HOTP bob - \(Self.rfcSecret)
            HOTP/T30 carol + \(Self.rfcSecret)
            """
        let file = try Self.parse(text)
        #expect(file.entries.map(\.hadPIN) == [true, false, true])
        #expect(file.findings.map(\.line) == [1, 3])
        #expect(file.findings.allSatisfy { !$0.description.contains("s3cret") && $0.message.contains("PIN") })
        #expect(file.findings[0].description.hasPrefix("line 1: user alice has a PIN"))
        #expect(file.findings[1].message.contains("another module"))
        // Nor is a PIN quoted when its line is refused.
        let refused = Self.problems("HOTP alice s3cretPIN 31323g\nHOTP/T30 bob s3cretPIN \(Self.rfcSecret) x\n")
        #expect(refused.map(\.line) == [1, 2])
        #expect(refused.allSatisfy { !$0.description.contains("s3cret") })
    }

    @Test("HOTP: the counter liboath wrote with its code is used; the next one is accepted")
    func hotpCounter() throws {
        let text = """
            HOTP a - \(Self.rfcSecret) 3 \(Self.rfcCodes[3]) 2026-12-07T05:49:33L
            HOTP b - \(Self.rfcSecret) 3 \(Self.rfcCodes[2]) 2026-12-07T05:49:33L
            HOTP c - \(Self.rfcSecret) 4
            HOTP d - \(Self.rfcSecret) 0 \(Self.rfcCodes[0])
            HOTP/E/8 e - \(Self.rfcSecret) 1 84755224 2026-12-07T05:49:33L
            """
        let file = try Self.parse(text)
        // b: an admin moved the counter to 3 and left the code of 2: liboath searches from 3.
        // e: RFC 4226's 8-digit code for counter 0 is not that of counter 1.
        #expect(file.entries.map(\.credential.kind) == [.hotp(counter: 4), .hotp(counter: 3), .hotp(counter: 4),
                                                        .hotp(counter: 1), .hotp(counter: 1)])
    }

    @Test("HOTP: a used counter at the largest value cannot move on")
    func hotpCounterOverflow() {
        // The code of the largest counter (HOTP is checked against RFC 4226 in HOTPTests).
        let max = UInt64.max
        let code = HOTP.code(secret: bytes(hex: Self.rfcSecret), counter: max, digits: 6, algorithm: .sha1) ?? ""
        #expect(Self.problems("HOTP a - \(Self.rfcSecret) \(max) \(code)\n").map(\.message)
                == ["the counter is at its largest value"])
    }

    @Test("TOTP: the last code is found near its local time, and the step is never after now")
    func totpLastStep() throws {
        // The RFC 4226 codes are also the TOTP codes of steps 0 to 5 (1970-01-01T00:00:00 to 00:02:59).
        let line = "HOTP/T30 a - \(Self.rfcSecret) 2 \(Self.rfcCodes[4]) 1970-01-01T01:02:00L\n"
        // Written at UTC+1: 01:02 local is 00:02 UTC, step 4.
        #expect(try Self.parse(line, now: 10_000, utcOffset: 3600).entries[0].credential.kind
                == .totp(period: 30, lastUsedStep: 4))
        // Read as UTC the time is an hour later; the search still reaches step 4.
        #expect(try Self.parse(line, now: 10_000, utcOffset: 0).entries[0].credential.kind
                == .totp(period: 30, lastUsedStep: 4))
        // A clock set back since: the step is that of now.
        #expect(try Self.parse(line, now: 65, utcOffset: 3600).entries[0].credential.kind
                == .totp(period: 30, lastUsedStep: 2))
        // No time on the line: searched near now.
        let noTime = "HOTP/T30 a - \(Self.rfcSecret) 2 \(Self.rfcCodes[5])\n"
        #expect(try Self.parse(noTime, now: 1000).entries[0].credential.kind == .totp(period: 30, lastUsedStep: 5))
    }

    @Test("TOTP: a last code not found near its time is a finding, with no step carried over")
    func totpLastCodeNotFound() throws {
        let text = "HOTP/T30 a - \(Self.rfcSecret) 0 000000 2026-12-07T05:49:33L\n"
        let file = try Self.parse(text)
        #expect(file.entries[0].credential.kind == .totp(period: 30, lastUsedStep: nil))
        #expect(file.findings.map(\.line) == [1])
        #expect(file.findings[0].message.contains("not found"))
    }

    @Test("local times: calendar arithmetic and malformed forms")
    func localTimes() {
        #expect(OATHUsersFile.localTime("1970-01-01T00:00:00L") == 0)
        #expect(OATHUsersFile.localTime("2026-12-07T05:50:39L") == 1_796_622_639)
        #expect(OATHUsersFile.localTime("2000-02-29T12:00:00L") == 951_825_600)
        #expect(OATHUsersFile.localTime("2038-01-19T03:14:08L") == 2_147_483_648)
        for bad in ["2026-02-29T00:00:00L", "1900-02-29T00:00:00L", "2026-12-07T24:00:00L", "2026-12-07T05:50:39",
                    "2026-12-07 05:50:39L", "2026-12-07T05:50:39Z", "2026-1-07T05:50:39LL", "+026-12-07T05:50:39L"] {
            #expect(OATHUsersFile.localTime(Substring(bad)) == nil, "\(bad)")
        }
    }

    @Test("comments, blank lines, tabs and CRLF")
    func layout() throws {
        let text = "# header\r\n\r\n   # indented comment\n\tHOTP\talice\t-\t\(Self.rfcSecret)\t7\r\n   \n"
        let file = try Self.parse(text)
        #expect(file.entries.map(\.line) == [4])
        #expect(file.entries[0].credential.kind == .hotp(counter: 7))
    }

    @Test("limits: size, lines, an empty file, control characters")
    func limits() {
        let line = "HOTP alice - \(Self.rfcSecret)\n"
        let big = String(repeating: line, count: OATHUsersFile.maximumSize / line.utf8.count + 1)
        #expect(Self.problems(big).map(\.description) == ["the file is larger than 256 KiB"])
        #expect(Self.problems(String(repeating: "#\n", count: OATHUsersFile.maximumLines + 1)).map(\.line) == [nil])
        #expect((try? Self.parse(String(repeating: "#\n", count: OATHUsersFile.maximumLines - 1) + line)) != nil)
        #expect(Self.problems("# nothing\n\n").map(\.message) == ["the file has no keys"])
        #expect(Self.problems("").map(\.message) == ["the file has no keys"])
        #expect(Self.problems("HOTP al\u{1}ice - \(Self.rfcSecret)\n").map(\.message) == ["the line has a control character"])
    }
}
