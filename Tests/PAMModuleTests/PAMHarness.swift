import Foundation
import Testing
import TestSupport
import TwoFactorCore
import TwoFactorStore

/// Every suite of this target runs one test at a time: pam_wrapper 1.1.4 copies the
/// service directory to a shared `/tmp/pam.X` slot that concurrent processes of
/// different tests could mix up. (Tests that start parallel logins share one stack.)
@Suite("The module through libpam", .serialized, .requiresPAMWrapper, .requiresBuiltModule)
enum ModuleThroughLibPAM {}

/// What one run of pam_authenticate through real libpam produced.
struct PAMRun {
    /// pam_authenticate's return code.
    let result: Int32
    /// pam_setcred's return code; the driver calls it only after a successful pam_authenticate.
    var setcred: Int32?
    /// Prompts in order, as `(echo, text)`.
    let prompts: [(echo: Bool, text: String)]
    /// Lines the module sent to pam_syslog, as `(priority, text)`.
    let logs: [(priority: Int, text: String)]
    let stdout: String
    let stderr: String

    /// pam_wrapper 1.1.4 failed to set up (it can lose the race for a shared `/tmp/pam.X`
    /// slot when many processes start at once): the module wrote no line, and pam_wrapper
    /// reported an error or the driver ended without a result. (A crash is still caught:
    /// `wait()` expects a normal exit.)
    var wrapperFailed: Bool {
        attemptLine == nil && (stderr.contains("PWRAP_ERROR") || !stdout.contains("RESULT "))
    }

    /// The module's final attempt line (the one with `result=`).
    var attemptLine: String? { logs.last { $0.text.contains("result=") }?.text }

    /// The `result=` word of the attempt line.
    var outcome: String? {
        guard let line = attemptLine, let range = line.range(of: "result=") else { return nil }
        return String(line[range.upperBound...].prefix { $0 != " " })
    }
}

/// PAM return codes used in the tests (security/_pam_types.h).
enum PAM {
    static let success: Int32 = 0
    static let serviceError: Int32 = 3
    static let authError: Int32 = 7
    static let authInfoUnavailable: Int32 = 9
    static let ignore: Int32 = 25
}

/// A private PAM world for one test: a service directory for pam_wrapper, a store,
/// and the built module and libpamtest driver.
final class PAMHarness {
    let directory: TemporaryDirectory
    var root: URL { directory.url }
    let serviceDirectory: URL
    let storeDirectory: URL
    var store: Store { Store(directory: storeDirectory.path) }

    /// The module under test: the one built next to the tests, or the file that
    /// S2FA_TEST_MODULE names in the tests' own environment (`./test.sh module-embedded` sets it
    /// to the Embedded build of packaging/embedded/build.sh). The module never reads it.
    static let modulePath = ProcessInfo.processInfo.environment["S2FA_TEST_MODULE"]
        ?? BuiltProduct.path("libpam_swift2fa.so")
    static let driverPath = BuiltProduct.path("pamtest-driver")
    static let wrapperModules = "/usr/lib/x86_64-linux-gnu/pam_wrapper"

