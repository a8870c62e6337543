// SecretRecord.parse: the secret file parser (text the module reads from disk).
// Property: whatever parses re-serializes to text that parses to the same record.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSecretRecord(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = fuzzText(data, size)
    guard let record = try? SecretRecord.parse(text) else { return 0 }
    fuzzCheck(SecretRecord.allowedSecretLengths.contains(record.secret.count), "secret length out of range")
    fuzzCheck(record.parameters.isValid, "invalid parameters accepted")
    fuzzCheck(record.totp != nil, "parsed record has no TOTP")
    let again = try? SecretRecord.parse(record.serialized())
    fuzzCheck(again == record, "round trip changed the record")
    _ = record.totp?.code(forStep: UInt64(size))
    return 0
}
