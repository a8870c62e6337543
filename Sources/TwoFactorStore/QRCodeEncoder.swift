import CQRLoader
import Glibc
import TwoFactorCore

/// QR codes from libqrencode, for the module's enrollment at login and the command's
/// terminal and SVG codes alike: the C shim (Sources/CQRLoader) opens the library with
/// dlopen on first use, so an ordinary login never loads it, and encodes as 8-bit data with
/// error correction level M (about 15% recovery, a common choice for otpauth URIs).
public enum QRCodeEncoder {
    /// The library opened (its soname), for the messages that say it is missing.
    public static let library: String = S2FA_QRENCODE_SONAME

    /// The modules for `text`, or nil when libqrencode is missing or fails.
    public static func matrix(for text: String) -> QRMatrix? {
        var width: Int32 = 0
        guard let modules = s2fa_qr_encode(text, &width) else { return nil }
        defer { free(modules) }
        let size = Int(width)
        guard QRMatrix.allowedSizes.contains(size) else { return nil }
        let buffer = UnsafeBufferPointer(start: modules, count: size * size)
        return QRMatrix(size: size, dark: buffer.map { $0 != 0 })
    }
}
