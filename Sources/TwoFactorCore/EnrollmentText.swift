/// The words a new enrollment shows, shared by `swift-2fa-setup enroll` and the
/// module's enrollment at login (option `enroll`), so both say the same thing.
public enum EnrollmentText {
    /// The secret in base32, in groups of 4 letters separated by spaces.
    public static func groupedSecret(_ secret: [UInt8]) -> String {
        var groups: [String] = []
        var current = ""
        for character in Base32.encode(secret) {
            current.append(character)
            if current.count == 4 {
                groups.append(current)
                current = ""
            }
        }
        if !current.isEmpty { groups.append(current) }
        return groups.joined(separator: " ")
    }

    /// The line above the grouped secret, naming the parameters an app must use.
    public static func typeSecretIntro(_ uri: OTPAuthURI) -> String {
        let parameters = uri.parameters
        let counting = uri.counter.map { "counter-based from \($0)" } ?? "time-based"
        let every = uri.counter == nil ? ", every \(parameters.period) s" : ""
        return "Or type this secret into the app or a password manager "
            + "(\(counting), \(parameters.algorithm.rawValue), \(parameters.digits) digits\(every)):"
    }

    /// The backup codes with the advice to keep them, one line each.
    public static func backupCodeLines(_ codes: [String]) -> [String] {
        [
            "Backup codes: each works once, in place of a code from the app, for example when",
            "the phone is lost. Store them somewhere safe now; they are not shown again.",
            "",
        ] + codes.map { "    \($0)" }
    }

    /// The first message of an enrollment at login (one PAM_TEXT_INFO): why, the QR code
    /// in half blocks with its quiet zone (light modules drawn, like `enroll --qr utf8`),
    /// the grouped secret, and the otpauth URI alone on its own line, so a client can
    /// copy it. Without `qr` (libqrencode missing) the text says so and the rest stays.
    /// With `drawQR` false (`enroll_qr`: no terminal at the other end) there is no QR part.
    /// `skippable`: an empty answer postpones (the `nullok` case).
    public static func loginOffer(uri: OTPAuthURI, qr: QRMatrix?, drawQR: Bool = true, skippable: Bool) -> String {
        var lines = [
            "Two-factor authentication is not set up for \(uri.account) yet. Set it up now:",
            "add this account to an authenticator app, then enter the code it shows.",
            "",
        ]
        if !drawQR {
            // Nothing: the secret and the URI below are the way in.
        } else if let qr {
            lines.append("Scan this QR code with your authenticator app:")
            lines.append("")
            lines += HalfBlockQR.lines(qr, drawDark: false)
            lines.append("")
        } else {
            lines.append("(No QR code here: libqrencode is not installed on this server.)")
            lines.append("")
        }
        lines.append(typeSecretIntro(uri))
        lines.append("    \(groupedSecret(uri.secret))")
        lines.append("")
        lines.append("otpauth URI:")
        lines.append(uri.text)
        lines.append("")
        lines.append(skippable
            ? "Then enter the code (or just press Enter to do this at a later login)."
            : "Then enter the code to finish setting up and to log in.")
        return lines.joined(separator: "\n")
    }

    /// The answer to a wrong code during enrollment (at login: one PAM_ERROR_MSG).
    public static func wrongCode(triesLeft: Int) -> String {
        "That code is not right. Check the phone's clock and use the newest code "
            + "(\(triesLeft) \(triesLeft == 1 ? "try" : "tries") left)."
    }

    /// The question after the backup codes at login (echo on, any answer). Clients such
    /// as sshd (for `ssh host command`) and Cockpit show a message only together with a
    /// prompt, so without it the backup codes would never reach them.
    public static let loginBackupCodesPrompt = "Press Enter when the backup codes are saved: "

    /// The message after activation at login (one PAM_TEXT_INFO): the backup codes, once.
    public static func loginActivated(user: String, backupCodes: [String]) -> String {
        (["Two-factor authentication is now active for \(user).", ""] + backupCodeLines(backupCodes))
            .joined(separator: "\n")
    }
}
