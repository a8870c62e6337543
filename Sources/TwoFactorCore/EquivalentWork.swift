extension VerificationPolicy {
    /// Does the expensive work `verify` does for an answer of this shape, for a user who has
    /// no enrollment (unknown, not enrolled, or whose enrollment changed), so the time an
    /// answer takes does not tell whether the account is enrolled: one PBKDF2 for a
    /// backup-shaped answer, the window's HMACs for a code-shaped one.
    public func performEquivalentWork(answer: String, digits: Int) {
        let trimmed = Self.trimmed(answer)
        let key = [UInt8](repeating: 0, count: 20)
        if trimmed.utf8.count == digits, let totp = TOTP(secret: key, parameters: OTPParameters(algorithm: .sha1, digits: digits, period: 30)) {
            for step in 0...UInt64(max(0, min(window, Self.windowRange.upperBound)) * 2) {
                _ = totp.code(forStep: step)
            }
        }
        if let normalized = BackupCodes.normalize(trimmed),
           let dummy = BackupCodeHash(iterations: BackupCodeHash.defaultIterations,
                                      salt: [UInt8](repeating: 0, count: BackupCodeHash.saltLength),
                                      hash: [UInt8](repeating: 0, count: BackupCodeHash.hashLength)) {
            _ = dummy.matches(normalizedCode: normalized)
        }
    }
}
