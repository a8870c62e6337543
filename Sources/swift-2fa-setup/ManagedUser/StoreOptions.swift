import ArgumentParser
import TwoFactorCore

/// `--config` and `--store`: which configuration file applies and where the store is, as the
/// module's `config=` and `store=` options. Every command that reads enrollments takes them.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The configuration file, as the module's config= option (default: \(ConfigFile.defaultPath)). Its policy (window, throttle_*, lock_after) and store apply here as at a login.",
        valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp(
        "The store directory, as the module's store= option (default: the configuration file's store, else \(ModuleOptions.defaultStoreDirectory)).",
        valueName: "dir"))
    var store: String?
}
