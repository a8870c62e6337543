import TwoFactorCore

/// The tests' one-credential enrollments (`SecretRecord(secret:parameters:created:)`), read
/// and changed as they were before credentials: the first credential's secret, parameters,
/// fingerprint and replay state.
extension SecretRecord {
    /// The first credential's secret (setting it changes that credential's and the backup key).
    public var secret: [UInt8] {
        get { credentials.first?.secret ?? [] }
        set {
            if !credentials.isEmpty { credentials[0].secret = newValue }
            backupKey = newValue
        }
    }

    /// The first credential's TOTP parameters (standard for a HOTP credential).
    public var parameters: OTPParameters {
        get { credentials.first?.totpParameters ?? .standard }
        set {
            guard !credentials.isEmpty else { return }
            credentials[0].algorithm = newValue.algorithm
            credentials[0].digits = newValue.digits
            credentials[0].kind = .totp(period: newValue.period, offset: 0)
        }
    }

    /// The first credential's fingerprint.
    public var fingerprint: String { credentials.first?.fingerprint ?? "" }

    /// The first credential's TOTP generator.
    public var totp: TOTP? { TOTP(secret: secret, parameters: parameters) }
}

extension UserState {
    /// A state whose first credential state is `lastStep` for the credential `enrollment`
    /// (a fingerprint; nil: the record's first credential, as a version 1 state without one).
    public init(lastStep: UInt64, failures: Int, throttledUntil: Int64, locked: Bool, usedBackupSalts: [String],
                enrollment: String? = nil, backupFailures: Int = 0, lastAccepted: Int64? = nil) {
        let credentials = lastStep == 0 && enrollment == nil
            ? [] : [CredentialState(fingerprint: enrollment ?? "", lastCounter: lastStep == 0 ? nil : lastStep)]
        self.init(failures: failures, throttledUntil: throttledUntil, locked: locked, usedBackupSalts: usedBackupSalts,
                  credentials: credentials, backupFailures: backupFailures, lastAccepted: lastAccepted)
    }

    /// The last step of the first credential state recorded (0 when none).
    public var lastStep: UInt64 { credentials.first?.lastCounter ?? 0 }

    /// The fingerprint of the first credential state recorded.
    public var enrollment: String? { credentials.first?.fingerprint }

    /// The last step (or counter) accepted for the first credential of `record`; 0 when none.
    public func lastStep(of record: SecretRecord) -> UInt64 {
        guard let first = record.credentials.first else { return 0 }
        return bound(to: record).state(of: first).lastCounter ?? 0
    }
}

extension VerificationOutcome {
    /// A code of the first (default) TOTP credential accepted at `step`.
    public static func acceptedTOTP(step: UInt64) -> VerificationOutcome {
        .acceptedCode(CodeMatch(credentialID: 1, label: Credential.defaultLabel, isHOTP: false, counter: step))
    }

    /// The time step of an accepted code; nil for any other outcome.
    public var acceptedStep: UInt64? {
        if case .acceptedCode(let match) = self { return match.counter }
        return nil
    }
}
