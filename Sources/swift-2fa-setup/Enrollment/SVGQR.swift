import TwoFactorCore

/// A standalone SVG image of a QR code: white background, quiet zone included, and
/// the dark modules as one path of horizontal runs.
enum SVGQR {
    /// Pixels per module for the nominal size (the image scales freely).
    static let pixelsPerModule = 8

    /// The SVG document text.
    static func document(_ matrix: QRMatrix) -> String {
        let size = matrix.fullSize
        var path = ""
        for y in 0..<size {
            var x = 0
            while x < size {
                guard matrix.isDark(x: x, y: y) else { x += 1; continue }
                var run = 1
                while x + run < size && matrix.isDark(x: x + run, y: y) { run += 1 }
                path += "M\(x) \(y)h\(run)v1h-\(run)z"
                x += run
            }
        }
        let pixels = size * pixelsPerModule
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(pixels)" height="\(pixels)" \
            viewBox="0 0 \(size) \(size)" shape-rendering="crispEdges">
            <rect width="\(size)" height="\(size)" fill="#ffffff"/>
            <path d="\(path)" fill="#000000"/>
            </svg>

            """
    }
}
