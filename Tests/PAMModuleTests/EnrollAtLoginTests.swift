import Foundation
import Glibc
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

extension PAMHarness {
    /// Runs a login whose answers depend on what the module showed: at each prompt,
    /// `respond` gets the driver's output so far and returns the answer (nil: end of input).
    func authenticateInteractively(_ user: String, prompts: Int, items: [String: String] = [:],
                                   respond: (String) -> String?) throws -> PAMRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.driverPath)
        process.arguments = ["s2fa", user] + Array(repeating: "-", count: prompts)
        process.environment = driverEnvironment(items: items)
        let input = Pipe()
        let output = Pipe()
        let errorPath = root.appendingPathComponent("driver-\(UUID().uuidString).err")
        #expect(FileManager.default.createFile(atPath: errorPath.path, contents: nil))
        let errorFile = try FileHandle(forWritingTo: errorPath)
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errorFile
        try process.run()
        var stdout = ""
        var answered = 0
        while true {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            stdout += String(decoding: data, as: UTF8.self)
            let asked = stdout.components(separatedBy: "\n").dropLast().filter { $0.hasPrefix("PROMPT ") }.count
            while answered < asked {
                answered += 1
                if let answer = respond(stdout) {
                    input.fileHandleForWriting.write(Data((answer + "\n").utf8))
                } else {
                    try input.fileHandleForWriting.close()
                }
            }
        }
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
        try errorFile.close()
        let stderr = String(decoding: (try? Data(contentsOf: errorPath)) ?? Data(), as: UTF8.self)
        #expect(process.terminationReason == .exit, "driver crashed: \(stderr)")
        return PAMRun(stdout: stdout, stderr: stderr)
    }

    /// A login of root on `s2fa` that enrolls the way a person does: the code the app shows
    /// for the URI on the screen, then an empty line once the backup codes are saved.
    /// Returns the run and the code typed ("" when no URI was shown).
    func enrollAtLogin() throws -> (run: PAMRun, code: String) {
        var shownCode = ""
        let run = try authenticateInteractively("root", prompts: 2) { output in
            if output.contains("PROMPT ECHO_ON ") { return "" }  // the backup codes are saved
            guard let uri = EnrollmentTranscript(output).uri else { return nil }
            shownCode = AuthenticatorApp.code(uri.secret, uri.parameters)
            return shownCode
        }
        return (run, shownCode)
    }
}

/// What the module showed during an enrollment at login (the driver prints each
/// message on one line, with its newlines as spaces).
struct EnrollmentTranscript {
    let infos: [String]
    let errors: [String]

    init(_ stdout: String) {
        let lines = stdout.split(separator: "\n").map(String.init)
        infos = lines.filter { $0.hasPrefix("INFO ") }.map { String($0.dropFirst(5)) }
        errors = lines.filter { $0.hasPrefix("ERROR ") }.map { String($0.dropFirst(6)) }
    }

    /// The otpauth URI of the first message.
    var uri: OTPAuthURI? {
        guard let text = infos.first, let start = text.range(of: "otpauth://") else { return nil }
        return OTPAuthURI(parsing: String(text[start.lowerBound...].prefix { $0 != " " }))
    }

