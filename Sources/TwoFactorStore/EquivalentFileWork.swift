import TwoFactorCore

/// The parsing an enrolled user's attempt does (the secret file before the prompt and again
/// under the lock, and the state file), done on placeholder texts for a user who is unknown
/// or not enrolled (FileEnrollmentStore), so that an answer's time does not tell whether the account is enrolled.
/// The placeholders have the size and shape of a real enrollment with ten backup codes.
enum EquivalentFileWork {
    static func perform() {
        _ = try? SecretRecord.parse(placeholderSecret)
        _ = try? SecretRecord.parse(placeholderSecret)
        _ = try? UserState.parse(placeholderState)
    }

    private static let placeholderSecret: String = {
        var text = "# swift-2fa secret file. Written by swift-2fa-setup; do not edit.\nversion 1\n"
            + "secret AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nalgorithm SHA1\ndigits 6\nperiod 30\ncreated 1764456000\n"
        let salt = String(repeating: "5a", count: 16)
        let hash = String(repeating: "a5", count: 32)
        for index in 0..<10 {
            text += "backup pbkdf2-sha256$20000$\(salt)$\(hash)$0000000\(index)\n"
        }
        return text
    }()

    private static let placeholderState =
        "version 1\nlast_step 58839821\nfailures 0\nthrottled_until 0\nlocked 0\nenrollment 0123456789abcdef\n"
}
