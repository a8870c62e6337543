import TwoFactorCore

/// An admin-assigned seed read from standard input (`enroll --seed-stdin`): one line of hex
/// or base32, never from the command line, where other users see it.
enum SeedInput {
    /// The seed's bytes. Hex when the text has only hex digits (an even number), base32
    /// otherwise; a `hex:` or `base32:` prefix decides. Spaces are ignored.
    static func read() throws(SetupFailure) -> [UInt8] {
        guard let line = readLine(strippingNewline: true) else { throw .usage("--seed-stdin: no seed on standard input") }
        return try decode(line)
    }

    static func decode(_ line: String) throws(SetupFailure) -> [UInt8] {
        var text = String(line.filter { $0 != " " && $0 != "\t" && $0 != "\r" })
        var format: String?
        for prefix in ["hex:", "base32:"] where text.lowercased().hasPrefix(prefix) {
            format = String(prefix.dropLast())
            text = String(text.dropFirst(prefix.count))
        }
        let looksHex = !text.isEmpty && text.utf8.count % 2 == 0 && text.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) || ($0 >= 0x61 && $0 <= 0x66)
        }
        let seed = (format ?? (looksHex ? "hex" : "base32")) == "hex" ? Hex.decode(Substring(text)) : Base32.decode(text)
        guard let seed else { throw .usage("--seed-stdin: the seed is neither hex nor base32") }
        let lengths = Credential.allowedSecretLengths
        guard lengths.contains(seed.count) else {
            throw .usage("--seed-stdin: the seed has \(seed.count) bytes; \(lengths.lowerBound) to \(lengths.upperBound) are accepted")
        }
        return seed
    }
}
