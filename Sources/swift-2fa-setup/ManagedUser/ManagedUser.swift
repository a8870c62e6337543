import Glibc
import TwoFactorCore
import TwoFactorStore

/// The user a command acts on, who asked, where the user's files are and which policy
/// applies: the same paths and rules the module computes from the configuration file and
/// its `store=` and `secret=` options.
struct ManagedUser {
    /// The target user's passwd entry (canonical name).
    let account: PasswdEntry
    /// The store with the state, lock and pending files (and the secret unless home mode).
    let store: Store
    /// Where the module finds this user's secret, and who may own it.
    let location: SecretLocation
    /// True when the invoking user is root.
    let invokerIsRoot: Bool
    /// True when `--user` was given.
    let userGiven: Bool
    /// Where the user's enrollment lives and every command acts: the files, or the fleet
    /// database when the configuration file names one (`database =`).
    let enrollments: any EnrollmentAdministration
    /// True when the configuration file names a database: the store's files are not used.
    let inFleet: Bool
    /// The admin's event hook (`notify =`), if the configuration file sets one.
    let notifyProgram: String?

    /// The user's name.
    var user: String { account.name }
    /// True when the secret is outside the store (`--secret-file`, the module's `secret=`).
    var homeMode: Bool { location.isHomeMode }

    /// Resolves the command line options. The invoking user comes from getuid(),
    /// never from $USER or $HOME. `selfService` (root only, fleet mode only) makes every
    /// call to the fleet go through the self-service session (`FleetSelfService`).
    static func resolve(requestedUser: String?, configPath: String?, storeDirectory: String?,
                        secretTemplate: String?, selfService: FleetSelfService? = nil) throws(SetupFailure) -> ManagedUser {
        let invokerIsRoot = getuid() == 0 && geteuid() == 0
        let invoker: PasswdEntry
        do throws(PasswdLookupError) { invoker = try PasswdEntry.lookup(uid: getuid()) } catch {
            throw .io("no passwd entry for your uid \(getuid()) (\(error))")
        }
        let name = requestedUser ?? invoker.name
        do throws(UserNameError) { try UserName.check(name) } catch {
            throw .usage("invalid user name: \(error)")
        }
        let account: PasswdEntry
        do throws(PasswdLookupError) {
            account = try PasswdEntry.lookup(name)
        } catch .noSuchUser {
            throw .usage("unknown user '\(name)'")
        } catch {
            throw .io("cannot look up user '\(name)': \(error)")
        }
        if !invokerIsRoot && account.name != invoker.name {
            throw .io("only root may act for another user (you are \(invoker.name))")
        }
        let options = try moduleOptions(configPath: configPath, storeDirectory: storeDirectory, secretTemplate: secretTemplate)
        if options.fleet != nil && secretTemplate != nil {
            throw .usage("--secret-file cannot be used when the configuration file names a database")
        }
        if selfService != nil && (!invokerIsRoot || options.fleet == nil) {
            throw .usage("--self-service is serve-user's own option, for root in fleet mode")
        }
        let place = try EnrollmentPlace(account: account, options: options, invokerIsRoot: invokerIsRoot,
                                        selfService: selfService)
        return ManagedUser(account: account, store: place.store, location: place.location, invokerIsRoot: invokerIsRoot,
                           userGiven: requestedUser != nil, enrollments: place.enrollments, inFleet: options.fleet != nil,
                           notifyProgram: options.notifyProgram)
    }

    /// The module options a login would have: the configuration file, then `--store` and
    /// `--secret-file` as `store=` and `secret=` on a module line.
    private static func moduleOptions(configPath: String?, storeDirectory: String?,
                                      secretTemplate: String?) throws(SetupFailure) -> ModuleOptions {
        let path = configPath ?? ConfigFile.defaultPath
        guard ModuleOptions.isValidConfigPath(path) else { throw .usage("--config needs an absolute path without '..'") }
        // Every problem of the configuration file (unreadable, untrusted, a bad line or a bad
        // value) is an I/O error naming the file and line, as the module fails closed on it;
        // only the command line's own mistakes are usage errors.
        var options: ModuleOptions
        do throws(ConfigurationError) { options = try ConfigurationLoader.options(configPath: path) } catch {
            throw .io(error.description)
        }
        if let storeDirectory {
            do throws(OptionError) { try options.setStore(storeDirectory) } catch {
                throw .usage("--store needs an absolute path without '..'")
            }
        }
        if let secretTemplate {
            do throws(OptionError) { try options.setSecretTemplate(secretTemplate) } catch {
                throw .usage("--secret-file needs an absolute path, or one starting with ~/ or ${HOME}")
            }
        }
        return options
    }
}
