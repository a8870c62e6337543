import Glibc
import LoginWorld
import TwoFactorCore

// The whole login: pam_sm_authenticate of the real module (Sources/CPAM, Sources/PAMSwift2FA,
// TwoFactorStore, TwoFactorCore, all compiled with the fuzzer's instrumentation) with fuzzed
// module arguments, configuration file, secret file, state file, user, clock, conversation
// answers and return codes, name-service answers and failing file calls. The files live in
// the in-memory file system of login/world.c, which the module reaches through its
// ordinary open/read/fstat/... calls (wrapped at link time, see Fuzz/run.sh).
//
// Checked after every attempt:
//  - no crash, no trap, no ASan report;
//  - PAM_SUCCESS only when an answer the module was given is a code the oracle below accepts:
//    a code of one of the supplied credentials (a version 1 file's one TOTP secret, or a version
//    2 file's TOTP and HOTP credentials) inside its window (TOTP steps with the credential's
//    offset, HOTP counters from the next expected one), after the last counter the state keeps
//    under that credential's fingerprint, not locked, not throttled; or an unused backup code of
//    that enrollment (while throttled only within the backup tries); or
//    the right code for a secret the module itself showed for an enrollment at login; or a
//    scripted pooler (world.c, behind the module's socket calls) that said "accepted". The oracle computes codes, fingerprints and
//    PBKDF2 hashes with Nettle directly (world.c), not through the module's code;
//  - exactly one final log line (`user="..." ... result=...`);
//  - the supplied secret and backup codes never appear in a log line;
//  - the secret file is never changed, except by an enrollment at login;
//  - a state file the module wrote can be read back, is version 2, and keeps replay state only
//    under fingerprints of the record's credentials; no temporary file is left behind when no
//    file call failed.
//
// The input is read as a sequence of decisions (see `Decisions`); a byte past the end reads
// as 0, and 0 always picks the ordinary case, so the empty input is a valid enrollment
// answered with the current code (and accepted).

// MARK: - The oracle's own arithmetic (Nettle through world.c)

private let algorithmNames = ["SHA1", "SHA256", "SHA512"]

private func hotp(_ key: [UInt8], algorithm: Int, counter: UInt64, digits: Int) -> String {
    var message = [UInt8](repeating: 0, count: 8)
    for index in 0..<8 { message[7 - index] = UInt8(truncatingIfNeeded: counter >> UInt64(8 * index)) }
    var mac = [UInt8](repeating: 0, count: 64)
    let length = lf_hmac(Int32(algorithm), key, key.count, message, 8, &mac)
    let offset = Int(mac[length - 1] & 0x0F)
    let value = UInt32(mac[offset] & 0x7F) << 24 | UInt32(mac[offset + 1]) << 16 | UInt32(mac[offset + 2]) << 8
        | UInt32(mac[offset + 3])
    var modulus: UInt32 = 1
    for _ in 0..<digits { modulus *= 10 }
    let text = String(value % modulus)
    return String(repeating: "0", count: max(0, digits - text.count)) + text
}

