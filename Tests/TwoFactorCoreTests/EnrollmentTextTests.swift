import Testing
@testable import TwoFactorCore

@Suite("QR matrix and half-block drawing")
struct HalfBlockQRTests {
    /// A random matrix of `size` modules per side.
    static func randomMatrix(size: Int, seed: UInt64) -> QRMatrix? {
        var generator = SeededGenerator(seed: seed)
        return QRMatrix(size: size, dark: (0..<(size * size)).map { _ in Bool.random(using: &generator) })
    }

    /// Reads a drawing back into modules (true = dark), written independently of the renderer.
    static func modules(of lines: [String], drawDark: Bool) -> [[Bool]] {
        var rows: [[Bool]] = []
        for line in lines {
            var top: [Bool] = []
            var bottom: [Bool] = []
            for character in line {
                let (upper, lower): (Bool, Bool)
                switch character {
                case "\u{2588}": (upper, lower) = (true, true)
                case "\u{2580}": (upper, lower) = (true, false)
                case "\u{2584}": (upper, lower) = (false, true)
                case " ": (upper, lower) = (false, false)
                default: Issue.record("unexpected character \(character)"); (upper, lower) = (false, false)
                }
                top.append(upper == drawDark)
                bottom.append(lower == drawDark)
            }
            rows.append(top)
            rows.append(bottom)
        }
        return rows
    }

    @Test("a matrix needs size * size modules and a size some QR version has")
    func matrixValidation() {
        #expect(QRMatrix(size: 21, dark: Array(repeating: false, count: 441)) != nil)
        #expect(QRMatrix(size: 21, dark: Array(repeating: false, count: 440)) == nil)
        #expect(QRMatrix(size: 20, dark: Array(repeating: false, count: 400)) == nil)
        #expect(QRMatrix(size: 178, dark: Array(repeating: false, count: 178 * 178)) == nil)
        #expect(QRMatrix(size: 0, dark: []) == nil)
        #expect(QRMatrix(size: -21, dark: []) == nil)
    }

    @Test("the quiet zone of 4 light modules surrounds the code")
    func quietZone() throws {
        let matrix = try #require(QRMatrix(size: 21, dark: Array(repeating: true, count: 441)))
        #expect(matrix.fullSize == 29)
        #expect(!matrix.isDark(x: 3, y: 10) && matrix.isDark(x: 4, y: 10) && matrix.isDark(x: 24, y: 24))
        #expect(!matrix.isDark(x: 25, y: 10) && !matrix.isDark(x: 10, y: 25) && !matrix.isDark(x: -1, y: -1))
    }

    @Test("one dark module in the corner: its exact characters, both ways of drawing")
    func singleModule() throws {
        var dark = Array(repeating: false, count: 441)
        dark[0] = true
        let matrix = try #require(QRMatrix(size: 21, dark: dark))
        let light = HalfBlockQR.lines(matrix, drawDark: false)
        #expect(light.count == 15)
        #expect(light.allSatisfy { $0.count == 29 })
        #expect(light[0] == String(repeating: "\u{2588}", count: 29))
        // Rows 4 and 5: module (4, 4) is dark, so the light-drawn cell has only its lower half.
        #expect(light[2] == String(repeating: "\u{2588}", count: 4) + "\u{2584}" + String(repeating: "\u{2588}", count: 24))
        // The last line holds row 28 and nothing below it: upper halves only.
        #expect(light[14] == String(repeating: "\u{2580}", count: 29))
        let darkDrawn = HalfBlockQR.lines(matrix, drawDark: true, prefix: "<", suffix: ">")
        #expect(darkDrawn[2] == "<" + String(repeating: " ", count: 4) + "\u{2580}" + String(repeating: " ", count: 24) + ">")
        #expect(darkDrawn[0] == "<" + String(repeating: " ", count: 29) + ">")
    }

