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

/// The fuzzer's bytes read as a sequence of decisions: a byte past the end reads as 0, so
/// every input, however short, is a complete one and 0 picks the ordinary case.
struct Decisions {
    let bytes: UnsafeBufferPointer<UInt8>
    var offset = 0

    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() -> UInt16 { UInt16(byte()) | UInt16(byte()) << 8 }
    mutating func u32() -> UInt32 { UInt32(u16()) | UInt32(u16()) << 16 }
    mutating func u64() -> UInt64 { UInt64(u32()) | UInt64(u32()) << 32 }

    mutating func data(_ count: Int) -> [UInt8] { (0..<count).map { _ in byte() } }

    /// A length byte, then that many bytes (at most `maximum`).
    mutating func blob(maximum: Int = 255) -> [UInt8] {
        data(min(Int(byte()), maximum, max(0, bytes.count - offset)))
    }

    /// A longer blob: two length bytes.
    mutating func longBlob(maximum: Int) -> [UInt8] {
        data(min(Int(u16()), maximum, max(0, bytes.count - offset)))
    }

    mutating func text(maximum: Int = 255) -> String { String(decoding: blob(maximum: maximum), as: UTF8.self) }
}