    /// The backup codes of the last message.
    var backupCodes: [String] {
        guard infos.count > 1, let text = infos.last else { return [] }
        return text.split(separator: " ").map(String.init).filter { word in
            word.count == 11 && word.utf8.enumerated().allSatisfy { index, byte in
                index == 5 ? byte == UInt8(ascii: "-") : (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            }
        }
    }

    /// The QR drawing of the first message as a PGM image (4 pixels per module), read
    /// back from the half blocks (light modules drawn): the rows have the width of the
    /// first one, which is all quiet zone, and are separated by one space.
    var qrImage: Data? {
        let marker = "Scan this QR code with your authenticator app:  "
        guard let text = infos.first, let start = text.range(of: marker) else { return nil }
        let drawing = Array(text[start.upperBound...])
        let width = drawing.prefix { $0 == "\u{2588}" }.count
        guard width > 20 else { return nil }
        var rows: [[Bool]] = []  // true = dark
        for line in 0..<((width + 1) / 2) {
            let offset = line * (width + 1)
            guard offset + width <= drawing.count else { return nil }
            var top: [Bool] = []
            var bottom: [Bool] = []
            for character in drawing[offset..<(offset + width)] {
                top.append(character != "\u{2588}" && character != "\u{2580}")
                bottom.append(character != "\u{2588}" && character != "\u{2584}")
            }
            rows += [top, bottom]
        }
        let scale = 4
        var bytes = Array("P5\n\(width * scale) \(rows.count * scale)\n255\n".utf8)
        for row in rows {
            let pixels = row.flatMap { Array(repeating: UInt8($0 ? 0 : 255), count: scale) }
            for _ in 0..<scale { bytes += pixels }
        }
        return Data(bytes)
    }
}

extension ModuleThroughLibPAM {
/// Enrollment at login (option `enroll`) through real libpam and the built module.
@Suite("Enrollment at login through libpam")
struct EnrollAtLoginTests {
    /// The text zbarimg reads from a PGM image; nil when zbarimg is missing.
    static func decode(_ image: Data, in harness: PAMHarness) throws -> String? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/zbarimg") else { return nil }
        let path = harness.root.appendingPathComponent("qr.pgm")
        try image.write(to: path)
        return try Program.run("/usr/bin/zbarimg", ["--quiet", "--raw", path.path]).stdout.trimmingCharacters(in: .newlines)
    }

    @Test("a user with no enrollment enrolls at login: QR, secret, URI, a right code, backup codes; then codes work")
    func enrollsAtLogin() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly("enroll enroll_qr=always")
        PAMHarness.waitForFreshStep(margin: 8)
        let (run, shownCode) = try harness.enrollAtLogin()
        #expect(run.result == PAM.success, "\(run.stdout)\n\(run.stderr)")
        #expect(run.outcome == "enrolled")
        #expect(run.prompts.map(\.text) == ["Verification code: ", EnrollmentText.loginBackupCodesPrompt])
        #expect(run.prompts.map(\.echo) == [false, true])
        let transcript = EnrollmentTranscript(run.stdout)
        #expect(transcript.infos.count == 2)
        let uri = try #require(transcript.uri)
        #expect(uri.account == "root")
        #expect(transcript.infos[0].contains(EnrollmentText.groupedSecret(uri.secret)))
        if let image = transcript.qrImage, let decoded = try Self.decode(image, in: harness) {
            #expect(decoded == uri.text)
        } else {
            #expect(transcript.qrImage != nil, "no QR drawing in: \(transcript.infos.first ?? "")")
        }
        let codes = transcript.backupCodes
        let backupMessage = try #require(run.stdout.range(of: "INFO Two-factor authentication is now active"))
        let acknowledgement = try #require(run.stdout.range(of: "PROMPT ECHO_ON "))
        #expect(backupMessage.lowerBound < acknowledgement.lowerBound)
        #expect(codes.count == 10)
        #expect(PAMHarness.logsOmit(shownCode, in: run) && PAMHarness.logsOmit(Base32.encode(uri.secret), in: run))
        #expect(codes.allSatisfy { PAMHarness.logsOmit($0, in: run) })

        // Stored exactly as `confirm` stores it.
        let record = try #require(try harness.store.readSecret(user: "root"))
        #expect(record.secret == uri.secret && record.pendingUntil == nil)
        #expect(record.backupCodes.count == 10)
        let state = try harness.store.readState(user: "root")
        #expect(state == UserState.fresh(confirming: try #require(record.credentials.first), at: FaultSupport.step(record)))

