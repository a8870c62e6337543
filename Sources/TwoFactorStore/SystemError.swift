import Glibc

/// The text of an errno value, for error lines.
func errnoText(_ code: Int32 = errno) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}

/// Formats a file mode as four octal digits, e.g. `0644`.
func octal(_ mode: mode_t) -> String {
    let digits = String(UInt32(mode) & 0o7777, radix: 8)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