private func hexText(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes { out += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
    return String(decoding: out, as: UTF8.self)
}

private let base32Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

private func base32(_ bytes: [UInt8]) -> String {
    var out: [UInt8] = []
    var buffer = 0
    var bits = 0
    for byte in bytes {
        buffer = (buffer << 8) | Int(byte)
        bits += 8
        while bits >= 5 {
            bits -= 5
            out.append(base32Alphabet[(buffer >> bits) & 31])
        }
        buffer &= (1 << bits) - 1
    }
    if bits > 0 { out.append(base32Alphabet[(buffer << (5 - bits)) & 31]) }
    return String(decoding: out, as: UTF8.self)
}

private func unbase32(_ text: Substring) -> [UInt8]? {
    var out: [UInt8] = []
    var buffer = 0
    var bits = 0
    for character in text.utf8 {
        guard let value = base32Alphabet.firstIndex(of: character) else { return nil }
        buffer = (buffer << 5) | value
        bits += 5
        if bits >= 8 {
            bits -= 8
            out.append(UInt8((buffer >> bits) & 0xFF))
            buffer &= (1 << bits) - 1
        }
    }
    return out
}

/// The fingerprint a state file keys a credential's replay state by (the documented formula,
/// computed here): of a TOTP credential (`period` set; a version 1 enrollment's too) or a HOTP one.
private func fingerprint(secret: [UInt8], algorithm: String, digits: Int, period: Int?, created: Int64) -> String {
    let text = period.map { "swift-2fa enrollment \(algorithm) \(digits) \($0) \(created)" }
        ?? "swift-2fa hotp \(algorithm) \(digits) \(created)"
    let message = Array(text.utf8)
    var mac = [UInt8](repeating: 0, count: 64)
    _ = lf_hmac(1, secret, secret.count, message, message.count, &mac)
    return hexText(Array(mac.prefix(8)))
}

/// The fingerprints of a record's credentials, computed here.
private func fingerprints(_ record: SecretRecord) -> [String] {
    record.credentials.map { credential in
        var period: Int?
        if case .totp(let value, _) = credential.kind { period = value }
        return fingerprint(secret: credential.secret, algorithm: credential.algorithm.rawValue, digits: credential.digits,
                           period: period, created: credential.created)
    }
}

/// A text in quotes, or nil, for the messages below (debugDescription is not in Embedded Swift).
private func quoted(_ text: String?) -> String { text.map { "\"\($0)\"" } ?? "nil" }

/// At most 600 characters of some lines, for a violation's message.
private func short(_ lines: [String]) -> String { String(("[" + lines.map(quoted).joined(separator: ", ") + "]").prefix(600)) }

/// Where the first `needle` in `text` ends, comparing bytes. String's firstRange(of:) and
/// contains(_: String) are in the string-processing library, which Embedded Swift lacks.
private func end(of needle: String, in text: String) -> String.Index? {
    let bytes = Array(text.utf8)
    let pattern = Array(needle.utf8)
    guard !pattern.isEmpty, bytes.count >= pattern.count else { return nil }
    for start in 0...(bytes.count - pattern.count) where bytes[start..<(start + pattern.count)].elementsEqual(pattern) {
        return text.utf8.index(text.utf8.startIndex, offsetBy: start + pattern.count)
    }
    return nil
}

private func stripped(_ text: String) -> String {
    let bytes = Array(text.utf8)
    let blank: Set<UInt8> = [0x20, 0x09, 0x0D, 0x0A]
    guard let first = bytes.firstIndex(where: { !blank.contains($0) }),
          let last = bytes.lastIndex(where: { !blank.contains($0) }) else { return "" }
    return String(decoding: bytes[first...last], as: UTF8.self)
}

/// Lower case without spaces, tabs and dashes (and blanks at the ends).
private func normalizedBackup(_ text: String) -> String {
    String(decoding: stripped(text).utf8.compactMap { byte -> UInt8? in
        if byte == 0x20 || byte == 0x09 || byte == 0x2D { return nil }
        return byte >= 0x41 && byte <= 0x5A ? byte + 32 : byte
    }, as: UTF8.self)
}

// MARK: - One attempt's world

private let backupAlphabet = Array("abcdefghjkmnpqrstuvwxyz".utf8)
private let baseTime: Int64 = 1_764_456_000

/// A backup code the harness made: its plain text and the stored hash line's fields.
private struct KnownBackup {
    let plain: String
    let iterations: UInt32
    let salt: [UInt8]
    let hash: [UInt8]
}

/// A credential of a version 2 secret file after the first (which is `Attempt.secret` and its
/// parameters): a HOTP token or another TOTP app.
private struct ExtraCredential {
    var secret: [UInt8]
    var algorithm: Int
    var digits: Int
    /// nil for HOTP.
    var period: Int?
    var offset: Int
    /// A HOTP credential's counter in the secret file.
    var counter: UInt64
    /// The counter a HOTP answer uses: the file's, or one past the state's last.
    var next: UInt64
}

/// What the oracle knows and the conversation answers with.
private struct Attempt {
    var secret: [UInt8] = []
    var algorithm = 0
    var digits = 6
    var period = 30
    /// The first credential's clock offset in steps (version 2 files).
    var offset = 0
    /// The other credentials of a version 2 file.
    var extras: [ExtraCredential] = []
    /// The key of the backup codes' tags: the secret in a version 1 file.
    var backupKey: [UInt8] = []
    var backups: [KnownBackup] = []
    var now: Int64 = baseTime
    /// Answers for the prompts, in order (nil: the conversation fails there).
    var script: [ScriptedAnswer] = []
    var prompts = 0
    var messages = 0
    /// Conversation call (1-based) that fails, and how.
    var failingCall = 0
    var failureMode: UInt8 = 0
    /// Every answer handed to the module.
    var given: [String] = []
    /// The secret an enrollment at login showed, and the answers given after it.
    var shownSecret: [UInt8]?
    var givenAfterShown: [String] = []
    /// Strings the fuzzer controls that end up in log lines (user, service, arguments...).
    var echoed: [String] = []
}

private enum ScriptedAnswer {
    case totp(stepOffset: Int, padding: UInt8)
    case backup(index: Int, style: UInt8)
    case raw(String)
    case replay
    case enrollmentCode(stepOffset: Int)
    /// The current code of another credential (`Attempt.extras`; the first's when there is none).
    case credential(index: Int)
}

nonisolated(unsafe) private var attempt = Attempt()

private func answerText(_ scripted: ScriptedAnswer) -> String {
    func code(for secret: [UInt8], algorithm: Int, digits: Int, period: Int, offset: Int) -> String {
        guard attempt.now >= 0 else { return "000000" }
        let step = Int64(attempt.now / Int64(period)) + Int64(offset)
        return hotp(secret, algorithm: algorithm, counter: UInt64(max(0, step)), digits: digits)
    }
    switch scripted {
    case .totp(let offset, let padding):
        guard !attempt.secret.isEmpty else { return "123456" }
        let text = code(for: attempt.secret, algorithm: attempt.algorithm, digits: min(max(attempt.digits, 6), 8),
                        period: max(attempt.period, 1), offset: offset + attempt.offset)
        switch padding % 4 {
        case 1: return " \(text)"
        case 2: return "\(text)\r\n"
        case 3: return "\t\(text) "
        default: return text
        }
    case .backup(let index, let style):
        guard !attempt.backups.isEmpty else { return "abcde-fghjk" }
        let plain = attempt.backups[index % attempt.backups.count].plain
        switch style % 4 {
        case 1: return plain.uppercased()
        case 2 where plain.utf8.count == 10: return String(plain.prefix(5)) + "-" + String(plain.dropFirst(5))
        case 3: return " " + plain.map { String($0) }.joined(separator: " ") + " "
        default: return plain
        }
    case .raw(let text):
        return text
    case .replay:
        guard !attempt.secret.isEmpty else { return "000000" }
        return code(for: attempt.secret, algorithm: attempt.algorithm, digits: min(max(attempt.digits, 6), 8),
                    period: max(attempt.period, 1), offset: attempt.offset - 1)
    case .enrollmentCode(let offset):
        guard let shown = attempt.shownSecret else { return "000000" }
        return code(for: shown, algorithm: 0, digits: 6, period: 30, offset: offset)
    case .credential(let index):
        guard !attempt.extras.isEmpty else { return answerText(.totp(stepOffset: 0, padding: 0)) }
        let extra = attempt.extras[index % attempt.extras.count]
        guard let period = extra.period else {
            return hotp(extra.secret, algorithm: extra.algorithm, counter: extra.next, digits: extra.digits)
        }
        return code(for: extra.secret, algorithm: extra.algorithm, digits: extra.digits, period: period, offset: extra.offset)
    }
}

/// The application's conversation function.
private let conversation: @convention(c) (
    Int32, UnsafeMutablePointer<UnsafePointer<pam_message>?>?,
    UnsafeMutablePointer<UnsafeMutablePointer<pam_response>?>?, UnsafeMutableRawPointer?
) -> Int32 = { count, messages, responses, _ in
    guard count == 1, let messages, let message = messages[0], let responses else { return PAM_CONV_ERR }
    attempt.messages += 1
    let style = message.pointee.msg_style
    let text = message.pointee.msg.map { String(cString: $0) } ?? ""
    if style == PAM_TEXT_INFO, attempt.shownSecret == nil, let start = end(of: "secret=", in: text) {
        let value = text[start...].prefix { $0 != "&" && $0 != "\n" }
        attempt.shownSecret = unbase32(value)
    }
    let failing = attempt.messages == attempt.failingCall
    if failing && attempt.failureMode % 4 == 0 { return PAM_CONV_ERR }
    if failing && attempt.failureMode % 4 == 1 {
        responses.pointee = nil
        return PAM_SUCCESS
    }
    guard let response = calloc(1, MemoryLayout<pam_response>.size)?.assumingMemoryBound(to: pam_response.self) else {
        return PAM_BUF_ERR
    }
    responses.pointee = response
    guard style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON else {
        return failing ? Int32(attempt.failureMode >> 2) : PAM_SUCCESS
    }
    let index = attempt.prompts
    attempt.prompts += 1
    if failing && attempt.failureMode % 4 == 2 { return PAM_SUCCESS }  // no answer string
    let scripted = index < attempt.script.count ? attempt.script[index] : .raw("")
    let answer = answerText(scripted)
    response.pointee.resp = strdup(answer)
    // A return code other than PAM_SUCCESS with an answer: the module must not use it, so
    // the oracle does not count it as given.
    if failing { return Int32(attempt.failureMode >> 2) | 1 }
    attempt.given.append(answer)
    if attempt.shownSecret != nil { attempt.givenAfterShown.append(answer) }
    return PAM_SUCCESS
}

// MARK: - Building the inputs

private let optionTable: [String] = [
    "nullok", "debug", "echo_code", "window=", "throttle_after=", "throttle_delay=", "throttle_max=", "lock_after=",
    "prompt=Code: ", "store=/srv/2fa", "secret=${HOME}/.swift-2fa", "secret=~/.config/swift-2fa",
    "secret=/etc/swift-2fa/users/${USER}", "config=/etc/swift-2fa/other.conf", "split_answer", "try_first_pass",
    "use_first_pass", "enroll", "enroll_group=twofa", "", "echo_verification_code", "authtok_prompt=Password+code: ",
    "forward_pass", "database=host=db", "config", "window",
]

private func number(_ decisions: inout Decisions) -> String {
    let choice = decisions.byte()
    switch choice % 8 {
    case 0: return "0"
    case 1: return "1"
    case 2: return "3"
    case 3: return "10"
    case 4: return "100"
    case 5: return "86400"
    case 6: return String(decisions.byte())
    default: return decisions.text(maximum: 12)
    }
}

private func option(_ decisions: inout Decisions) -> String {
    let pick = optionTable[Int(decisions.byte()) % optionTable.count]
    if pick.isEmpty { return decisions.text(maximum: 80) }
    if pick.hasSuffix("=") { return pick + number(&decisions) }
    return pick
}

private let configKeys = ["window", "throttle_after", "throttle_delay", "throttle_max", "lock_after", "store", "database",
                          "database_timeout", "pooler", "# comment", "", "raw"]

private func configText(_ decisions: inout Decisions) -> String {
    var lines: [String] = []
    for _ in 0..<(Int(decisions.byte()) % 6) {
        let key = configKeys[Int(decisions.byte()) % configKeys.count]
        switch key {
        case "# comment", "": lines.append(key)
        case "raw": lines.append(decisions.text(maximum: 80))
        case "store": lines.append(["store = /srv/2fa", "store=/var/lib/swift-2fa", "store = relative"][Int(decisions.byte()) % 3])
        case "database": lines.append("database = host=db user=s2fa")
        case "pooler": lines.append("pooler = /run/pgbouncer")
        default: lines.append("\(key) = \(number(&decisions))")
        }
    }
    let ending = decisions.byte() % 3 == 1 ? "\r\n" : "\n"
    return lines.map { $0 + ending }.joined()
}

/// The value of the last `key=` argument, or of a `key = value` line of the configuration file.
private func setting(_ key: String, arguments: [String], config: String?) -> String? {
    if let argument = arguments.last(where: { $0.hasPrefix(key + "=") }) { return String(argument.dropFirst(key.count + 1)) }
    guard let config else { return nil }
    // Split on LF bytes: a Character split would keep CR LF together.
    for bytes in config.utf8.split(separator: 0x0A) {
        let line = String(decoding: bytes, as: UTF8.self)
        let parts = line.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, stripped(String(parts[0])) == key else { continue }
        return stripped(String(parts[1]))
    }
    return nil
}

/// A whole number the way an option gives it; `lenient` when it is anything else (the module
/// then refuses the options, so the lenient value is never used by an acceptance).
private func numericSetting(_ key: String, arguments: [String], config: String?, default value: Int, lenient: Int) -> Int {
    guard let text = setting(key, arguments: arguments, config: config) else { return value }
    guard text.utf8.count <= 6, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let parsed = Int(text) else {
        return lenient
    }
    return parsed
}

private func addParents(of path: String) {
    var prefix = ""
    for part in path.split(separator: "/").dropLast() {
        prefix += "/" + part
        _ = lf_add(prefix, Int32(LF_DIR.rawValue), 0, 0o755, nil, 0)
    }
}

private func addFile(_ path: String, _ bytes: [UInt8], metadata: UInt8, owner: UInt32) {
    addParents(of: path)
    switch metadata % 8 {
    case 1: _ = lf_add(path, Int32(LF_FILE.rawValue), owner, 0o644, bytes, bytes.count)
    case 2: _ = lf_add(path, Int32(LF_FILE.rawValue), 1234, 0o600, bytes, bytes.count)
    case 3:
        let target = Array("/srv/elsewhere".utf8)
        _ = lf_add("/srv/elsewhere", Int32(LF_FILE.rawValue), owner, 0o600, bytes, bytes.count)
        _ = lf_add(path, Int32(LF_SYMLINK.rawValue), owner, 0o777, target, target.count)
    case 4: _ = lf_add(path, Int32(LF_FIFO.rawValue), owner, 0o600, nil, 0)
    case 5: _ = lf_add(path, Int32(LF_DIR.rawValue), owner, 0o700, nil, 0)
    case 6:
        let large = bytes + [UInt8](repeating: 0x23, count: 70_000)
        _ = lf_add(path, Int32(LF_FILE.rawValue), owner, 0o600, large, large.count)
    default: _ = lf_add(path, Int32(LF_FILE.rawValue), owner, 0o600, bytes, bytes.count)
    }
}

// MARK: - Statistics, printed when the fuzzer exits

nonisolated(unsafe) private var inputs = 0
/// LOGIN_FUZZ_VERBOSE=1 prints each attempt's result and log (for reading a crash input).
nonisolated(unsafe) private var verbose = false
nonisolated(unsafe) private var accepted = 0
nonisolated(unsafe) private var acceptedEnrollment = 0
nonisolated(unsafe) private var acceptedDatabase = 0
/// Acceptances the oracle justified by a credential after the first (version 2 files).
nonisolated(unsafe) private var acceptedLaterCredential = 0

@_cdecl("LLVMFuzzerInitialize")
public func loginInitialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
    verbose = getenv("LOGIN_FUZZ_VERBOSE") != nil
    checkWrapping()
    atexit {
        print("login: \(inputs) attempts, \(accepted) accepted (\(acceptedEnrollment) by an enrollment at login, "
              + "\(acceptedDatabase) by the scripted pooler, \(acceptedLaterCredential) by a code of a credential after the first)")
    }
    return 0
}

