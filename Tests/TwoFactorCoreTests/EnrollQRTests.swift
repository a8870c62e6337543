import Testing
import TwoFactorCore

@Suite("enroll_qr: where the QR code is drawn")
struct EnrollQRTests {
    @Test("PAM_TTY names a terminal: a device, a bare line as login sets it, or ssh as sshd sets it", arguments: [
        ("ssh", true), ("/dev/pts/3", true), ("/dev/tty1", true), ("tty1", true), ("pts/0", true), ("console", true),
        ("/dev/ttyS0", true), (":0", false), ("", false), ("/dev/", false), ("cockpit", false), ("sshd", false),
    ])
    func terminals(tty: String, terminal: Bool) {
        #expect(EnrollQR.isTerminal(tty) == terminal)
        #expect(EnrollQR.auto.draws(tty: tty) == terminal)
    }

    @Test("no PAM_TTY (Cockpit sets none): auto draws nothing; always and never ignore PAM_TTY")
    func modes() {
        #expect(!EnrollQR.auto.draws(tty: nil))
        #expect(EnrollQR.always.draws(tty: nil) && EnrollQR.always.draws(tty: ":0"))
        #expect(!EnrollQR.never.draws(tty: "/dev/pts/3") && !EnrollQR.never.draws(tty: "ssh"))
    }

    @Test("the option takes auto, always or never; auto is the default", arguments: [
        ("enroll_qr=auto", EnrollQR.auto), ("enroll_qr=always", .always), ("enroll_qr=never", .never),
    ])
    func option(argument: String, mode: EnrollQR) throws {
        #expect(try ModuleOptions.parse(["enroll", argument]).enrollQR == mode)
        #expect(try ModuleOptions.parse(["enroll"]).enrollQR == .auto)
    }

    @Test("any other value, none, or the option twice is refused", arguments: [
        ["enroll_qr"], ["enroll_qr="], ["enroll_qr=yes"], ["enroll_qr=AUTO"], ["enroll_qr=auto", "enroll_qr=never"],
    ])
    func refused(arguments: [String]) {
        do throws(OptionError) {
            _ = try ModuleOptions.parse(arguments)
            Issue.record("accepted \(arguments)")
        } catch {
            #expect(error.description.contains("enroll_qr"))
        }
    }

    @Test("without the QR code the login offer is plain ASCII with the secret and the URI, and no libqrencode note")
    func offerWithoutDrawing() throws {
        let secret = Array("12345678901234567890".utf8)
        let uri = OTPAuthURI(issuer: "host", account: "alice", secret: secret, parameters: .standard)
        let text = EnrollmentText.loginOffer(uri: uri, qr: nil, drawQR: false, skippable: false)
        #expect(text.utf8.allSatisfy { $0 < 0x80 })
        #expect(!text.contains("libqrencode") && !text.contains("Scan"))
        #expect(text.contains(EnrollmentText.groupedSecret(secret)))
        #expect(text.split(separator: "\n").contains { $0 == uri.text })
    }
}
