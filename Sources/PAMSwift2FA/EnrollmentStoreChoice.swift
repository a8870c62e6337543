import CPAM
import Glibc
import TwoFactorCore
import TwoFactorStore

/// The store that serves this attempt, as the options say: the fleet's database when the
/// configuration file names one (through the local pooler, `AttemptDatabase`), else the
/// file store with the secret where `SecretLocation` puts it (read with the user's identity
/// in home mode, `SecretFileReader`). Also where an enrollment at login goes.
struct EnrollmentStoreChoice {
    let store: any EnrollmentStore
    /// Where `enroll` puts a new enrollment (the same fleet store, or the file store's
    /// administration in the store directory); nil for an unknown account, and in home mode,
    /// which `enroll` excludes.
    let enrollments: (any LoginEnrollmentStore)?
    /// The fleet's connection for this attempt; closed (or handed on) by the caller.
    let database: AttemptDatabase?

    init(options: ModuleOptions, account: PasswdEntry?, handle: OpaquePointer, log: PAMLog) throws(AttemptEnd) {
        if let fleet = options.fleet {
            let database = AttemptDatabase(settings: fleet, conversation: Conversation(handle: handle))
            self.database = database
            let fleetStore = FleetEnrollmentStore<PoolerConnection>(connect: database.store)
            store = fleetStore
            enrollments = fleetStore
            return
        }
        database = nil
        let files = Store(directory: options.storeDirectory)
        guard let account else {
            store = FileEnrollmentStore(store: files, policy: options.policy, readSecret: nil, now: Self.now)
            enrollments = nil
            return
        }
        guard let location = options.secretLocation(for: account, storeOwners: files.trustedOwners) else {
            throw AttemptEnd("config-error", "option secret= expands to a relative path", code: PAM_SERVICE_ERR)
        }
        log.debug("secret file \(location.path)")
        let secretFile = SecretFileReader(handle: handle, account: account, location: location)
        store = FileEnrollmentStore(store: files, policy: options.policy, readSecret: secretFile.readSecret, now: Self.now)
        enrollments = location.isHomeMode ? nil : FileEnrollmentAdministration(
            store: files, secretFile: StoreSecretFile(path: location.path, owners: location.owners),
            policy: options.policy, now: Self.now)
    }

    /// The clock of a file-store login.
    private static func now() -> Int64 { Int64(time(nil)) }
}
