import Foundation
import TestSupport
import TwoFactorCore

/// One long-lived `psql` session (unaligned, tuples only, stop on the first error), so a test
/// can run thousands of statements without a connection each. `run` sends statements and
/// returns the rows they printed, one array of `|`-separated fields per row.
final class PsqlSession {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errors: String
    private var buffer: [UInt8] = []
    private static let marker = "@@swift-2fa-end@@"

    init(conninfo: String) throws {
        errors = NSTemporaryDirectory() + "psql-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).err"
        guard FileManager.default.createFile(atPath: errors, contents: nil),
              let errorFile = FileHandle(forWritingAtPath: errors) else {
            throw FixtureError(text: "cannot create \(errors)")
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", conninfo]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errorFile
        try process.run()
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        unlink(errors)
    }

    /// Runs `sql` (one or more statements) and returns every row printed.
    func run(_ sql: String) throws -> [[String]] {
        let text = sql + "\n\\echo \(Self.marker)\n"
        do {
            try input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
        } catch {
            throw FixtureError(text: "psql is gone: \(stderrText())")
        }
        var rows: [[String]] = []
        while true {
            guard let line = try readLine() else {
                throw FixtureError(text: "psql stopped: \(stderrText())\nafter: \(sql)")
            }
            if line == Self.marker { return rows }
            rows.append(line.split(separator: "|", omittingEmptySubsequences: false).map(String.init))
        }
    }

    /// A SQL literal of any text, safe from psql's and SQL's quoting rules.
    static func literal(_ text: String) -> String {
        "convert_from('\\x\(Hex.encode(Array(text.utf8)))'::bytea, 'UTF8')"
    }

    private func readLine() throws -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffer.append(contentsOf: chunk)
        }
    }

    private func stderrText() -> String {
        (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
    }
}
