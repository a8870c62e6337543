import Foundation
import Glibc
import TestSupport
import Testing

/// The admin's event hook (`notify =`) for the command's changes: an enrollment created,
/// replaced and removed, each one JSON object on the hook's standard input.
@Suite(.requiresRoot("the command acts for --user root and runs the hook as root"), .requiresOathtool)
struct EventHookCommandTests {
    @Test("confirm, confirm --force and reset tell the hook: enrolled, replaced, reset")
    func events() throws {
        let temp = try TempStore()
        let hooks = try TemporaryDirectory("s2fa-hook", mode: 0o755)
        let program = hooks.path + "/notify"
        try "#!/bin/sh\ncat >> \(hooks.path)/events.json\n".write(toFile: program, atomically: false, encoding: .utf8)
        #expect(chmod(program, 0o755) == 0)
        let config = hooks.path + "/swift-2fa.conf"
        try "notify = \(program)\n".write(toFile: config, atomically: false, encoding: .utf8)
        // Each hook runs detached: wait for its line before the next command.
        func lines(_ count: Int) -> [String] {
            var lines: [String] = []
            for _ in 0..<100 {
                lines = (hooks.read("events.json") ?? "").split(separator: "\n").map(String.init)
                if lines.count >= count { break }
                usleep(50_000)
            }
            return lines
        }
        _ = try temp.enroll(extra: ["--config", config])
        _ = lines(1)
        _ = try temp.enroll(extra: ["--config", config, "--force"])
        _ = lines(2)
        #expect(try CLI.run(["reset", "--config", config] + temp.args()).status == 0)
        let lines = lines(3)
        let events = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(events.map { $0["event"] as? String } == ["enrolled", "replaced", "reset"], "\(lines)")
        #expect(events.allSatisfy { $0["user"] as? String == "root" && $0["service"] as? String == "swift-2fa-setup" })

        // A hook others may change is not run; the command still succeeds and says why.
        #expect(chmod(program, 0o777) == 0)
        let enrolled = try CLI.run(["enroll", "--pending", "--json", "--config", config] + temp.args())
        #expect(enrolled.status == 0)
        let secret = try #require(try enrolled.json()["secret"] as? String)
        let confirmed = try CLI.run(["confirm", "--code", try CLI.oathtool(secret), "--config", config] + temp.args())
        #expect(confirmed.status == 0 && confirmed.stderr.contains("notify program refused"), "\(confirmed.stderr)")
    }
}
