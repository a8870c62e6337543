import CCrypto

/// RFC 4226 HMAC-based one-time passwords, the building block of TOTP.
public enum HOTP {
    /// Codes have 6, 7 or 8 digits.
    public static let allowedDigits: ClosedRange<Int> = 6...8

    /// The code for `counter`, as a zero-padded decimal string of `digits` digits.
    /// Nil when `digits` is outside 6...8 or the HMAC fails.
    public static func code(secret: [UInt8], counter: UInt64, digits: Int, algorithm: HashAlgorithm) -> String? {
        guard let value = truncatedValue(secret: secret, counter: counter, algorithm: algorithm),
              allowedDigits.contains(digits) else { return nil }
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus &*= 10 }
        return zeroPadded(value % modulus, digits: digits)
    }

    /// Dynamic truncation (RFC 4226 §5.3) of HMAC(secret, counter): a 31-bit number.
    /// The counter and the MAC stay on the stack.
    public static func truncatedValue(secret: [UInt8], counter: UInt64, algorithm: HashAlgorithm) -> UInt32? {
        var bigEndianCounter = counter.bigEndian
        return withUnsafeBytes(of: &bigEndianCounter) { message in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Int(S2FA_MAX_MAC_LENGTH)) { mac -> UInt32? in
                let length = algorithm.hmac(key: secret, message: message, into: mac)
                guard length >= 20, length <= mac.count else { return nil }
                let offset = Int(mac[length - 1] & 0x0F)
                guard offset + 3 < length else { return nil }
                return (UInt32(mac[offset] & 0x7F) << 24)
                    | (UInt32(mac[offset + 1]) << 16)
                    | (UInt32(mac[offset + 2]) << 8)
                    | UInt32(mac[offset + 3])
            }
        }
    }

    private static func zeroPadded(_ value: UInt32, digits: Int) -> String {
        let text = String(value)
        let padding = max(0, digits - text.count)
        return String(repeating: "0", count: padding) + text
    }
}
