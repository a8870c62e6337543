import TwoFactorCore
import TwoFactorStore

/// What a new enrollment shows: the QR code, the secret for typing or a password
/// manager, and the otpauth URI, all for the same secret.
struct EnrollmentDisplay {
    let uri: OTPAuthURI
    let matrix: QRMatrix

    /// Builds the URI and its QR code; fails only if libqrencode does.
    init(uri: OTPAuthURI) throws(SetupFailure) {
        guard let matrix = QRCodeEncoder.matrix(for: uri.text) else {
            throw .io("cannot encode the QR code: cannot use \(QRCodeEncoder.library) (install libqrencode4)")
        }
        self.uri = uri
        self.matrix = matrix
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
        Output.line(EnrollmentText.typeSecretIntro(uri))
        Output.line("    \(EnrollmentText.groupedSecret(uri.secret))")
        Output.line()
        Output.line("otpauth URI:")
        Output.line("    \(uri.text)")
        Output.line()
        if !parameters.isStandard || uri.counter != nil {
            Output.line("Warning: this enrollment does not use SHA1, 6 digits and 30 s (time-based). Some apps ignore the")
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
        for line in EnrollmentText.backupCodeLines(codes) { Output.line(line) }
    }
}
