import ArgumentParser
import TwoFactorCore

/// How the QR code is drawn in the terminal.
enum QRStyle: String, CaseIterable, ExpressibleByArgument {
    /// UTF-8 half blocks in the terminal's own colors.
    case utf8
    /// UTF-8 half blocks with explicit black-on-white ANSI colors.
    case ansi
    /// No terminal QR code.
    case none
}

/// Draws a QR code in the terminal with UTF-8 half blocks (the drawing itself is
/// `HalfBlockQR` in the core, shared with the module's enrollment at login).
enum TerminalQR {
    /// The lines of the drawing (no trailing newline).
    ///
    /// - `ansi` sets black foreground on a bright white background and draws the dark
    ///   modules as blocks, so the code is dark on light whatever the terminal theme.
    /// - `utf8` uses no colors. It draws the *light* modules (and the quiet zone) as
    ///   blocks in the foreground color and leaves the dark modules as the background.
    ///   Most terminals have a light text color on a dark background, so the result
    ///   is the dark-on-light code every scanner reads; on a light theme it comes out
    ///   inverted, which current phone scanners also accept. Use `ansi` when unsure.
    static func lines(_ matrix: QRMatrix, style: QRStyle) -> [String] {
        guard style == .ansi else { return HalfBlockQR.lines(matrix, drawDark: false) }
        return HalfBlockQR.lines(matrix, drawDark: true, prefix: "\u{1B}[30;107m", suffix: "\u{1B}[0m")
    }
}