        // The next login asks for a code, refuses the enrollment's code, takes a new one and a backup code.
        let replay = try harness.authenticate("root", answers: [shownCode])
        #expect(replay.result == PAM.authError && replay.outcome == "replayed")
        #expect(EnrollmentTranscript(replay.stdout).infos.isEmpty)
        let next = try harness.authenticate("root", answers: [AuthenticatorApp.code(uri.secret, uri.parameters, offset: 1)])
        #expect(next.result == PAM.success && next.outcome == "accepted-totp")
        let backup = try harness.authenticate("root", answers: [try #require(codes.first)])
        #expect(backup.result == PAM.success && backup.outcome == "accepted-backup")
    }

    @Test("enroll_qr: auto draws the QR code only when PAM_TTY names a terminal; always and never override", arguments: [
        ("", "ssh", true), ("", "/dev/pts/3", true), ("", "tty1", true), ("", "pts/0", true), ("", nil, false),
        ("", ":0", false), ("", "", false), ("enroll_qr=auto", "/dev/tty1", true), ("enroll_qr=never", "/dev/pts/3", false),
        ("enroll_qr=always", nil, true),
    ] as [(String, String?, Bool)])
    func enrollQR(option: String, tty: String?, drawn: Bool) throws {
        let harness = try PAMHarness()
        try harness.service([
            "auth required \(PAMHarness.wrapperModules)/pam_set_items.so",
            harness.moduleLine("enroll nullok \(option)"),
        ])
        let run = try harness.authenticate("root", answers: [""], items: tty.map { ["PAM_TTY": $0] } ?? [:])
        #expect(run.outcome == "enroll-abandoned", "\(run.logs)")
        let offer = try #require(EnrollmentTranscript(run.stdout).infos.first)
        #expect(offer.contains("Scan this QR code") == drawn, "PAM_TTY \(tty ?? "unset"): \(offer.prefix(200))")
        #expect(offer.contains("\u{2588}") == drawn)
        #expect(!offer.contains("libqrencode"), "a QR code left out on purpose is not reported as missing")
        let uri = try #require(EnrollmentTranscript(run.stdout).uri)
        #expect(offer.contains(EnrollmentText.groupedSecret(uri.secret)))
        if !drawn {
            #expect(offer.utf8.allSatisfy { $0 < 0x80 }, "without the QR code the offer is plain ASCII")
        }
    }

    @Test("3 wrong codes store nothing and refuse the login; under nullok they give PAM_IGNORE", arguments: [false, true])
    func threeWrongCodes(nullok: Bool) throws {
        let harness = try PAMHarness()
        try harness.ignoreReachesPermit(nullok ? "enroll nullok" : "enroll")
        let run = try harness.authenticate("root", answers: ["000000", "abc", "99999999"])
        #expect(run.result == (nullok ? PAM.success : PAM.authError))
        #expect(run.outcome == "enroll-abandoned")
        #expect(run.prompts.count == 3)
        let transcript = EnrollmentTranscript(run.stdout)
        #expect(transcript.infos.count == 1)
        #expect(transcript.errors.count == 2)
        #expect(transcript.errors.last?.contains("1 try left") == true)
        let files = try FileManager.default.contentsOfDirectory(atPath: harness.storeDirectory.path)
        #expect(files.allSatisfy { $0.hasSuffix(".lock") }, "stored: \(files)")
        #expect(try harness.store.readSecret(user: "root") == nil)
    }

    @Test("under nullok an empty answer means not now: PAM_IGNORE, nothing stored, offered again")
    func emptyAnswerPostpones() throws {
        let harness = try PAMHarness()
        try harness.ignoreReachesPermit("enroll nullok")
        for _ in 0..<2 {
            let run = try harness.authenticate("root", answers: [""])
            #expect(run.result == PAM.success)
            #expect(run.outcome == "enroll-abandoned")
            #expect(run.attemptLine?.contains("postponed") == true)
            #expect(EnrollmentTranscript(run.stdout).infos.first?.contains("press Enter") == true)
            #expect(try harness.store.readSecret(user: "root") == nil)
        }
        // Without nullok an empty answer is one wrong code.
        try harness.moduleOnly("enroll")
        let strict = try harness.authenticate("root", answers: ["", "", ""])
        #expect(strict.result == PAM.authError && strict.outcome == "enroll-abandoned")
    }

    @Test("an enrolled user is never offered a new enrollment")
    func enrolledUserNotOffered() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly("enroll nullok")
        let record = try harness.enroll("root")
        let before = FaultSupport.contents(harness.store.secretPath(for: "root"))
        let run = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters, offset: 5)])
        #expect(run.result == PAM.authError && run.outcome == "rejected")
        #expect(EnrollmentTranscript(run.stdout).infos.isEmpty)
        #expect(FaultSupport.contents(harness.store.secretPath(for: "root")) == before)
    }

    @Test("libqrencode is loaded (dlopen) when an enrollment is shown, and never for an ordinary login")
    func qrencodeOnlyWhenEnrolling() throws {
        let harness = try PAMHarness()
        try harness.moduleOnly("enroll nullok enroll_qr=always")
        // LD_DEBUG=files makes the dynamic loader report every library it opens on stderr.
        let offer = try harness.authenticate("root", answers: [""], items: ["LD_DEBUG": "files"])
        #expect(offer.outcome == "enroll-abandoned")
        #expect(offer.stderr.contains("file=libqrencode.so.4"))
        let record = try harness.enroll("root")
        PAMHarness.waitForFreshStep()
        let login = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)], items: ["LD_DEBUG": "files"])
        #expect(login.outcome == "accepted-totp")
        #expect(login.stderr.contains("file=") && !login.stderr.contains("libqrencode"))

        // An offer without the QR code (no terminal: enroll_qr=auto and no PAM_TTY) does not load it either.
        try harness.moduleOnly("enroll nullok")
        let plain = try harness.authenticate("nobody", answers: [""], items: ["LD_DEBUG": "files"])
        #expect(plain.outcome == "enroll-abandoned")
        #expect(plain.stderr.contains("file=") && !plain.stderr.contains("libqrencode"))
    }

    @Test("a pending enrollment (for swift-2fa-setup confirm) is not replaced by an offer")
    func pendingNotOffered() throws {
        let harness = try PAMHarness()
        try harness.ignoreReachesPermit("enroll nullok")
        let pending = SecretRecord(secret: Array(repeating: 7, count: 20), parameters: .standard,
                                   created: Int64(Date().timeIntervalSince1970), pendingUntil: Int64(Date().timeIntervalSince1970) + 600)
        try Store.writeSecret(pending, to: harness.store.pendingPath(for: "root"))
        let run = try harness.authenticate("root", answers: [])
        #expect(run.result == PAM.success && run.outcome == "not-enrolled")
        #expect(EnrollmentTranscript(run.stdout).infos.isEmpty)
        #expect(try harness.store.readPending(user: "root") == pending)
    }

    @Test("enroll_group: members (primary or supplementary) are offered, others are not; an unknown group offers nobody")
    func enrollGroup() throws {
        let harness = try PAMHarness()
        // alice and bob have primary group s2fa-t (30000); only alice is in "rollout".
        let environment = try FaultSupport.fakeUsers(harness, ["alice", "bob"], group: "rollout")
        func offered(_ user: String, group: String) throws -> Bool {
            try harness.ignoreReachesPermit("enroll enroll_group=\(group) nullok")
            let run = try harness.authenticate(user, answers: [""], items: environment)
            #expect(run.result == PAM.success, "\(run.stdout)\n\(run.stderr)")
            #expect(run.outcome == "enroll-abandoned" || run.outcome == "not-enrolled")
            return !EnrollmentTranscript(run.stdout).infos.isEmpty
        }
        #expect(try offered("alice", group: "rollout"))
        #expect(try !offered("bob", group: "rollout"))
        #expect(try offered("bob", group: "s2fa-t"))
        #expect(try !offered("alice", group: "no-such-group"))
        // Without nullok a user outside the group is asked for a code and refused, as without enroll.
        try harness.moduleOnly("enroll enroll_group=rollout")
        let run = try harness.authenticate("bob", answers: ["123456"], items: environment)
        #expect(run.result == PAM.authError && run.outcome == "not-enrolled")
        #expect(EnrollmentTranscript(run.stdout).infos.isEmpty)
    }

    @Test("enroll refuses option combinations it cannot honour", arguments: [
        "enroll secret=~/.swift-2fa", "enroll use_first_pass", "enroll_group=wheel split_answer", "enroll_group=",
    ])
    func badCombinations(options: String) throws {
        let harness = try PAMHarness()
        try harness.moduleOnly(options)
        let run = try harness.authenticate("root", answers: ["123456"])
        #expect(run.result == PAM.serviceError && run.outcome == "config-error")
    }
}
}
