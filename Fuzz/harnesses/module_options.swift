// ModuleOptions.parse (the arguments of the module line), secretPath expansion, and the
// exemptions' numeric networks (the user field is also tried as an rhost).
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
    // Any text as an rhost: an address that parses is in its own one-address network.
    if let address = IPAddress.parse(user) {
        fuzzCheck(address.count == 4 || address.count == 16, "an address of \(address.count) bytes")
        fuzzCheck(NetworkRange(user)?.contains(rhost: user) == true, "an address outside its own network")
    }
    guard let options = try? ModuleOptions.parse(arguments) else { return 0 }
    let exemptions = options.exemptions
    for network in exemptions.exemptNetworks {
        fuzzCheck(NetworkRange(network.description) == network, "a network that does not read back: \(network)")
        fuzzCheck(network.prefixLength <= network.address.count * 8, "a prefix longer than the address")
    }
    fuzzCheck((exemptions.exemptGroups + exemptions.requiredGroups).allSatisfy(UserName.isSafe), "an unsafe group name")
    fuzzCheck(exemptions.exemptGroups.count <= Exemptions.maximumEntries && exemptions.exemptNetworks.count <= Exemptions.maximumEntries,
              "more entries than allowed")
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
