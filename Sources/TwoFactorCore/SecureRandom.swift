import CCrypto

/// Random bytes from the kernel CSPRNG, through getrandom(2) (CCrypto).
public enum SecureRandom {
    /// `count` random bytes, or nil if the CSPRNG fails (callers must then give up).
    public static func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0 else { return nil }
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { buffer in
            s2fa_random_bytes(buffer.baseAddress, buffer.count)
        }
        return ok == 1 ? out : nil
    }
}

/// Constant-time comparison, through Nettle's memeql_sec (CCrypto).
public enum ConstantTime {
    /// True when both byte strings are equal. Different lengths compare unequal
    /// (lengths are not secret here: codes have a fixed, public length).
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { aBuffer in
            b.withUnsafeBufferPointer { bBuffer in
                s2fa_equal_constant_time(aBuffer.baseAddress, bBuffer.baseAddress, aBuffer.count) == 1
            }
        }
    }
}
