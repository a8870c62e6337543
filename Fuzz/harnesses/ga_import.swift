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
    // The imported record (one valid credential) serializes to a secret file that parses back.
    let record = SecretRecord(secret: file.secret, parameters: OTPParameters(algorithm: .sha1, digits: 6, period: file.period),
                              created: 0)
    fuzzCheck(record.credentials.allSatisfy(\.isValid), "imported credential is invalid")
    fuzzCheck((try? SecretRecord.parse(record.serialized())) == record, "imported record does not round-trip")
    return 0
}
