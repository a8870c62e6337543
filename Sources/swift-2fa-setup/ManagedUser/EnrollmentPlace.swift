import TwoFactorCore
import TwoFactorStore

/// Where one account's enrollment lives under a set of options: the store, the secret's
/// location, and the store every command acts on (files or the fleet).
struct EnrollmentPlace {
    let store: Store
    let location: SecretLocation
    let enrollments: any EnrollmentAdministration

    /// `selfService`: in fleet mode, the session every call goes through (`serve-user`).
    init(account: PasswdEntry, options: ModuleOptions, invokerIsRoot: Bool,
         selfService: FleetSelfService? = nil) throws(SetupFailure) {
        store = Store(directory: options.storeDirectory)
        guard let location = options.secretLocation(for: account, storeOwners: store.trustedOwners) else {
            throw .usage("--secret-file expands to a relative path for \(account.name)")
        }
        self.location = location
        if let fleet = options.fleet {
            var database = FleetStore(conninfo: fleet.conninfo, timeout: fleet.timeoutSeconds)
            database.selfService = selfService
            enrollments = FleetEnrollmentStore(connect: { () throws(EnrollmentStoreError) in database })
        } else if location.isHomeMode {
            let file = HomeSecretFile(path: location.path, owners: location.owners, account: account)
            enrollments = FileEnrollmentAdministration(store: store, secretFile: file, policy: options.policy,
                                                       stateOptional: !invokerIsRoot, now: Enrollment.now)
        } else {
            let file = StoreSecretFile(path: location.path, owners: location.owners)
            enrollments = FileEnrollmentAdministration(store: store, secretFile: file, policy: options.policy,
                                                       now: Enrollment.now)
        }
    }
}
