import TwoFactorCore

/// What a new enrollment shows: the QR code, the secret for typing or a password
/// manager, and the otpauth URI, all for the same secret.
struct EnrollmentDisplay {
    let uri: OTPAuthURI
    let matrix: QRMatrix

    /// Builds the URI and its QR code; fails only if libqrencode does.
    init(uri: OTPAuthURI) throws(SetupFailure) {
        guard let matrix = QRMatrix(encoding: uri.text) else { throw .io("cannot encode the QR code") }
        self.uri = uri
        self.matrix = matrix
    }

    /// The secret in base32, in groups of 4 letters.
    static func grouped(_ secret: [UInt8]) -> String {
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

    /// The standalone SVG of the QR code.
    var svg: String { SVGQR.document(matrix) }

    /// Prints the QR code (unless `none`), the grouped secret, the URI and, for
    /// non-standard parameters, the warning that some apps ignore them. `codeCheckFollows`
    /// says that a code is asked for next (interactive enroll, not `--pending`).
    func show(style: QRStyle, codeCheckFollows: Bool) {
        let parameters = uri.parameters
        if style != .none {
            Output.line("Scan this QR code with your authenticator app:")
            Output.line()
            for line in TerminalQR.lines(matrix, style: style) { Output.line(line) }
            Output.line()
        }
        Output.line("Or type this secret into the app or a password manager "
                    + "(time-based, \(parameters.algorithm.rawValue), \(parameters.digits) digits, every \(parameters.period) s):")
        Output.line("    \(Self.grouped(uri.secret))")
        Output.line()
        Output.line("otpauth URI:")
        Output.line("    \(uri.text)")
        Output.line()
        if !parameters.isStandard {
            Output.line("Warning: this enrollment does not use SHA1, 6 digits and 30 s. Some apps ignore the")
            if codeCheckFollows {
                Output.line("algorithm, digits and period of the URI and then show codes that never work;")
                Output.line("the code check below catches that.")
            } else {
                Output.line("algorithm, digits and period of the URI and then show codes that never work.")
            }
            Output.line()
        }
    }

    /// Prints the backup codes once, with the advice to keep them.
    static func showBackupCodes(_ codes: [String]) {
        Output.line("Backup codes: each works once, in place of a code from the app, for example when")
        Output.line("the phone is lost. Store them somewhere safe now; they are not shown again.")
        Output.line()
        for code in codes { Output.line("    \(code)") }
    }
}
