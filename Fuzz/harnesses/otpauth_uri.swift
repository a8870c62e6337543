// OTPAuthURI(parsing:): otpauth:// URIs (pasted or scanned by swift-2fa-setup).
// Property: the secret and parameters survive text → parse → text → parse.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOTPAuthURI(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = fuzzText(data, size)
    guard let uri = OTPAuthURI(parsing: text) else { return 0 }
    fuzzCheck(!uri.secret.isEmpty && uri.parameters.isValid, "invalid URI accepted")
    // Known limit (Fuzz/regressions/otpauth_uri/roundtrip-over-4096): `text` percent-encodes
    // the label, so a long non-ASCII label serializes to more than the 4096 bytes the parser
    // accepts. Only URIs within that limit must round-trip.
    let serialized = uri.text
    guard serialized.utf8.count <= 4096 else { return 0 }
    guard let again = OTPAuthURI(parsing: serialized) else {
        fuzzCheck(false, "serialized URI does not parse")
        return 0
    }
    fuzzCheck(again.secret == uri.secret && again.parameters == uri.parameters, "round trip changed secret or parameters")
    return 0
}
