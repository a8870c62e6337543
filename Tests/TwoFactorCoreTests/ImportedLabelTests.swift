import Testing
import TwoFactorCore

/// The labels imported keys get (`ImportedLabel`), and the credential each key becomes.
@Suite("ImportedLabel")
struct ImportedLabelTests {
    @Test("suggestions made valid labels", arguments: [
        ("987654321", "987654321"), ("oath-line-4", "oath-line-4"), ("Key #1 (YubiKey)", "Key--1--YubiKey-"),
        ("--serial", "serial"), ("", "key-1"), ("???", "key-1"), ("été", "t--"),
        (String(repeating: "a", count: 40), String(repeating: "a", count: 32)),
    ])
    func valid(suggestion: String, label: String) {
        let made = ImportedLabel.make(from: suggestion, fallback: "key-1", avoiding: [])
        #expect(made == label)
        #expect(Credential.isValidLabel(made))
    }

    @Test("a taken label gets -2, -3, … and stays within 32 bytes")
    func unique() {
        #expect(ImportedLabel.make(from: "token", fallback: "key-1", avoiding: ["token"]) == "token-2")
        #expect(ImportedLabel.make(from: "token", fallback: "key-1", avoiding: ["token", "token-2"]) == "token-3")
        let long = String(repeating: "b", count: 32)
        let made = ImportedLabel.make(from: long, fallback: "key-1", avoiding: [long])
        #expect(made == String(repeating: "b", count: 30) + "-2")
        #expect(Credential.isValidLabel(made))
    }

    @Test("a key becomes a credential with what it had used")
    func credential() throws {
        let secret = Array("12345678901234567890".utf8)
        let hotp = ImportedCredential(label: "t", kind: .hotp(counter: 5), algorithm: .sha1, digits: 8, secret: secret)
        let made = hotp.credential(id: 3, label: "token", created: 1_764_456_000)
        #expect(made.credential.kind == .hotp(counter: 5) && made.credential.id == 3 && made.credential.label == "token")
        #expect(made.used == CredentialState(fingerprint: made.credential.fingerprint, lastCounter: 4))
        #expect(ImportedCredential(label: "t", kind: .hotp(counter: 0), algorithm: .sha1, digits: 6, secret: secret)
            .credential(id: 1, label: "t", created: 0).used == nil)
        let totp = ImportedCredential(label: "t", kind: .totp(period: 60, lastUsedStep: 99), algorithm: .sha256, digits: 7,
                                      secret: secret)
        let timeBased = totp.credential(id: 1, label: "phone", created: 1_764_456_000)
        #expect(timeBased.credential.kind == .totp(period: 60, offset: 0) && timeBased.credential.algorithm == .sha256)
        #expect(timeBased.used?.lastCounter == 99)
        #expect(timeBased.credential.isValid)
    }
}
