import Glibc
import PAMStack
import TwoFactorCore
import TwoFactorStore

/// How far the second factor covers the accounts that can log in (`report`, and the check
/// of `pam require`): each account's enrollment, read through `EnrollmentAdministration`
/// whichever store serves it (files or the fleet), and its exemption by the service's rules.
struct Coverage {
    /// One account that can log in.
    let rows: [AccountCoverage]
    /// What the report cannot decide per account, or should say about the service.
    let notes: [String]

    /// The accounts that need a code but are not enrolled (pending, not enrolled, unreadable).
    var notCovered: [AccountCoverage] { rows.filter(\.needsEnrollment) }

    /// Collects the coverage. With `service`, its module line's options (the configuration
    /// file its `config=` names, then its arguments) give the exemptions and the store, as
    /// at a login of that service; `configPath` and `storeDirectory` (`--config`, `--store`)
    /// take the place of `config=` and `store=`. `group` keeps the members of that group only.
    static func collect(service: String?, pamDirectory: PamDirectory, group: String?, configPath: String?,
                        storeDirectory: String?) throws(SetupFailure) -> Coverage {
        guard getuid() == 0 && geteuid() == 0 else {
            throw .io("the report needs root (it reads the shadow entries and every user's enrollment)")
        }
        var notes: [String] = []
        var arguments: [String] = []
        if let service {
            try PamDirectory.validate(service: service)
            guard try pamDirectory.read(service) != nil else { throw .io("\(pamDirectory.file(service)) does not exist") }
            if let use = try pamDirectory.moduleUse(service) {
                arguments = use.line.arguments
                if !arguments.contains(PamServiceFile.nullok) {
                    notes.append("\(service) has no nullok: accounts that are not enrolled cannot log in through it")
                }
            } else {
                notes.append("\(service) does not ask for the code (no \(PamServiceFile.moduleName) in its auth stack)")
            }
        }
        let options = try loadOptions(arguments: arguments, configPath: configPath, storeDirectory: storeDirectory)
        let exemptions = try AccountExemptions(options.exemptions)
        if let note = exemptions.networkNote { notes.append(note) }
        var accounts = try LoginAccounts.list()
        if let group { accounts = try members(of: group, among: accounts) }
        var rows: [AccountCoverage] = []
        for account in accounts {
            let place = try EnrollmentPlace(account: account.passwd, options: options, invokerIsRoot: true)
            var status: EnrollmentStatus?
            var problem: String?
            do throws(EnrollmentStoreError) { status = try place.enrollments.status(user: account.passwd.name) } catch {
                // A damaged file spoils one account's line; a database that fails, every line.
                guard error.kind == .fileError || error.kind == .stateError else { throw SetupFailure(error) }
                problem = error.description
            }
            rows.append(AccountCoverage(account: account, status: status, problem: problem,
                                        exemption: try exemptions.reason(for: account.passwd)))
        }
        return Coverage(rows: rows, notes: notes)
    }

    /// The options of a module line with `arguments`, `--config` in place of its `config=`
    /// and `--store` in place of its `store=`.
    private static func loadOptions(arguments: [String], configPath: String?,
                                    storeDirectory: String?) throws(SetupFailure) -> ModuleOptions {
        var options: ModuleOptions
        do throws(ConfigurationError) {
            if let configPath {
                options = try ConfigurationLoader.options(configPath: configPath, moduleArguments: arguments)
            } else {
                options = try ConfigurationLoader.options(moduleArguments: arguments)
            }
        } catch {
            throw .io(error.description)
        }
        if let storeDirectory {
            do throws(OptionError) { try options.setStore(storeDirectory) } catch {
                throw .usage("--store needs an absolute path without '..'")
            }
        }
        return options
    }

    /// The accounts in `group` (primary or supplementary).
    private static func members(of group: String, among accounts: [LoginAccount]) throws(SetupFailure) -> [LoginAccount] {
        guard let gid = try AccountGroups.id(of: group) else { throw .usage("no such group: \(group)") }
        var members: [LoginAccount] = []
        for account in accounts {
            if try AccountGroups.ids(of: account.passwd).contains(gid) { members.append(account) }
        }
        return members
    }
}
