// ModuleOptions.parse (the arguments of the module line) and secretPath expansion.
//
// Input: arguments separated by NUL bytes (as libpam hands them over) or, when there is
// no NUL, by spaces. A line starting with "\u{1}" after the options gives user\u{1}home.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModuleOptions(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = fuzzText(data, size)
    var optionText = Substring(text)
    var user = "alice"
    var home = "/home/alice"
    if let marker = text.firstIndex(of: "\u{1}") {
        optionText = text[..<marker]
        let rest = text[text.index(after: marker)...].split(separator: "\u{1}", maxSplits: 1, omittingEmptySubsequences: false)
        if rest.count >= 1 { user = String(rest[0]) }
        if rest.count >= 2 { home = String(rest[1]) }
    }
    let separator: Character = optionText.contains("\0") ? "\0" : " "
    let arguments = optionText.split(separator: separator).map(String.init)
    guard let options = try? ModuleOptions.parse(arguments) else { return 0 }
    fuzzCheck(VerificationPolicy.windowRange.contains(options.policy.window), "window out of range")
    fuzzCheck(options.policy.throttle.lockAfter <= 100, "lock_after above the NIST limit")
    fuzzCheck(options.storeDirectory.hasPrefix("/"), "relative store")
    _ = options.effectivePrompt
    // The module only expands paths for names that pass UserName; check both sides.
    guard UserName.isSafe(user) else { return 0 }
    guard let path = options.secretPath(user: user, home: home) else { return 0 }
    fuzzCheck(path.hasPrefix("/"), "secret path is relative: \(path)")
    fuzzCheck(!path.split(separator: "/").contains(".."), "secret path contains '..': \(path)")
    if options.secretTemplate == nil {
        fuzzCheck(path == options.storeDirectory + "/" + user + ".secret", "store path is not <store>/<user>.secret")
    }
    return 0
}