    init() throws {
        directory = try TemporaryDirectory("s2fa-test", mode: 0o755)
        serviceDirectory = directory.url.appendingPathComponent("pam.d")
        storeDirectory = directory.url.appendingPathComponent("store")
        try FileManager.default.createDirectory(at: serviceDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: storeDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try "auth required pam_deny.so\naccount required pam_deny.so\n"
            .write(to: serviceDirectory.appendingPathComponent("other"), atomically: true, encoding: .utf8)
        #expect(FileManager.default.fileExists(atPath: Self.modulePath), "module not built at \(Self.modulePath)")
        #expect(FileManager.default.fileExists(atPath: Self.driverPath), "driver not built at \(Self.driverPath)")
    }

    /// The module line with `store=` pointing at this harness's store, plus `options`.
    func moduleLine(_ options: String = "", control: String = "required") -> String {
        "auth \(control) \(Self.modulePath) store=\(storeDirectory.path) \(options)"
    }

    /// Writes the service file `name` with the given lines.
    func service(_ lines: [String], name: String = "s2fa") throws {
        try (lines.joined(separator: "\n") + "\n")
            .write(to: serviceDirectory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// The module alone (after pam_wrapper's pam_set_items.so, which sets the `items` of
    /// `authenticate`), but where its PAM_IGNORE goes on to pam_permit: the stack then
    /// succeeds (as it does on the module's PAM_SUCCESS; the attempt line tells them apart),
    /// and every refusal of the module ends the stack with the module's code.
    func ignoreReachesPermit(_ options: String) throws {
        try service([
            "auth required \(Self.wrapperModules)/pam_set_items.so",
            moduleLine(options, control: "[ignore=1 success=die default=die]"),
            "auth requisite pam_deny.so",
            "auth required pam_permit.so",
        ])
    }

    /// Writes the service file `s2fa` with the module alone.
    func moduleOnly(_ options: String = "") throws {
        try service([moduleLine(options)])
    }

    /// Enrolls `user` in the store through the store code (as swift-2fa-setup would).
    @discardableResult
    func enroll(_ user: String, parameters: OTPParameters = .standard, backupCodes: [String] = [],
                secret: [UInt8]? = nil) throws -> SecretRecord {
        let secret = secret ?? (SecureRandom.bytes(20) ?? [])
        let hashes = backupCodes.compactMap { BackupCodeHash.make(code: $0, secret: secret, iterations: 1000) }
        #expect(hashes.count == backupCodes.count)
        let record = SecretRecord(secret: secret, parameters: parameters,
                                  created: Int64(Date().timeIntervalSince1970), backupCodes: hashes)
        try Store.writeSecret(record, to: store.secretPath(for: user))
        return record
    }

    /// Runs pam_authenticate for `user` on `service`, answering prompts with `answers`.
    /// `items` become PAM items through pam_wrapper's pam_set_items.so when the stack uses it.
    func authenticate(_ user: String, service: String = "s2fa", answers: [String] = [],
                      items: [String: String] = [:]) throws -> PAMRun {
        var run = try launch(user, service: service, answers: answers, items: items).wait()
        var tries = 1
        while run.wrapperFailed && tries < 5 {
            run = try launch(user, service: service, answers: answers, items: items).wait()
            tries += 1
        }
        return run
    }

    /// Runs the same logins as separate processes, all started before any is waited for.
    /// A process that pam_wrapper could not set up never reached the module; it is run again.
    func authenticateInParallel(_ logins: [(user: String, answer: String)], items: [String: String] = [:]) throws -> [PAMRun] {
        let running = try logins.map { try launch($0.user, answers: [$0.answer], items: items) }
        return try zip(logins, running).map { login, process in
            let run = process.wait()
            // In a burst, a process can also end with a RESULT but no line of the module and no
            // PWRAP_ERROR (seen once in 50 under a full parallel `swift test`): it never reached
            // the module either. It is run again alone; a module that writes no line would
            // write none then too, so the retry hides nothing.
            let reachedModule = run.attemptLine != nil
            return run.wrapperFailed || !reachedModule ? try authenticate(login.user, answers: [login.answer], items: items) : run
        }
    }

    /// The driver's environment: pam_wrapper with this harness's service directory, plus `items`.
    func driverEnvironment(items: [String: String]) -> [String: String] {
        var environment = ["PATH": "/usr/bin:/bin",
                           "LD_PRELOAD": "libpam_wrapper.so",
                           "PAM_WRAPPER": "1",
                           "PAM_WRAPPER_SERVICE_DIR": serviceDirectory.path,
                           "PAM_WRAPPER_DEBUGLEVEL": "2"]
        for (key, value) in items { environment[key] = value }
        return environment
    }

    /// Starts the libpamtest driver under pam_wrapper.
    func launch(_ user: String, service: String = "s2fa", answers: [String] = [],
                items: [String: String] = [:]) throws -> RunningLogin {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.driverPath)
        process.arguments = [service, user] + answers
        process.environment = driverEnvironment(items: items)
        let login = RunningLogin(process: process)
        try process.run()
        return login
    }
}

/// A driver process started by `PAMHarness.launch`.
struct RunningLogin {
    let process: Process
    let out = Pipe()
    let err = Pipe()

    init(process: Process) {
        self.process = process
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
    }

    /// Waits for the driver and parses what it printed.
    func wait() -> PAMRun {
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stdout = String(decoding: outData, as: UTF8.self)
        let stderr = String(decoding: errData, as: UTF8.self)
        #expect(process.terminationReason == .exit, "driver crashed: \(stderr)")
        return PAMRun(stdout: stdout, stderr: stderr)
    }
}

extension PAMRun {
    /// Parses what the driver printed: RESULT and PROMPT lines on stdout, and the
    /// module's pam_syslog lines that pam_wrapper prints on stderr.
    init(stdout: String, stderr: String) {
        var result: Int32 = -1
        var setcred: Int32?
        var prompts: [(Bool, String)] = []
        for line in stdout.split(separator: "\n") {
            if line.hasPrefix("RESULT "), let code = Int32(line.split(separator: " ")[1]) {
                result = code
            } else if line.hasPrefix("SETCRED "), let code = Int32(line.split(separator: " ")[1]) {
                setcred = code
            } else if line.hasPrefix("PROMPT ECHO_OFF ") {
                prompts.append((false, String(line.dropFirst("PROMPT ECHO_OFF ".count))))
            } else if line.hasPrefix("PROMPT ECHO_ON ") {
                prompts.append((true, String(line.dropFirst("PROMPT ECHO_ON ".count))))
            }
        }
        var logs: [(Int, String)] = []
        for line in stderr.split(separator: "\n") {
            guard let start = line.range(of: "SYSLOG(") else { continue }
            let rest = line[start.upperBound...]
            guard let close = rest.firstIndex(of: ")"), let priority = Int(rest[..<close]) else { continue }
            let text = rest[close...].dropFirst().drop { $0 == ":" || $0 == " " }
            logs.append((priority, String(text)))
        }
        self.init(result: result, setcred: setcred, prompts: prompts, logs: logs, stdout: stdout, stderr: stderr)
    }
}

extension PAMHarness {
    /// Waits, if needed, so that at least `margin` seconds remain in the current time step.
    static func waitForFreshStep(period: Int = 30, margin: Double = 4) {
        let now = Date().timeIntervalSince1970
        let intoStep = now.truncatingRemainder(dividingBy: Double(period))
        if Double(period) - intoStep < margin {
            Thread.sleep(forTimeInterval: Double(period) - intoStep + 0.2)
        }
    }

    /// True when no log line contains `secret` (a code, a backup code, a password).
    static func logsOmit(_ secret: String, in run: PAMRun) -> Bool {
        !run.logs.contains { $0.text.contains(secret) }
    }
}