/// Refuses to fuzz unless the module's file calls and clock really reach world.c: the
/// harness's own references to Swift's open/openat (the same symbols as the module's, wrapped
/// by mangled name in Fuzz/run.sh; with --embedded, the C open/openat that the Glibc stand-in
/// calls) must find a file that exists only in memory, and time()
/// must answer the harness's clock. A toolchain that renames those symbols would otherwise let
/// fuzzed paths such as `store=/etc` reach the real file system.
private func checkWrapping() {
    lf_reset()
    let path = "/login-fuzz-self-test/in-memory-only"
    let contents = Array("in memory".utf8)
    _ = lf_add("/login-fuzz-self-test", Int32(LF_DIR.rawValue), 0, 0o700, nil, 0)
    _ = lf_add(path, Int32(LF_FILE.rawValue), 0, 0o600, contents, contents.count)
    lf_now = 1_234_567
    lf_active = 1
    let descriptors = [open(path, O_RDONLY), open(path, O_RDONLY, 0), openat(AT_FDCWD, path, O_RDONLY, 0)]
    var readBack: [UInt8] = []
    if let first = descriptors.first, first >= 0 {
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(first, &buffer, buffer.count)
        readBack = Array(buffer.prefix(max(0, count)))
    }
    let clock = time(nil)
    descriptors.filter { $0 >= 0 }.forEach { _ = close($0) }
    lf_active = 0
    lf_reset()
    guard descriptors.allSatisfy({ $0 >= 0 }), readBack == contents, clock == 1_234_567 else {
        fputs("login: the module's file calls or clock are not wrapped (descriptors \(descriptors), clock \(clock)); "
              + "check LOGIN_WRAPS in Fuzz/run.sh against this toolchain's Glibc overlay\n", stderr)
        exit(1)
    }
}

