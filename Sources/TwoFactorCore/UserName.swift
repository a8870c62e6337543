/// Checks on the PAM user name before it goes anywhere near a path.
public enum UserName {
    /// Longest name accepted, in bytes.
    public static let maximumLength = 256

    /// Nil when the name is safe to use as a file name; otherwise the reason it is refused.
    /// Refused: empty, `.`, `..`, longer than 256 bytes, or containing `/` or a control character.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "empty user name" }
        if name == "." || name == ".." { return "user name is '.' or '..'" }
        if name.utf8.count > maximumLength { return "user name is too long" }
        for byte in name.utf8 {
            if byte == UInt8(ascii: "/") { return "user name contains '/'" }
            if byte < 0x20 || byte == 0x7F { return "user name contains a control character" }
        }
        return nil
    }

    /// True when `problem(with:)` finds nothing.
    public static func isSafe(_ name: String) -> Bool { problem(with: name) == nil }
}
