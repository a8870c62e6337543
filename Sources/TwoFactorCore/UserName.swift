/// Checks on the PAM user name before it goes anywhere near a path.
public enum UserName {
    /// Longest name accepted, in bytes.
    public static let maximumLength = 256

    /// Returns when the name is safe to use as a file name; otherwise throws the reason it is
    /// refused. Refused: empty, `.`, `..`, longer than 256 bytes, or containing `/` or a
    /// control character.
    public static func check(_ name: String) throws(UserNameError) {
        if name.isEmpty { throw UserNameError("empty user name") }
        if name == "." || name == ".." { throw UserNameError("user name is '.' or '..'") }
        if name.utf8.count > maximumLength { throw UserNameError("user name is too long") }
        for byte in name.utf8 {
            if byte == UInt8(ascii: "/") { throw UserNameError("user name contains '/'") }
            if byte < 0x20 || byte == 0x7F { throw UserNameError("user name contains a control character") }
        }
    }

    /// True when `check(_:)` finds nothing.
    public static func isSafe(_ name: String) -> Bool {
        do throws(UserNameError) {
            try check(name)
            return true
        } catch {
            return false
        }
    }
}

/// Why a user name was refused; the text says what is wrong with it.
public struct UserNameError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