// MARK: - The attempt

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLogin(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = Decisions(bytes: UnsafeBufferPointer(start: data, count: size))
    lf_reset()
    attempt = Attempt()
    inputs += 1

    // The first answer, and how the conversation misbehaves.
    let answerChoice = input.byte()
    let first: ScriptedAnswer
    switch answerChoice % 8 {
    case 0: first = .totp(stepOffset: 0, padding: answerChoice >> 3)
    case 5: first = .credential(index: Int(answerChoice >> 3))
    case 1: first = .totp(stepOffset: Int(Int8(bitPattern: input.byte())) % 13, padding: 0)
    case 2: first = .backup(index: Int(input.byte()), style: 0)
    case 3: first = .backup(index: Int(input.byte()), style: input.byte())
    case 4: first = .raw(input.text(maximum: 64))
    case 6: first = .replay
    default: first = .enrollmentCode(stepOffset: 0)
    }
    attempt.script = [first]
    for _ in 0..<3 {
        let next = input.byte()
        switch next % 4 {
        case 0: attempt.script.append(.enrollmentCode(stepOffset: Int(next >> 2) % 3 - 1))
        case 1: attempt.script.append(.raw(""))
        case 2: attempt.script.append(.raw(input.text(maximum: 16)))
        default: attempt.script.append(.totp(stepOffset: 0, padding: 0))
        }
    }
    attempt.failingCall = Int(input.byte()) % 8
    attempt.failureMode = input.byte()

    // The user and the name service.
    let userChoice = input.byte()
    var given = "alice"
    var canonical = "alice"
    switch userChoice % 4 {
    case 1: given = "ALICE"
    case 2: lf_passwd_answer = 1
    case 3: lf_passwd_answer = userChoice & 0x80 != 0 ? 2 : 1
    default: break
    }
    if userChoice & 0x04 != 0 { lf_get_user_rc = PAM_SYSTEM_ERR }
    if userChoice & 0x08 != 0 {
        // As C strings carry it: up to the first NUL.
        given = String(input.text(maximum: 40).prefix { $0 != "\0" })
        canonical = given
    }
    lf_account_uid = [1000, 0, 1001, 65534][Int(userChoice >> 4) % 4]
    lf_account_gid = lf_account_uid
    let home = "/home/\(canonical)"
    _ = canonical.withCString { strncpy(&lf_account_name.0, $0, 299) }
    _ = home.withCString { strncpy(&lf_account_home.0, $0, 299) }
    attempt.echoed += [given, canonical]

    // The module line.
    var arguments: [String] = []
    for _ in 0..<(Int(input.byte()) % 8) { arguments.append(option(&input)) }
    // As libpam passes them: C strings (a NUL ends an argument).
    let cArguments = arguments.map { strdup($0) }
    defer { cArguments.forEach { free($0) } }
    arguments = cArguments.map { $0.map { String(cString: $0) } ?? "" }
    attempt.echoed += arguments

    // The configuration file.
    let configChoice = input.byte()
    let configPath = arguments.last { $0.hasPrefix("config=") }.map { String($0.dropFirst(7)) } ?? "/etc/swift-2fa/swift-2fa.conf"
    var config: String?
    switch configChoice % 4 {
    case 1: config = configText(&input)
    case 2: config = String(decoding: input.longBlob(maximum: 2048), as: UTF8.self)
    case 3: config = configText(&input)
    default: break
    }
    if let config, configPath.hasPrefix("/") {
        addFile(configPath, Array(config.utf8), metadata: configChoice % 4 == 3 ? (configChoice >> 2) : 0, owner: 0)
        attempt.echoed.append(config)
    }

    // The store.
    let store = setting("store", arguments: arguments, config: config).flatMap { $0.hasPrefix("/") ? $0 : nil }
        ?? "/var/lib/swift-2fa"
    let storeChoice = input.byte()
    addParents(of: store)
    switch storeChoice % 16 {
    case 1: _ = lf_add(store, Int32(LF_DIR.rawValue), 0, 0o777, nil, 0)
    case 2: _ = lf_add(store, Int32(LF_DIR.rawValue), 1234, 0o700, nil, 0)
    case 3:
        _ = lf_add("/srv/real-store", Int32(LF_DIR.rawValue), 0, 0o700, nil, 0)
        let target = Array("/srv/real-store".utf8)
        _ = lf_add(store, Int32(LF_SYMLINK.rawValue), 0, 0o777, target, target.count)
    case 4: break
    case 5: _ = lf_add(store, Int32(LF_FILE.rawValue), 0, 0o600, nil, 0)
    default: _ = lf_add(store, Int32(LF_DIR.rawValue), 0, 0o700, nil, 0)
    }
    _ = lf_add(home, Int32(LF_DIR.rawValue), lf_account_uid, 0o755, nil, 0)

    // The clock.
    let clockChoice = input.byte()
    let offset = Int64(input.u32())
    switch clockChoice % 16 {
    case 1: attempt.now = 0
    case 2: attempt.now = Int64(1) << 62 &+ offset
    case 3: attempt.now = -offset
    case 4: attempt.now = Int64.max - offset
    default: attempt.now = baseTime + offset
    }
    lf_now = attempt.now

    // The enrollment (secret file).
    let secretChoice = input.byte()
    let lengths = [20, 10, 32, 64, 128, 9, 129]
    attempt.secret = input.data(lengths[Int(input.byte()) % lengths.count])
    let parameterChoice = input.byte()
    attempt.algorithm = Int(parameterChoice % 3)
    attempt.digits = [6, 8, 6, 7][Int(parameterChoice >> 2) % 4]
    attempt.period = [30, 60, 15, 300, 30, 14][Int(parameterChoice >> 4) % 6]
    let created = Int64(input.u32())
    let backupCount = Int(input.byte()) % 7
    for _ in 0..<backupCount {
        let kind = input.byte()
        let plain: String
        if kind & 1 == 0 {
            plain = String(decoding: input.data(10).map { backupAlphabet[Int($0) % backupAlphabet.count] }, as: UTF8.self)
        } else {
            plain = String(decoding: input.data(8).map { UInt8(ascii: "0") + $0 % 10 }, as: UTF8.self)
        }
        let iterations = UInt32(1 + (kind >> 1) % 2)
        let salt = input.data(16)
        var hash = [UInt8](repeating: 0, count: 32)
        lf_pbkdf2_sha256(plain, plain.utf8.count, salt, salt.count, iterations, &hash)
        attempt.backups.append(KnownBackup(plain: plain, iterations: iterations, salt: salt, hash: hash))
    }
    let algorithmName = parameterChoice & 0x40 != 0 && parameterChoice & 0x80 != 0 ? "MD5" : algorithmNames[attempt.algorithm]
    var secretLines: [String]
    attempt.backupKey = attempt.secret
    if secretChoice & 0x40 == 0 {
        secretLines = [
            "# swift-2fa secret file. Written by swift-2fa-setup; do not edit.", "version 1",
            "secret \(base32(attempt.secret))", "algorithm \(algorithmName)",
            "digits \(attempt.digits)", "period \(attempt.period)", "created \(created)",
        ]
    } else {
        // Version 2: the first credential is the one above, with a clock offset; up to three
        // more (HOTP or TOTP) follow, and the backup key may be a key of its own.
        let shape = input.byte()
        attempt.offset = Int(Int8(bitPattern: shape)) % 11
        if shape & 0x01 != 0 { attempt.backupKey = input.data(20) }
        secretLines = [
            "# swift-2fa secret file. Written by swift-2fa-setup; do not edit.", "version 2", "created \(created)",
            "backup_key \(base32(attempt.backupKey))",
            "credential id=1 label=phone kind=totp algorithm=\(algorithmName) digits=\(attempt.digits) period=\(attempt.period) "
                + "offset=\(attempt.offset) created=\(created) secret=\(base32(attempt.secret))",
        ]
        for index in 0..<(Int(shape >> 1) % 4) {
            let kind = input.byte()
            let extraSecret = input.data([20, 10, 32, 64][Int(kind >> 4) % 4])
            let counter = kind & 0x08 != 0 ? UInt64.max - UInt64(input.u16()) : UInt64(input.u16())
            let extra = ExtraCredential(secret: extraSecret, algorithm: Int(kind >> 1) % 3, digits: [6, 7, 8, 8][Int(kind >> 2) % 4],
                                        period: kind & 1 == 0 ? nil : 30, offset: Int(kind >> 5) % 3 - 1, counter: counter,
                                        next: counter)
            var line = "credential id=\(index + 2) label=token-\(index) algorithm=\(algorithmNames[extra.algorithm]) "
                + "digits=\(extra.digits) created=\(created &+ Int64(index) + 1) secret=\(base32(extra.secret))"
            line += extra.period.map { " kind=totp period=\($0) offset=\(extra.offset)" } ?? " kind=hotp counter=\(counter)"
            secretLines.append(line)
            attempt.extras.append(extra)
        }
        if shape & 0x80 != 0 { secretLines.append("pending_add 1") }
    }
    for (index, backup) in attempt.backups.enumerated() {
        var line = "backup pbkdf2-sha256$\(backup.iterations)$\(hexText(backup.salt))$\(hexText(backup.hash))"
        if index % 2 == 0 {
            var mac = [UInt8](repeating: 0, count: 64)
            let message = Array("swift-2fa backup tag \(backup.plain)".utf8)
            _ = lf_hmac(1, attempt.backupKey, attempt.backupKey.count, message, message.count, &mac)
            line += "$" + hexText(Array(mac.prefix(4)))
        }
        secretLines.append(line)
    }
    if secretChoice & 0x80 != 0 { secretLines.append("pending_until \(created)") }
    var secretText = secretLines.map { $0 + "\n" }.joined()
    switch secretChoice % 8 {
    case 1: secretText = secretLines.map { $0 + "\r\n" }.joined()
    case 2: secretText = String(decoding: input.longBlob(maximum: 4096), as: UTF8.self)
    default: break
    }
    let secretPath: String
    if let template = arguments.last(where: { $0.hasPrefix("secret=") })?.dropFirst(7) {
        var path = String(template)
        if path.hasPrefix("~/") { path = home + "/" + path.dropFirst(2) }
        secretPath = path.replacingAll("${HOME}", with: home).replacingAll("${USER}", with: canonical)
    } else {
        secretPath = "\(store)/\(canonical).secret"
    }
    let secretOwner = secretPath.hasPrefix(store + "/") ? 0 : lf_account_uid
    let secretPresent = secretChoice % 8 != 3 && secretPath.hasPrefix("/")
    if secretPresent {
        addFile(secretPath, Array(secretText.utf8), metadata: secretChoice % 8 == 4 ? (secretChoice >> 3) : 0,
                owner: secretOwner)
    }
    // What the second read (under the lock) finds.
    var lockedSecretText = secretText
    let rereadChoice = input.byte()
    if secretPresent && rereadChoice % 8 == 6 {
        lockedSecretText = secretText.replacingAll("created \(created)", with: "created \(created &+ 1)")
        lf_replace_after_first_open(secretPath, Array(lockedSecretText.utf8), lockedSecretText.utf8.count)
    } else if secretPresent && rereadChoice % 8 == 7 {
        lf_replace_after_first_open(secretPath, nil, -1)
    }
    if rereadChoice & 0x80 != 0 {
        let pending = secretText + "pending_until \(created)\n"
        addFile("\(store)/\(canonical).pending", Array(pending.utf8), metadata: 0, owner: 0)
    }

    // The state file.
    let stateChoice = input.byte()
    let currentStep = attempt.now >= 0 ? attempt.now / Int64(max(attempt.period, 1)) : 0
    let lastStep = max(0, currentStep + Int64(Int8(bitPattern: input.byte())) / 16)
    let failures = Int(input.byte())
    let throttleByte = Int8(bitPattern: input.byte())
    let throttledUntil = throttleByte == 0 ? 0 : max(0, attempt.now &+ Int64(throttleByte) * 10)
    let flags = input.byte()
    let usedMask = input.byte()
    let version2State = flags & 0x80 != 0
    var stateText = (version2State ? "version 2\n" : "version 1\nlast_step \(lastStep)\n")
        + "failures \(failures)\nthrottled_until \(throttledUntil)\nlocked \(flags & 1)\n"
    if flags & 2 != 0 { stateText += "backup_failures \((flags >> 2) % 5)\n" }
    let firstPrint = fingerprint(secret: attempt.secret, algorithm: algorithmNames[attempt.algorithm], digits: attempt.digits,
                                 period: attempt.period, created: created)
    let enrollment = [firstPrint, firstPrint, "0123456789abcdef", nil][Int(flags >> 5) % 4]
    if version2State {
        // The first credential's state (right, another's, or `-`: a version 1 state not yet bound),
        // then the others' around their expected counters.
        stateText += "credential \(enrollment ?? "-") \(lastStep) \(usedMask & 0x80 != 0 ? "-" : String(attempt.now))\n"
        for index in attempt.extras.indices {
            let delta = Int64(Int8(bitPattern: usedMask &* UInt8(index + 3))) / 32
            guard delta > -3 else { continue }
            let extra = attempt.extras[index]
            let print = fingerprint(secret: extra.secret, algorithm: algorithmNames[extra.algorithm], digits: extra.digits,
                                    period: extra.period, created: created &+ Int64(index) + 1)
            var expected = extra.counter
            if let period = extra.period {
                expected = UInt64(max(0, (attempt.now >= 0 ? attempt.now / Int64(period) : 0) + Int64(extra.offset)))
            }
            let last = delta >= 0 ? expected.addingReportingOverflow(UInt64(delta)).partialValue : expected &- UInt64(-delta)
            if extra.period == nil, last >= extra.counter { attempt.extras[index].next = last &+ 1 }
            stateText += "credential \(print) \(last) -\n"
        }
    } else if let enrollment {
        stateText += "enrollment \(enrollment)\n"
    }
    for (index, backup) in attempt.backups.enumerated() where usedMask & (1 << UInt8(index)) != 0 {
        stateText += "used_backup \(hexText(backup.salt))\n"
    }
    let statePath = "\(store)/\(canonical).state"
    switch stateChoice % 4 {
    case 1: addFile(statePath, Array(stateText.utf8), metadata: 0, owner: 0)
    case 2:
        stateText = String(decoding: input.longBlob(maximum: 2048), as: UTF8.self)
        addFile(statePath, Array(stateText.utf8), metadata: 0, owner: 0)
    case 3: addFile(statePath, Array(stateText.utf8), metadata: stateChoice >> 2, owner: 0)
    default: stateText = ""
    }
    let stateBefore = stateChoice % 4 == 0 ? nil : stateText

    // PAM items, the split_answer slot, groups, QR, database, faults.
    let itemChoice = input.byte()
    let service = itemChoice & 1 != 0 ? input.text(maximum: 40) : "sshd"
    let rhost = itemChoice & 2 != 0 ? input.text(maximum: 40) : "192.0.2.1"
    attempt.echoed += [service, rhost]
    let cService = strdup(service), cRhost = strdup(rhost), cUser = strdup(given)
    defer { free(cService); free(cRhost); free(cUser) }
    lf_service = itemChoice & 4 != 0 ? nil : UnsafePointer(cService)
    lf_rhost = itemChoice & 8 != 0 ? nil : UnsafePointer(cRhost)
    lf_user = UnsafePointer(cUser)
    if itemChoice & 0x10 != 0 {
        let kept = answerText(first)
        attempt.given.append(kept)
        lf_keep_code(kept)
    }
    if itemChoice & 0x20 != 0 { lf_set_item_rc = PAM_SYSTEM_ERR }
    if itemChoice & 0x40 != 0 { lf_set_data_rc = PAM_BUF_ERR }
    let worldChoice = input.byte()
    lf_group_answer = Int32(worldChoice % 3)
    lf_group_member = Int32((worldChoice >> 2) & 1)
    lf_qr_seed = UInt32((worldChoice >> 3) & 1) * 77
    // The fleet's pooler (used when the configuration names a database): its directory and
    // socket in memory, and a scripted server behind the module's socket calls.
    let poolerChoice = input.byte()
    lf_db_answer = Int32(poolerChoice % 6)
    lf_db_stall = Int32((poolerChoice >> 3) & 1)
    if poolerChoice & 0x10 != 0 { lf_db_cut = UInt32(input.u16() % 400) + 1 }
    let dbValue = ["rejected", "6", "accepted", "accepted-totp", "locked", "8", "not-enrolled", ""][Int(input.byte()) % 8]
    let cDatabase = strdup(dbValue)
    defer { free(cDatabase) }
    lf_db_value = UnsafePointer(cDatabase)
    let raw = lf_db_answer == 2 || lf_db_answer == 3 ? input.longBlob(maximum: 2048) : []
    let rawAnswer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(raw.count, 1))
    defer { rawAnswer.deallocate() }
    _ = rawAnswer.initialize(from: raw)
    lf_db_raw = UnsafePointer(rawAnswer.baseAddress)
    lf_db_raw_length = raw.count
    let poolerDirectory = setting("pooler", arguments: [], config: config).flatMap { $0.hasPrefix("/") ? $0 : nil }
        ?? Pooler.defaultDirectory
    _ = lf_add("/", Int32(LF_DIR.rawValue), 0, 0o755, nil, 0)
    addParents(of: poolerDirectory)
    _ = lf_add(poolerDirectory, Int32(LF_DIR.rawValue), 0, poolerChoice & 0x20 != 0 ? 0o777 : 0o700, nil, 0)
    switch (poolerChoice >> 6) % 4 {
    case 1: break // no socket: the pooler is not running
    case 2: _ = lf_add(Pooler.socketPath(in: poolerDirectory), Int32(LF_FILE.rawValue), 0, 0o600, nil, 0)
    default: _ = lf_add(Pooler.socketPath(in: poolerDirectory), Int32(LF_SOCKET.rawValue), 0, 0o777, nil, 0)
    }
    // A connection an earlier split_answer instance handed on: to this pooler, or elsewhere.
    switch input.byte() % 4 {
    case 1: lf_keep_connection(Pooler.socketPath(in: poolerDirectory))
    case 2: lf_keep_connection("/run/elsewhere/.s.PGSQL.6432")
    default: break
    }
    if worldChoice & 0x40 != 0 { lf_drop_priv_rc = -1 }
    if worldChoice & 0x80 != 0 { lf_regain_priv_rc = -1 }
    lf_fault_mask = input.u64()
    lf_fault_choice = UInt32(input.byte())
    let ioChoice = input.byte()
    lf_short_io = UInt32(ioChoice % 8)
    lf_lock_busy = ioChoice >= 0xF8 ? 6000 : UInt32(ioChoice >> 5)

    // The files as they are before the attempt.
    func contents(_ path: String) -> [UInt8]? {
        var length = 0
        guard let bytes = lf_contents(path, &length) else { return nil }
        return Array(UnsafeBufferPointer(start: bytes, count: length))
    }
    let secretBefore = contents(secretPath)
    let stateFileBefore = contents(statePath)
    let temporaryFilesBefore = lf_temporary_files()
    if verbose {
        fputs("files: state choice \(stateChoice) at \(statePath): \(quoted(stateFileBefore.map { String(decoding: $0, as: UTF8.self) })); secret at \(secretPath)\n", stderr)
    }

    // The call.
    lf_conv.conv = conversation
    lf_conv.appdata_ptr = nil
    var argv: [UnsafePointer<CChar>?] = cArguments.map { $0.map { UnsafePointer($0) } }
    lf_active = 1
    let rc = argv.withUnsafeMutableBufferPointer { buffer in
        pam_sm_authenticate(OpaquePointer(bitPattern: 0x5a5a), 0, Int32(buffer.count), buffer.baseAddress)
    }
    lf_active = 0

    // One final log line, and no secret in any line.
    var logLines: [String] = []
    for index in 0..<lf_log_count() { logLines.append(lf_log_line(index).map { String(cString: $0) } ?? "") }
    let finalLines = logLines.filter { $0.hasPrefix("user=\"") }
    if verbose { fputs("login: rc=\(rc) arguments=\(arguments) answers=\(short(attempt.given)) log=\(logLines)\n", stderr) }
    fuzzCheck(finalLines.count == 1, "\(finalLines.count) final log lines: \(short(logLines))")
    let echoedText = attempt.echoed.joined(separator: "\u{1}") + attempt.given.joined(separator: "\u{1}")
    let secrets = [base32(attempt.secret), base32(attempt.backupKey)] + attempt.extras.map { base32($0.secret) }
        + attempt.backups.map { $0.plain }
    for secret in secrets where secret.utf8.count >= 8 && end(of: secret, in: echoedText) == nil {
        fuzzCheck(!logLines.contains { end(of: secret, in: $0) != nil }, "a secret or backup code in the log: \(short(logLines))")
    }

    // The files.
    if attempt.shownSecret == nil, let before = secretBefore, let after = contents(secretPath) {
        fuzzCheck(after == before || (rereadChoice % 8 == 6 && after == Array(lockedSecretText.utf8)), "the secret file changed")
    }
    if let after = contents(statePath), after != stateFileBefore, attempt.now < Int64(1) << 61 {
        let text = String(decoding: after, as: UTF8.self)
        do throws(FileFormatError) {
            let written = try StateSlotFile.decode(after)
            fuzzCheck(StateSlotFile.isSlotFile(after), "the module wrote a state file of another layout: \(short([text]))")
            // Bound to the record it verified against: only its credentials' replay state, by the
            // fingerprints computed here (for a well-formed secret file read the same way twice).
            if attempt.shownSecret == nil, lf_faults_injected == 0, [0, 1, 5].contains(secretChoice % 8), rereadChoice & 0x80 == 0,
               let record = try? SecretRecord.parse(secretText) {
                let prints = fingerprints(record)
                fuzzCheck(written.credentials.allSatisfy { prints.contains($0.fingerprint) },
                          "the written state keeps replay state of no credential of the record: \(short([text])), fingerprints \(prints)")
            }
        } catch {
            fuzzCheck(false, "the module wrote a state it cannot read (\(error)): \(String(decoding: after.prefix(500), as: UTF8.self))")
        }
    }
    if lf_faults_injected == 0 {
        fuzzCheck(lf_temporary_files() == temporaryFilesBefore, "a temporary file was left behind")
    }

    // Acceptance.
    if rc == PAM_SUCCESS {
        accepted += 1
        var justified = false
        if lf_db_accepted != 0 {
            justified = true
            acceptedDatabase += 1
        }
        if !justified, let shown = attempt.shownSecret, attempt.now >= 0 {
            let step = attempt.now / 30
            for answer in attempt.givenAfterShown {
                for candidate in (step - 1)...(step + 1) where candidate >= 0
                    && stripped(answer) == hotp(shown, algorithm: 0, counter: UInt64(candidate), digits: 6) {
                    justified = true
                }
            }
            if justified { acceptedEnrollment += 1 }
        }
        if !justified, secretPresent {
            justified = attempt.given.contains { oracleAccepts($0, secretText: secretText, lockedSecretText: lockedSecretText,
                                                               stateText: stateBefore, arguments: arguments, config: config) }
        }
        fuzzCheck(justified, "PAM_SUCCESS without a valid unused code; answers \(short(attempt.given)), log \(short(logLines))")
    }
    // Every pooler connection is closed by the module or, handed on, by pam_end.
    lf_end()
    fuzzCheck(lf_open_sockets() == 0, "a pooler connection left open after pam_end")
    return 0
}

