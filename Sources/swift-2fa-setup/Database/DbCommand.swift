import ArgumentParser
import Glibc
import TwoFactorCore
import FleetLibPQ
import TwoFactorStore

/// `db`: set up and inspect the fleet store (PostgreSQL).
struct DbCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Set up and inspect the fleet store: one enrollment for every server, in PostgreSQL.",
        discussion: """
            The connection string is the 'database =' line of /etc/swift-2fa/swift-2fa.conf \
            (or --config FILE, or --database CONNINFO). 'init', 'grant-server', 'revoke-server' \
            and 'import' need the admin role: the owner of the schema swift2fa.

            EXAMPLES:
              swift-2fa-setup db init --database 'host=db1 dbname=twofa user=twofa_admin'
              swift-2fa-setup db grant-server web7
              swift-2fa-setup db grant-server web8 --enroll
              swift-2fa-setup db pooler enable
              swift-2fa-setup db status

            \(ExitStatus.helpText)
            """,
        subcommands: [DbInitCommand.self, DbGrantServerCommand.self, DbRevokeServerCommand.self,
                      DbStatusCommand.self, DbImportCommand.self, DbPoolerCommand.self])
}

/// `db init`: creates or upgrades the schema; idempotent. The schema version is that of the
/// migrations (DbSchema.version).
struct DbInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create or upgrade the schema swift2fa (idempotent; the connecting role becomes its admin).")

    /// The migration that made enrollment at login a right of its own
    /// (fleet/schema/migrations/002-enrollment-right.sql).
    static let enrollmentRightMigration = 2

    @OptionGroup var connection: DbConnectionOptions

    func run() throws {
        let store = try connection.store()
        let before = try storeCall { () throws(EnrollmentStoreError) in try store.databaseInfo() }
        if let version = before.schemaVersion, version > DbSchema.version {
            throw SetupFailure.io("the database has schema version \(version), newer than this command's "
                                  + "\(DbSchema.version); use a newer swift-2fa-setup")
        }
        let after = try storeCall { () throws(EnrollmentStoreError) in
            try store.applySchema(DbSchema.script)
            return try store.databaseInfo()
        }
        Output.line("schema swift2fa is at version \(after.schemaVersion ?? 0)"
                    + (before.schemaVersion == nil ? " (created)" : "") + "; admin role: \(after.role)")
        if let version = before.schemaVersion, version < Self.enrollmentRightMigration {
            Output.line("enrollment at login is now a right of its own, and no server role has it: give it back with "
                        + "'swift-2fa-setup db grant-server ROLE --enroll' to the servers that enroll users at login")
        }
    }
}

/// `db grant-server ROLE`.
struct DbGrantServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant-server",
        abstract: "Give an existing role the server rights and nothing more: CONNECT, and EXECUTE on verify and prompt_digits.",
        discussion: """
            With --enroll the role may also enroll users at login (the module's 'enroll' \
            option, and 'enroll --pending' and 'confirm' with that role): EXECUTE on \
            begin_pending and confirm_pending. Without it the role does not get that right, \
            or loses it. A server never replaces an active enrollment, nor a pending one the \
            admin started. With --self-service the role may also serve the self-service \
            socket (serve-user): with a user's code it opens a short session for that user, \
            in which the user sees their status and changes their own devices and backup codes \
            (EXECUTE on the self_* functions). A server with that right and one code of a user \
            can add a device to the user's enrollment on every server: grant it to the servers \
            whose users manage their codes there. Without a flag the role does not get that \
            right, or loses it. PUBLIC, the admin role and its members are refused.
            """)

    @OptionGroup var connection: DbConnectionOptions
    @Argument(help: "The PostgreSQL role of a server.") var role: String
    @Flag(help: "Also let the role enroll users at login (begin_pending, confirm_pending).") var enroll = false
    @Flag(help: "Also let the role serve the self-service socket for its users (the self_* functions).")
    var selfService = false

    func run() throws {
        let store = try connection.store()
        try storeCall { () throws(EnrollmentStoreError) in
            try store.grantServer(role: role, enroll: enroll, selfService: selfService)
        }
        Output.line("granted the server rights to \(role); enrollment at login: "
                    + (enroll ? "yes" : "no (add --enroll to allow it)") + "; self-service: "
                    + (selfService ? "yes" : "no (add --self-service to allow it)"))
    }
}

/// `db revoke-server ROLE`.
struct DbRevokeServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke-server", abstract: "Take the server rights back from a role, the enrollment and self-service rights too.")

    @OptionGroup var connection: DbConnectionOptions
    @Argument(help: "The PostgreSQL role of a server.") var role: String

    func run() throws {
        let store = try connection.store()
        try storeCall { () throws(EnrollmentStoreError) in try store.revokeServer(role: role) }
        Output.line("revoked the server rights of \(role)")
    }
}

