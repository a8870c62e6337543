import CQREncode
import TwoFactorCore

extension QRMatrix {
    /// Encodes `text` with libqrencode as 8-bit data with error correction level M (about
    /// 15% recovery, a common choice for otpauth URIs). Nil if libqrencode fails.
    /// (The module encodes the same way through Sources/CQRLoader.)
    init?(encoding text: String) {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        guard width > 0, let data = code.pointee.data else { return nil }
        // libqrencode: bit 0 of each byte is 1 for a dark module.
        let modules = UnsafeBufferPointer(start: data, count: width * width)
        self.init(size: width, dark: modules.map { $0 & 1 == 1 })
    }
}