/// What a parse gave, for the verbose log: the value, or why the text was refused.
private func parseReport<Value>(_ parse: () throws(FileFormatError) -> Value) -> String {
    do throws(FileFormatError) { return "\(try parse())" } catch { return "refused (\(error))" }
}

/// Whether `answer` is a currently valid, unused code or backup code of the supplied enrollment.
private func oracleAccepts(_ answer: String, secretText: String, lockedSecretText: String, stateText: String?,
                           arguments: [String], config: String?) -> Bool {
    // The texts are interpreted by the parsers (fuzzed on their own, with round trips); the
    // decision is made here.
    if verbose {
        fputs("oracle: secret \(parseReport { () throws(FileFormatError) in try SecretRecord.parse(lockedSecretText) }) "
              + "state \(stateText.map { text in parseReport { () throws(FileFormatError) in try StateSlotFile.decode(Array(text.utf8)) } } ?? "none")\n", stderr)
    }
    guard let record = try? SecretRecord.parse(lockedSecretText),
          let before = try? SecretRecord.parse(secretText), before == record else { return false }
    var state = UserState()
    if let stateText {
        guard let parsed = try? StateSlotFile.decode(Array(stateText.utf8)) else { return false }
        state = parsed
    }
    // The replay state of each credential, by the fingerprint computed here: a credential's own
    // line, or for the first credential a line not yet bound (`-`, or a version 1 file without
    // `enrollment`) when it has none of its own. Used backup codes are the person's: always kept.
    let prints = fingerprints(record)
    func lastCounter(_ index: Int) -> UInt64? {
        if let own = state.credentials.first(where: { $0.fingerprint == prints[index] }) { return own.lastCounter }
        return index == 0 ? state.credentials.first { $0.fingerprint.isEmpty }?.lastCounter : nil
    }
    let used = Set(state.usedBackupSalts)
    if state.locked { return false }
    let now = attempt.now
    let window = max(0, min(10, numericSetting("window", arguments: arguments, config: config, default: 1, lenient: 10)))
    let hotpWindow = max(0, min(40, numericSetting("hotp_window", arguments: arguments, config: config, default: 10, lenient: 40)))
    let throttleAfter = numericSetting("throttle_after", arguments: arguments, config: config, default: 3, lenient: 100)
    let typed = stripped(answer)
    if verbose {
        fputs("oracle: window \(window) hotp_window \(hotpWindow) throttle_after \(throttleAfter) fingerprints \(short(prints)) "
              + "state \(state) now \(now) config \(quoted(config))\n", stderr)
    }
    if now >= state.throttledUntil {
        for (index, credential) in record.credentials.enumerated() {
            let last = lastCounter(index)
            var counters: [UInt64] = []
            switch credential.kind {
            case .totp(let period, let offset):
                guard now >= 0, period > 0 else { continue }
                let step = now / Int64(period) + Int64(offset)
                counters = ((step - Int64(window))...(step + Int64(window))).filter { $0 >= 0 }.map { UInt64($0) }
            case .hotp(let counter):
                var next = counter
                if let last, last >= next { next = last == UInt64.max ? last : last + 1 }
                counters = (0...UInt64(hotpWindow)).compactMap { ahead in
                    let (value, overflow) = next.addingReportingOverflow(ahead)
                    return overflow ? nil : value
                }
            }
            let algorithm = algorithmNames.firstIndex(of: credential.algorithm.rawValue) ?? 0
            for counter in counters where last.map({ counter > $0 }) ?? true {
                if typed == hotp(credential.secret, algorithm: algorithm, counter: counter, digits: credential.digits) {
                    if index > 0 { acceptedLaterCredential += 1 }
                    return true
                }
            }
        }
    }
    if now < state.throttledUntil && state.backupFailures >= throttleAfter { return false }
    let normalized = normalizedBackup(answer)
    for known in attempt.backups where known.plain == normalized && !used.contains(hexText(known.salt)) {
        if record.backupCodes.contains(where: { $0.salt == known.salt && $0.hash == known.hash && $0.iterations == known.iterations }) {
            return true
        }
    }
    return false
}