/// `db status`: schema version, connection, clock offset, who may connect, and (for the
/// admin) the server roles with their rights.
struct DbStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the schema version, the connection, the database clock's offset from this host's, who may connect, the server roles and their rights (for the admin), and the local pooler's state.")

    @OptionGroup var connection: DbConnectionOptions

    func run() throws {
        // The configuration file's pooler (not with --database): its lines come last, also
        // when the database cannot be reached.
        let pooler = connection.database == nil ? PoolerStatus(configPath: connection.config).lines : []
        defer { for line in pooler { Output.line(line) } }
        let store = try connection.store()
        let info = try storeCall { () throws(EnrollmentStoreError) in try store.databaseInfo() }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let local = Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec / 1_000_000)
        Output.line("schema version:    \(info.schemaVersion.map(String.init) ?? "none, or not readable by this role (run 'swift-2fa-setup db init' as the admin)")"
                    + " (this command: \(DbSchema.version))")
        Output.line("server:            PostgreSQL \(info.serverVersion)\(info.inRecovery ? ", read-only standby" : ", primary")")
        Output.line("role:              \(info.role)\(info.isAdmin ? " (admin)" : "")")
        Output.line("clock offset:      \(info.clockMilliseconds.subtractingClamped(local)) ms (database minus this host)")
        Output.line("who may connect:   " + (info.publicCanConnect
            ? "every role (PUBLIC has CONNECT, so any role can read the tables' row counts); "
              + "run 'swift-2fa-setup db init' as the database's owner, or have it REVOKE CONNECT ... FROM PUBLIC"
            : "the admin and the roles granted CONNECT"))
        if info.isAdmin, info.schemaVersion != nil {
            let roles = try storeCall { () throws(EnrollmentStoreError) in try store.serverRoles() }
            Output.line("server roles:      " + (roles.isEmpty ? "none (swift-2fa-setup db grant-server ROLE)"
                : roles.map(Self.described).joined(separator: ", ")))
        }
        if info.schemaVersion == nil { throw SetupFailure.reported(.ioError) }
    }

    /// A role with its extra rights, such as `server_a (enroll, self-service)`.
    private static func described(_ role: FleetStore.ServerRole) -> String {
        let rights = (role.enroll ? ["enroll"] : []) + (role.selfService ? ["self-service"] : [])
        return role.role + (rights.isEmpty ? "" : " (" + rights.joined(separator: ", ") + ")")
    }
}

/// `db import`: moves the enrollments of a file store into the database.
struct DbImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Move the enrollments of a file store into the database, keeping the replay and throttle state.",
        discussion: """
            Backup codes cannot move (the file store keeps only their PBKDF2 hashes): each \
            imported user needs 'swift-2fa-setup backup-codes --regenerate'. Home-mode secrets \
            (secret=) are not found; import them with --user and --secret-file of the file store.
            """)

    @OptionGroup var connection: DbConnectionOptions

    @Option(help: ArgumentHelp("The file store directory.", valueName: "dir"))
    var store: String = ModuleOptions.defaultStoreDirectory

    @Option(help: ArgumentHelp("Import only this user.", valueName: "name"))
    var user: String?

    @Flag(help: "Replace enrollments already in the database.")
    var force = false

    func run() throws {
        let fleet = try connection.store()
        let files = Store(directory: store)
        do throws(StoreError) { try files.checkDirectory() } catch { throw SetupFailure(error) }
        let users = try user.map { [$0] } ?? Self.enrolledUsers(in: store)
        var imported = 0
        for name in users {
            let found: SecretRecord?
            let state: UserState
            do throws(StoreError) {
                found = try files.readSecret(user: name)
                state = try files.readState(user: name)
            } catch {
                throw SetupFailure(error)
            }
            guard let record = found else { throw SetupFailure(.notEnrolled, "\(name) is not enrolled in \(store)") }
            try storeCall { () throws(EnrollmentStoreError) in
                try fleet.importEnrollment(user: name, record: record, state: state, backupCodes: [],
                                           mode: force ? .replace : .new)
            }
            imported += 1
            let count = record.credentials.count
            Output.line("imported \(name) (\(count) credential\(count == 1 ? "" : "s"), with their used steps and counters); "
                        + "backup codes were not moved: run 'swift-2fa-setup backup-codes --regenerate --user \(name)'")
        }
        Output.line("imported \(imported) enrollment\(imported == 1 ? "" : "s")")
    }

    /// The users with a `<user>.secret` file in the store directory, sorted.
    static func enrolledUsers(in directory: String) throws(SetupFailure) -> [String] {
        guard let handle = opendir(directory) else { throw .io("cannot list \(directory): \(String(cString: strerror(errno)))") }
        defer { closedir(handle) }
        var users: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".secret"), name.count > 7 { users.append(String(name.dropLast(7))) }
        }
        return users.sorted()
    }
}

extension Int64 {
    /// Subtraction that saturates instead of trapping.
    func subtractingClamped(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other > 0 ? .min : .max) : difference
    }
}
