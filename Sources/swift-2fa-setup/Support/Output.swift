import FoundationEssentials
import Glibc
import TwoFactorStore

/// Writing to stdout and stderr, unbuffered so prompts and pipes see lines in order.
enum Output {
    /// Prints one line on stdout.
    static func line(_ text: String = "") {
        write(text + "\n")
    }

    /// Writes text on stdout without a newline (prompts).
    static func write(_ text: String) {
        writeAll(STDOUT_FILENO, text)
    }

    /// The one error line: `swift-2fa-setup: MESSAGE` on stderr.
    static func error(_ message: String) {
        writeAll(STDERR_FILENO, errorLine(message))
    }

    /// Writes text on stderr as it is (another process's error output, passed on).
    static func writeError(_ text: String) {
        writeAll(STDERR_FILENO, text)
    }

    /// The error line for `message`, newline included.
    static func errorLine(_ message: String) -> String { "swift-2fa-setup: \(message)\n" }

    /// A warning line on stderr that does not end the command.
    static func warning(_ message: String) {
        writeAll(STDERR_FILENO, "swift-2fa-setup: warning: \(message)\n")
    }

    /// Writes `text` whole (TwoFactorStore's `writeAll`). Output that cannot be written (a
    /// closed pipe) is dropped, as FileHandle did.
    private static func writeAll(_ fd: Int32, _ text: String) {
        try? TwoFactorStore.writeAll(fd, Array(text.utf8))
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
        // The default style is the internet date-time (RFC 3339) in UTC, seconds, "Z".
        Date.ISO8601FormatStyle().format(Date(timeIntervalSince1970: Double(time)))
    }
}
