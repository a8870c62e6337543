import Testing
@testable import TwoFactorCore

@Suite("CombinedAnswer (split_answer)")
struct CombinedAnswerTests {
    @Test("password followed by a TOTP code", arguments: [
        ("hunter2123456", 6, "hunter2", "123456"),
        ("hunter212345678", 8, "hunter2", "12345678"),
        ("pass99123456", 6, "pass99", "123456"),
        ("1234567890", 6, "1234", "567890"),
        ("correct horse battery staple000000", 6, "correct horse battery staple", "000000"),
        ("pässwörd€654321", 6, "pässwörd€", "654321"),
        ("a123456", 6, "a", "123456"),
        ("123456", 6, "", "123456"),
        ("12345678", 8, "", "12345678"),
    ])
    func totp(combined: String, digits: Int, password: String, code: String) {
        let split = CombinedAnswer.split(combined, digits: digits)
        #expect(split.password == password)
        #expect(split.code == code)
    }

    @Test("password followed by a backup code, with or without the dash", arguments: [
        ("hunter2abcde-fghjk", "hunter2", "abcde-fghjk"),
        ("hunter2abcdefghjk", "hunter2", "abcdefghjk"),
        ("hunter2ABCDE-FGHJK", "hunter2", "ABCDE-FGHJK"),
        ("secretwordmnpqrstuvw", "secretword", "mnpqrstuvw"),
        ("abcde-fghjk", "", "abcde-fghjk"),
        ("abcdefghjk", "", "abcdefghjk"),
        ("pw-1abcde-fghjk", "pw-1", "abcde-fghjk"),
    ])
    func backup(combined: String, password: String, code: String) {
        let split = CombinedAnswer.split(combined, digits: 6)
        #expect(split.password == password)
        #expect(split.code == code)
        // Joining the parts gives back the answer.
        #expect(split.password + split.code == combined)
    }

    @Test("no code at all: the whole answer is the password and the code is empty", arguments: [
        ("hunter2", 6), ("", 6), ("", 8), ("12345", 6), ("1234567", 8), ("pass12345", 6), ("abcde-fghj", 6),
        ("abcdefghj", 6), ("abcdefghil", 6), ("abcde_fghjk", 6), ("password!", 6), ("pw123 456", 6),
        ("abcdefghjo", 6),
    ])
    func noCode(combined: String, digits: Int) {
        let split = CombinedAnswer.split(combined, digits: digits)
        #expect(split.password == combined)
        #expect(split.code == "")
    }

    @Test("a password shorter than the code length")
    func shortPassword() {
        #expect(CombinedAnswer.split("x123456", digits: 6) == ("x", "123456"))
        #expect(CombinedAnswer.split("ab12345678", digits: 8) == ("ab", "12345678"))
        #expect(CombinedAnswer.split("12345", digits: 6) == ("12345", ""))
        #expect(CombinedAnswer.split("1", digits: 8) == ("1", ""))
    }

    @Test("the code length follows digits")
    func digitsMatter() {
        #expect(CombinedAnswer.split("pw12345678", digits: 6) == ("pw12", "345678"))
        #expect(CombinedAnswer.split("pw12345678", digits: 8) == ("pw", "12345678"))
    }

    @Test("non-positive digits never produce a numeric code")
    func badDigits() {
        #expect(CombinedAnswer.split("pw123456", digits: 0) == ("pw123456", ""))
        #expect(CombinedAnswer.split("pw123456", digits: -3) == ("pw123456", ""))
        #expect(CombinedAnswer.split("pwabcde-fghjk", digits: 0) == ("pw", "abcde-fghjk"))
    }

    @Test("backup-code shape check")
    func shape() {
        #expect(CombinedAnswer.isBackupCodeShape(Array("abcdefghjk".utf8)))
        #expect(CombinedAnswer.isBackupCodeShape(Array("abcde-fghjk".utf8)))
        #expect(CombinedAnswer.isBackupCodeShape(Array("ZYXWV-UTSRQ".utf8)))
        #expect(!CombinedAnswer.isBackupCodeShape(Array("abcdefghik".utf8)), "i is not in the alphabet")
        #expect(!CombinedAnswer.isBackupCodeShape(Array("abcd-efghjk".utf8)))
        #expect(!CombinedAnswer.isBackupCodeShape(Array("abcdefghjkm".utf8)))
        #expect(!CombinedAnswer.isBackupCodeShape(Array("abcdefghj".utf8)))
        #expect(!CombinedAnswer.isBackupCodeShape(Array("1234567890".utf8)))
        #expect(!CombinedAnswer.isBackupCodeShape([]))
    }

    @Test("random passwords with a random code split back into their parts")
    func randomSplits() {
        var generator = SeededGenerator(seed: 0xC0DE)
        // Passwords that end in a character that cannot extend the code (not a digit, not a backup letter).
        let passwordCharacters = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*()_+= .,;:")
        for _ in 0..<300 {
            let length = Int.random(in: 0...20, using: &generator)
            var password = String((0..<length).map { _ in passwordCharacters.randomElement(using: &generator)! })
            if !password.isEmpty { password += "!" }
            let digits = [6, 8].randomElement(using: &generator)!
            let code: String
            if Bool.random(using: &generator) {
                code = String((0..<digits).map { _ in "0123456789".randomElement(using: &generator)! })
            } else {
                let letters = String((0..<10).map { _ in "abcdefghjkmnpqrstuvwxyz".randomElement(using: &generator)! })
                code = Bool.random(using: &generator) ? String(letters.prefix(5)) + "-" + String(letters.dropFirst(5)) : letters
            }
            let split = CombinedAnswer.split(password + code, digits: digits)
            #expect(split.password == password, "\(password + code)")
            #expect(split.code == code, "\(password + code)")
        }
    }
}
