// Shared helpers for the libFuzzer harnesses. Compiled into every harness together
// with the TwoFactorCore sources, so internal API is reachable.

/// The fuzzer's bytes as a Swift string, the way the module sees file text:
/// SafeFile refuses invalid UTF-8, so only valid UTF-8 reaches the parsers.
/// Invalid input is still decoded (with replacement characters) so the bytes are not wasted.
@inline(__always)
func fuzzText(_ data: UnsafePointer<UInt8>, _ size: Int) -> String {
    let buffer = UnsafeBufferPointer(start: data, count: size)
    if let valid = String(validating: buffer, as: UTF8.self) { return valid }
    return String(decoding: buffer, as: UTF8.self)
}

/// A property the harness checks; a violation is reported as a crash with its message.
@inline(__always)
func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        print("FUZZ PROPERTY VIOLATED: \(message())")
        fatalError(message())
    }
}
