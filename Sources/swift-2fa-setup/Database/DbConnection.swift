import ArgumentParser
import Glibc
import TwoFactorCore
import TwoFactorStore

/// The options that say which fleet database a `db` subcommand talks to.
struct DbConnectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The configuration file with the `database =` line.", valueName: "file"))
    var config: String = ConfigFile.defaultPath

    @Option(help: ArgumentHelp(
        "A libpq connection string to use instead of the configuration file's (for tests and first set-up).",
        valueName: "conninfo"))
    var database: String?

    @Option(name: .customLong("database-timeout"), help: ArgumentHelp(
        "Seconds for connecting and each call (default: the file's database_timeout, else 3).", valueName: "seconds"))
    var timeout: Int?

    /// The fleet store these options name; a usage error when none is configured.
    func store() throws(SetupFailure) -> FleetStore {
        if let timeout, !FleetSettings.timeoutRange.contains(timeout) {
            throw .usage("--database-timeout must be \(FleetSettings.timeoutRange.lowerBound) to \(FleetSettings.timeoutRange.upperBound) seconds")
        }
        if let database {
            return FleetStore(conninfo: database, timeout: timeout ?? FleetStore.defaultTimeout)
        }
        let fleet = try fleetSettings(configPath: config, or: "pass --database")
        return FleetStore(conninfo: fleet.conninfo, timeout: timeout ?? fleet.timeoutSeconds)
    }
}

/// The fleet settings of the configuration file at `configPath`; a usage error naming
/// `alternative` when the file has no `database =` line.
func fleetSettings(configPath: String, or alternative: String) throws(SetupFailure) -> FleetSettings {
    let options: ModuleOptions
    do throws(ConfigurationError) { options = try ConfigurationLoader.options(configPath: configPath) } catch {
        throw .io(error.description)
    }
    guard let fleet = options.fleet else {
        throw .usage("\(configPath) has no 'database =' line; add one or \(alternative)")
    }
    return fleet
}
