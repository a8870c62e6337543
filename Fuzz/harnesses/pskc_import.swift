// PSKCFile.parse (and the XML reader and base64 under it): the PSKC import parser
// (import --pskc). The first byte picks the key material: none, a wrong key, the pre-shared
// keys of the test files (Tests/Fixtures/pskc), or their password; the rest is the file.
// Properties: every key is importable as read, the protection announced agrees with the
// material that opened the file, and a refusal says why.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPSKCFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let material: PSKCFile.KeyMaterial
    switch data[0] % 5 {
    case 1: material = .key([UInt8](repeating: 0, count: 16))  // a wrong key
    case 2: material = .key(fuzzHexBytes("00112233445566778899aabbccddeeff0123456789abcdef0123456789abcdef"))
    case 3: material = .password(Array("qwerty".utf8))
    case 4: material = .key(fuzzHexBytes("12345678901234567890123456789012"))
    default: material = .none
    }
    let text = fuzzText(data + 1, size - 1)
    // PBKDF2 costs the fuzzer's time: the test files use 1,000 and 2,000 iterations.
    var limits = PSKCFile.Limits.standard
    limits.maximumIterations = 2_000
    do throws(PSKCFile.ParseError) {
        let file = try PSKCFile.parse(text, keyMaterial: material, limits: limits)
        fuzzCheck(!file.entries.isEmpty && file.entries.count <= limits.maximumKeys, "key count out of range")
        for (index, entry) in file.entries.enumerated() {
            let key = entry.credential
            fuzzCheck(entry.package == index + 1, "package numbers out of order")
            fuzzCheck(!entry.keyID.isEmpty && !key.label.isEmpty, "a key without an id or label")
            fuzzCheck(HOTP.allowedDigits.contains(key.digits), "digits out of range")
            fuzzCheck(Credential.allowedSecretLengths.contains(key.secret.count), "secret length out of range")
            if case .totp(let period, let step) = key.kind {
                fuzzCheck(OTPParameters.allowedPeriods.contains(period), "period out of range")
                fuzzCheck(step == nil, "a PSKC key with a used step")
            }
        }
        let protection = try? PSKCFile.protection(text, limits: limits)
        switch (material, protection) {
        case (_, .plain?), (.key, .preSharedKey?), (.password, .password?): break
        default: fuzzCheck(false, "opened with material that does not fit the announced protection")
        }
    } catch {
        fuzzCheck(!error.message.isEmpty, "a refusal without a reason")
    }
    return 0
}

/// Bytes of a hex string written in the harness (valid by construction).
func fuzzHexBytes(_ text: String) -> [UInt8] {
    Hex.decode(Substring(text)) ?? []
}
