// SecretRecord.parse: the secret file parser (text the module reads from disk), version 1
// (one TOTP secret) and version 2 (`credential` lines, `backup_key`, `pending_add`).
// Properties: every parsed record holds 1...Credential.maximumCount valid credentials with
// unique ids and labels; a version 1 file reads as the one `default` credential whose secret
// keys the backup tags; the serialization (always version 2) has only credential lines that
// parse back to their credentials, and parses to the same record.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSecretRecord(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = fuzzText(data, size)
    guard let record = try? SecretRecord.parse(text) else { return 0 }
    let credentials = record.credentials
    fuzzCheck((1...Credential.maximumCount).contains(credentials.count), "\(credentials.count) credentials")
    fuzzCheck(credentials.allSatisfy { $0.isValid }, "an invalid credential accepted")
    fuzzCheck(Set(credentials.map { $0.id }).count == credentials.count, "repeated credential id")
    fuzzCheck(Set(credentials.map { $0.label }).count == credentials.count, "repeated credential label")
    fuzzCheck(Credential.allowedSecretLengths.contains(record.backupKey.count), "backup key length out of range")
    fuzzCheck(record.backupCodes.count <= SecretRecord.maximumBackupCodes, "too many backup codes")
    fuzzCheck(record.promptDigits == credentials.first?.digits, "prompt digits are not the first credential's")
    if let version1 = try? KeyValueLines.parse(text, kind: SecretRecord.kind), version1.version == 1 {
        fuzzCheck(credentials.count == 1 && credentials[0].id == 1 && credentials[0].label == Credential.defaultLabel
                  && credentials[0].isTOTP && record.backupKey == credentials[0].secret && !record.addsToEnrollment,
                  "a version 1 file did not read as its one default credential")
    }

    let serialized = record.serialized()
    fuzzCheck(serialized.hasPrefix("# swift-2fa secret file.") && serialized.split(separator: "\n").contains("version 2"), "not written as version 2")
    var position = 0
    for line in serialized.split(separator: "\n") where line.hasPrefix("credential ") {
        position += 1
        let parsed = try? CredentialLine.parse(line.dropFirst("credential ".count), position: position, kind: SecretRecord.kind)
        fuzzCheck(parsed != nil, "a written credential line does not parse: \(line.prefix(200))")
        fuzzCheck(position <= credentials.count && parsed == credentials[position - 1], "a written credential line changed")
    }
    fuzzCheck(position == credentials.count, "\(position) credential lines for \(credentials.count) credentials")
    let again = try? SecretRecord.parse(serialized)
    fuzzCheck(again == record, "round trip changed the record")
    fuzzCheck(again?.serialized() == serialized, "the second serialization differs")

    // Every credential computes codes and a fingerprint (16 hex digits) without trapping.
    for credential in credentials {
        fuzzCheck(CredentialState.isFingerprint(credential.fingerprint), "fingerprint is not 16 hex digits")
        let counter = credential.step(at: Int64(size) * 1_000_003) ?? UInt64(size)
        fuzzCheck(credential.code(forCounter: counter)?.utf8.count == credential.digits, "a code of the wrong length")
    }
    return 0
}
