import TwoFactorCore

/// The fleet's database behind `EnrollmentStore`: `swift2fa.prompt_digits` and
/// `swift2fa.verify` apply the fleet's one policy there, under the user's row lock, with the
/// database's clock. The store is reached through `connect` at the first call (the module
/// opens its pooler connection then, after the prompt when only `verify` runs).
public final class FleetEnrollmentStore<Connection: FleetConnection>: EnrollmentStore {
    /// Gives the store on the attempt's connection, connecting on first use.
    public typealias Connect = () throws(EnrollmentStoreError) -> FleetStore<Connection>

    let connect: Connect

    public init(connect: @escaping Connect) {
        self.connect = connect
    }

    public var readsEnrollmentBeforePrompt: Bool { false }
    public var notEnrolledReason: String { "not enrolled in the fleet database" }

    public func promptDigits(user: String) throws(EnrollmentStoreError) -> Int? {
        try connect().promptDigits(user: user)
    }

    public func graceAge(user: String, service: String, key: String) throws(EnrollmentStoreError) -> Int64? {
        try connect().graceAge(user: user, service: service, key: key)
    }

    /// An accepted code (of any credential, never a backup code) with `context.graceKey` set
    /// records the grace with a second call on the same connection.
    public func verify(user: String, answer: String, context: LoginContext) throws(EnrollmentStoreError) -> LoginVerification {
        let store = try connect()
        let verification = try store.verify(user: user, answer: answer, service: context.service, rhost: context.rhost)
        if verification.outcome == .acceptedTOTP || verification.outcome == .acceptedHOTP, let key = context.graceKey {
            try store.recordGrace(user: user, service: context.service, key: key)
        }
        return verification
    }
}
