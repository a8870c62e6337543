/// Splits the single answer of `split_answer` ("password followed by code") in two.
public enum CombinedAnswer {
    /// The password part and the code part of `combined`.
    ///
    /// The code is taken from the end: the last `digits` characters when they are all
    /// digits (a TOTP code); otherwise a trailing backup code of ten letters, optionally
    /// written `abcde-fghjk`. When neither is there, the code part is empty (and will be
    /// refused) and the whole answer is the password.
    public static func split(_ combined: String, digits: Int) -> (password: String, code: String) {
        let bytes = Array(combined.utf8)
        if digits > 0, bytes.count >= digits {
            let tail = bytes[(bytes.count - digits)...]
            if tail.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                return (String(decoding: bytes[..<(bytes.count - digits)], as: UTF8.self),
                        String(decoding: tail, as: UTF8.self))
            }
        }
        for length in [11, 10] where bytes.count >= length {
            let tail = bytes[(bytes.count - length)...]
            if isBackupCodeShape(Array(tail)) {
                return (String(decoding: bytes[..<(bytes.count - length)], as: UTF8.self),
                        String(decoding: tail, as: UTF8.self))
            }
        }
        return (combined, "")
    }

    /// Ten backup-alphabet letters (either case), or five, a dash, and five.
    static func isBackupCodeShape(_ tail: [UInt8]) -> Bool {
        var letters: [UInt8] = []
        for (index, byte) in tail.enumerated() {
            if tail.count == 11 && index == 5 {
                guard byte == UInt8(ascii: "-") else { return false }
                continue
            }
            let lower = (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) ? byte + 32 : byte
            guard BackupCodes.alphabet.contains(lower) else { return false }
            letters.append(lower)
        }
        return letters.count == 10
    }
}
