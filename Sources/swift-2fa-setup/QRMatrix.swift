import CQREncode

/// The modules of a QR code, encoded by libqrencode.
struct QRMatrix {
    /// Modules per side, without the quiet zone.
    let size: Int
    private let dark: [Bool]

    /// Light modules around the code that scanners need (ISO/IEC 18004 asks for 4).
    static let quietZone = 4

    /// Encodes `text` as 8-bit data with error correction level M (about 15% recovery,
    /// a common choice for otpauth URIs). Nil if libqrencode fails.
    init?(encoding text: String) {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        guard width > 0, let data = code.pointee.data else { return nil }
        // libqrencode: bit 0 of each byte is 1 for a dark module.
        let modules = UnsafeBufferPointer(start: data, count: width * width)
        self.size = width
        self.dark = modules.map { $0 & 1 == 1 }
    }

    /// True for a dark module. Coordinates include the quiet zone; outside the code is light.
    func isDark(x: Int, y: Int) -> Bool {
        let column = x - Self.quietZone
        let row = y - Self.quietZone
        guard column >= 0, row >= 0, column < size, row < size else { return false }
        return dark[row * size + column]
    }

    /// Modules per side including the quiet zone on both sides.
    var fullSize: Int { size + 2 * Self.quietZone }
}
