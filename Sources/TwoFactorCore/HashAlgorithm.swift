import CCrypto

/// The hash functions an OTP secret can use with HMAC (RFC 6238 allows all three).
public enum HashAlgorithm: String, CaseIterable, Sendable {
    case sha1 = "SHA1"
    case sha256 = "SHA256"
    case sha512 = "SHA512"

    /// Parses `SHA1`, `sha-256`, `SHA512` and similar spellings.
    public init?(name: String) {
        let cleaned = String(name.uppercased().filter { $0 != "-" })
        self.init(rawValue: cleaned)
    }

    private var libcryptoID: Int32 {
        switch self {
        case .sha1: return Int32(S2FA_SHA1.rawValue)
        case .sha256: return Int32(S2FA_SHA256.rawValue)
        case .sha512: return Int32(S2FA_SHA512.rawValue)
        }
    }

    /// HMAC of `message` under `key`, computed by the system's libcrypto. Nil only if libcrypto fails.
    public func hmac(key: [UInt8], message: [UInt8]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: Int(S2FA_MAX_MAC_LENGTH))
        let length = key.withUnsafeBufferPointer { keyBuffer in
            message.withUnsafeBufferPointer { messageBuffer in
                out.withUnsafeMutableBufferPointer { outBuffer in
                    s2fa_hmac(libcryptoID, keyBuffer.baseAddress, keyBuffer.count,
                              messageBuffer.baseAddress, messageBuffer.count,
                              outBuffer.baseAddress, outBuffer.count)
                }
            }
        }
        guard length > 0, length <= out.count else { return nil }
        out.removeLast(out.count - length)
        return out
    }
}
