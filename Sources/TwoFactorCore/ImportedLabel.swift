/// The label an imported key gets: the importer's suggestion (a PSKC serial number or key
/// id, `oath-line-N`) made a valid `Credential` label and unique among the user's.
public enum ImportedLabel {
    /// `suggestion` with every character a label cannot hold replaced by `-`, leading
    /// characters that cannot start a label dropped, cut to `Credential.maximumLabelLength`;
    /// `fallback` (a valid label) when nothing is left. When the result is in `taken`, `-2`,
    /// `-3`, … is appended (the label shortened to make room) until it is not.
    public static func make(from suggestion: String, fallback: String, avoiding taken: Set<String>) -> String {
        var bytes = suggestion.utf8.prefix(4 * Credential.maximumLabelLength).map { byte -> UInt8 in
            canContinue(byte) ? byte : UInt8(ascii: "-")
        }
        while let first = bytes.first, !canStart(first) { bytes.removeFirst() }
        var base = Array(bytes.prefix(Credential.maximumLabelLength))
        if base.isEmpty { base = Array(fallback.utf8) }
        var label = String(decoding: base, as: UTF8.self)
        var number = 2
        while taken.contains(label) {
            let suffix = Array("-\(number)".utf8)
            label = String(decoding: base.prefix(Credential.maximumLabelLength - suffix.count) + suffix, as: UTF8.self)
            number += 1
        }
        return label
    }

    /// True for a byte a label may start with (a letter or digit).
    private static func canStart(_ byte: UInt8) -> Bool {
        byte < 0x80 && Credential.isValidLabel(String(UnicodeScalar(byte)))
    }

    /// True for a byte a label may hold after its first.
    private static func canContinue(_ byte: UInt8) -> Bool {
        byte < 0x80 && Credential.isValidLabel("0" + String(UnicodeScalar(byte)))
    }
}
