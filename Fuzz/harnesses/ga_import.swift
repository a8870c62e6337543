// GoogleAuthenticatorFile.parse: the `~/.google_authenticator` import parser
// (swift-2fa-setup import --google-authenticator). Properties: what parses is importable.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGoogleAuthenticatorFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = fuzzText(data, size)
    guard let file = try? GoogleAuthenticatorFile.parse(text) else { return 0 }
    fuzzCheck(Credential.allowedSecretLengths.contains(file.secret.count), "secret length out of range")
    fuzzCheck(OTPParameters.allowedPeriods.contains(file.period), "period out of range")
    fuzzCheck(file.scratchCodes.count <= SecretRecord.maximumBackupCodes, "too many scratch codes")
    for code in file.scratchCodes {
        fuzzCheck(code.utf8.count == 8 && code.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }, "scratch code not 8 digits")
        fuzzCheck(BackupCodes.normalize(code) == code, "scratch code not a valid backup code")
    }
    // The imported credential (TOTP or HOTP) is valid, its used step never after now, and its
    // record serializes to a secret file that parses back.
    let now: Int64 = 1_764_456_000
    let made = file.credential(label: Credential.defaultLabel, now: now).credential(id: 1, label: Credential.defaultLabel,
                                                                                      created: now)
    fuzzCheck(made.credential.isValid, "imported credential invalid")
    if made.credential.isTOTP, let used = made.used?.lastCounter {
        fuzzCheck(used <= UInt64(now) / UInt64(file.period), "used step after now")
    }
    let record = SecretRecord(credentials: [made.credential], created: now, backupKey: file.secret)
    fuzzCheck((try? SecretRecord.parse(record.serialized())) == record, "imported record does not round-trip")
    return 0
}
