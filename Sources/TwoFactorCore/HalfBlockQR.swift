/// Draws a QR code as text with UTF-8 half blocks: two module rows per line, one
/// column per module, quiet zone included.
public enum HalfBlockQR {
    /// The lines of the drawing, without newlines.
    ///
    /// - `drawDark`: true draws the dark modules as blocks (for dark text on a light
    ///   background); false draws the light modules and the quiet zone as blocks and
    ///   leaves the dark modules as background, which gives the dark-on-light code on
    ///   the usual light-on-dark terminal (and an inverted one, which current phone
    ///   scanners also read, on a light theme).
    /// - `prefix` and `suffix` are put around each line (terminal color sequences).
    public static func lines(_ matrix: QRMatrix, drawDark: Bool, prefix: String = "", suffix: String = "") -> [String] {
        let size = matrix.fullSize
        var lines: [String] = []
        var y = 0
        while y < size {
            var line = prefix
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
            line += suffix
            lines.append(line)
            y += 2
        }
        return lines
    }
}
