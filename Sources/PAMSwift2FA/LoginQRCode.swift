import CQRLoader
import Glibc
import TwoFactorCore

/// The QR code of an enrollment at login, encoded by libqrencode, which the C shim
/// opens with dlopen only now (Sources/CQRLoader): an ordinary login never loads it.
enum LoginQRCode {
    /// The modules for `text`, or nil when libqrencode is missing or fails.
    static func matrix(for text: String) -> QRMatrix? {
        var width: Int32 = 0
        guard let modules = s2fa_qr_encode(text, &width) else { return nil }
        defer { free(modules) }
        let size = Int(width)
        guard QRMatrix.allowedSizes.contains(size) else { return nil }
        let buffer = UnsafeBufferPointer(start: modules, count: size * size)
        return QRMatrix(size: size, dark: buffer.map { $0 != 0 })
    }
}
