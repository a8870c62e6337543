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

    /// The hash's number in CCrypto (`enum s2fa_hash`).
    var cryptoID: Int32 {
        switch self {
        case .sha1: return Int32(S2FA_SHA1.rawValue)
        case .sha256: return Int32(S2FA_SHA256.rawValue)
        case .sha512: return Int32(S2FA_SHA512.rawValue)
        }
    }

    /// HMAC of `message` under `key`, computed by the system's Nettle (CCrypto). Nil only if that fails.
    public func hmac(key: [UInt8], message: [UInt8]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: Int(S2FA_MAX_MAC_LENGTH))
        let length = message.withUnsafeBytes { messageBytes in
            out.withUnsafeMutableBufferPointer { hmac(key: key, message: messageBytes, into: $0) }
        }
        guard length > 0 else { return nil }
        out.removeLast(out.count - length)
        return out
    }

    /// HMAC into a caller's buffer of at least `S2FA_MAX_MAC_LENGTH` bytes, without
    /// allocating (the login path computes several per attempt). Returns the MAC length,
    /// or 0 if the hash is unknown or the buffer is too small.
    func hmac(key: [UInt8], message: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let length = key.withUnsafeBufferPointer { keyBuffer in
            s2fa_hmac(cryptoID, keyBuffer.baseAddress, keyBuffer.count,
                      message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count,
                      out.baseAddress, out.count)
        }
        return length <= out.count ? length : 0
    }
}
