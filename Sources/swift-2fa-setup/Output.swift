import Foundation

/// Writing to stdout and stderr, flushed at once so prompts and pipes see lines in order.
enum Output {
    /// Prints one line on stdout.
    static func line(_ text: String = "") {
        write(text + "\n")
    }

    /// Writes text on stdout without a newline (prompts) and flushes.
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// The one error line: `swift-2fa-setup: MESSAGE` on stderr.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("swift-2fa-setup: \(message)\n".utf8))
    }

    /// A warning line on stderr that does not end the command.
    static func warning(_ message: String) {
        FileHandle.standardError.write(Data("swift-2fa-setup: warning: \(message)\n".utf8))
    }

    /// One JSON object on one line on stdout (keys sorted, slashes unescaped).
    static func json<Value: Encodable>(_ value: Value) throws(SetupFailure) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            line(String(decoding: try encoder.encode(value), as: UTF8.self))
        } catch {
            throw .io("cannot encode the JSON output: \(error)")
        }
    }

    /// Unix time as ISO 8601 in UTC, e.g. `2025-11-29T22:40:00Z`.
    static func isoDate(_ time: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(time)))
    }
}
