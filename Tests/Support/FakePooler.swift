import Foundation
import Glibc

/// Tests/fleet/fake_pooler.py running in the background: a scripted PostgreSQL server that
/// tells the truth or lies, one scenario per connection, and logs what it was sent.
public final class FakePooler {
    /// The script's path.
    public static let script: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fleet/fake_pooler.py").path

    /// The file it logs the messages of each connection to.
    public let log: String
    private let process = Process()

    /// Starts it with `arguments` (where to listen, then the scenarios) and `--log log`, and
    /// waits until it is listening.
    public init(_ arguments: [String], log: String) throws {
        self.log = log
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.script, "--log", log] + arguments
        try process.run()
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: log + ".ready") {
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// What it logged so far ("" when nothing).
    public var seen: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// Stops it (SIGKILL) and waits for it; a second call does nothing.
    public func stop() {
        guard process.processIdentifier != 0 else { return }  // never started
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}
