// ConfigFile.parse (the site-wide configuration file, /etc/swift-2fa/swift-2fa.conf), then
// ModuleOptions.parse with no module arguments on top of it, as the module and the command
// read it.
//
// Input: the file's text. Checked: an error names the file and a line; every entry has a
// known key, at most once, a non-empty value without blanks at its ends or control
// characters, and increasing line numbers; the entries printed as `key = value` lines parse
// back to the same entries; options that parse stay within their ranges, and fleet mode is
// on exactly when the file names a database.
private let path = "/etc/swift-2fa/swift-2fa.conf"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = fuzzText(data, size)
    let config: ConfigFile
    do throws(OptionError) {
        config = try ConfigFile.parse(text, path: path)
    } catch {
        fuzzCheck(error.description.hasPrefix(path + " "), "error does not name the file: \(error)")
        return 0
    }
    fuzzCheck(config.path == path, "path not kept")
    var keys = Set<String>()
    var lastLine = 0
    for entry in config.entries {
        fuzzCheck(ConfigFile.keys.contains(entry.key), "unknown key accepted: \(entry.key)")
        fuzzCheck(keys.insert(entry.key).inserted, "key accepted twice: \(entry.key)")
        fuzzCheck(!entry.value.isEmpty, "empty value accepted for \(entry.key)")
        let value = Array(entry.value.utf8)
        fuzzCheck(value.first != 0x20 && value.first != 0x09 && value.last != 0x20 && value.last != 0x09,
                  "value not trimmed: \(entry.value.debugDescription)")
        fuzzCheck(value.allSatisfy { ($0 >= 0x20 || $0 == 0x09) && $0 != 0x7F }, "control character in a value")
        fuzzCheck(entry.line > lastLine, "line numbers do not increase")
        lastLine = entry.line
    }
    let lines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).count
    fuzzCheck(lastLine <= lines, "line \(lastLine) of \(lines)")

    // Printed again, the entries read back the same.
    let printed = config.entries.map { "\($0.key) = \($0.value)\n" }.joined()
    guard let again = try? ConfigFile.parse(printed, path: path) else {
        fuzzCheck(false, "printed entries do not parse: \(printed.debugDescription)")
        return 0
    }
    fuzzCheck(again.entries.map { $0.key } == config.entries.map { $0.key }
                  && again.entries.map { $0.value } == config.entries.map { $0.value },
              "printed entries read back differently")

    // The options on top of the file.
    guard let options = try? ModuleOptions.parse([], config: config) else { return 0 }
    fuzzCheck(VerificationPolicy.windowRange.contains(options.policy.window), "window out of range")
    fuzzCheck(ThrottlePolicy.lockAfterRange.contains(options.policy.throttle.lockAfter), "lock_after out of range")
    fuzzCheck(options.policy.throttle.maxDelay >= options.policy.throttle.baseDelay, "throttle_max below throttle_delay")
    fuzzCheck(options.storeDirectory.hasPrefix("/"), "relative store")
    fuzzCheck((options.fleet != nil) == config.entries.contains { $0.key == "database" }, "fleet mode without a database line")
    return 0
}
