import ArgumentParser

/// How the QR code is drawn in the terminal.
enum QRStyle: String, CaseIterable, ExpressibleByArgument {
    /// UTF-8 half blocks in the terminal's own colors.
    case utf8
    /// UTF-8 half blocks with explicit black-on-white ANSI colors.
    case ansi
    /// No terminal QR code.
    case none
}

/// Draws a QR code with UTF-8 half blocks, two module rows per text line, with the quiet zone.
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
        let size = matrix.fullSize
        let drawDark = style == .ansi
        var lines: [String] = []
        var y = 0
        while y < size {
            var line = style == .ansi ? "\u{1B}[30;107m" : ""
            for x in 0..<size {
                let top = matrix.isDark(x: x, y: y) == drawDark
                // Below the last row there is nothing to draw.
                let bottom = y + 1 < size && matrix.isDark(x: x, y: y + 1) == drawDark
                switch (top, bottom) {
                case (true, true): line += "\u{2588}"
                case (true, false): line += "\u{2580}"
                case (false, true): line += "\u{2584}"
                case (false, false): line += " "
                }
            }
            if style == .ansi { line += "\u{1B}[0m" }
            lines.append(line)
            y += 2
        }
        return lines
    }
}