    @Test("random matrices of every size read back exactly", arguments: [21, 25, 41, 57, 177])
    func roundTrip(size: Int) throws {
        for drawDark in [false, true] {
            let matrix = try #require(Self.randomMatrix(size: size, seed: UInt64(size)))
            let rows = Self.modules(of: HalfBlockQR.lines(matrix, drawDark: drawDark), drawDark: drawDark)
            #expect(rows.count == matrix.fullSize + 1)  // odd side: one padding row
            for y in 0..<matrix.fullSize {
                for x in 0..<matrix.fullSize where rows[y][x] != matrix.isDark(x: x, y: y) {
                    Issue.record("module (\(x), \(y)) differs, drawDark \(drawDark)")
                }
            }
        }
    }
}

@Suite("Enrollment texts (command and login)")
struct EnrollmentTextTests {
    static let secret: [UInt8] = Array(1...20)
    static let uri = OTPAuthURI(issuer: "host.example", account: "alice", secret: secret, parameters: .standard)

    @Test("the secret is shown in groups of four")
    func grouped() {
        #expect(EnrollmentText.groupedSecret(Self.secret) == "AEBA GBAF AYDQ QCIK BMGA 2DQP CAIR EEYU")
        #expect(EnrollmentText.groupedSecret([0xFF, 0xFF]) == "777Q")  // base32(1) agrees
        #expect(EnrollmentText.groupedSecret([0xFF, 0xFF, 0xFF]) == "7777 6")
        #expect(EnrollmentText.groupedSecret([]) == "")
        #expect(Base32.decode(EnrollmentText.groupedSecret(Self.secret)) == Self.secret)
    }

    @Test("the login offer: explanation, QR, grouped secret, and the URI alone on its own line")
    func offer() throws {
        let qr = try #require(HalfBlockQRTests.randomMatrix(size: 33, seed: 7))
        let text = EnrollmentText.loginOffer(uri: Self.uri, qr: qr, skippable: false)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].contains("not set up for alice"))
        let drawing = HalfBlockQR.lines(qr, drawDark: false)
        let start = try #require(lines.firstIndex(of: drawing[0]))
        #expect(Array(lines[start..<(start + drawing.count)]) == drawing)
        #expect(lines.contains("    " + EnrollmentText.groupedSecret(Self.secret)))
        let uriLine = try #require(lines.first { $0.hasPrefix("otpauth://") })
        #expect(uriLine == Self.uri.text)
        #expect(OTPAuthURI(parsing: uriLine)?.secret == Self.secret)
        #expect(!text.contains("press Enter"))
        #expect(!text.hasSuffix("\n"))
    }

    @Test("without libqrencode the offer says so and still has the secret and URI; nullok offers to skip")
    func offerWithoutQR() {
        let text = EnrollmentText.loginOffer(uri: Self.uri, qr: nil, skippable: true)
        #expect(!text.contains("\u{2588}") && !text.contains("\u{2580}"))
        #expect(text.contains("libqrencode"))
        #expect(text.split(separator: "\n").contains { $0 == Self.uri.text })
        #expect(text.contains(EnrollmentText.groupedSecret(Self.secret)))
        #expect(text.contains("press Enter"))
    }

    @Test("the backup codes are listed once each, after the activation line")
    func activated() {
        let codes = ["abcde-fghjk", "mnpqr-stuvw"]
        let text = EnrollmentText.loginActivated(user: "alice", backupCodes: codes)
        #expect(text.hasPrefix("Two-factor authentication is now active for alice.\n"))
        for code in codes {
            #expect(text.components(separatedBy: "    \(code)").count == 2)
        }
        #expect(EnrollmentText.backupCodeLines(codes).suffix(2) == ["    abcde-fghjk", "    mnpqr-stuvw"])
    }

    @Test("a wrong code says how many tries are left")
    func wrongCode() {
        #expect(EnrollmentText.wrongCode(triesLeft: 2).hasSuffix("(2 tries left)."))
        #expect(EnrollmentText.wrongCode(triesLeft: 1).hasSuffix("(1 try left)."))
    }
}
