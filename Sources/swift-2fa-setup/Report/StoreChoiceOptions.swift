import ArgumentParser
import TwoFactorCore

/// `--config` and `--store` of the commands that look at every account (`report`, `pam
/// require`): they stand in for the module line's `config=` and `store=`.
struct StoreChoiceOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The configuration file, in place of the module line's config= (default: the line's, else \(ConfigFile.defaultPath)).",
        valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp(
        "The store directory, in place of the module line's store= (default: the line's or the configuration file's, else \(ModuleOptions.defaultStoreDirectory)).",
        valueName: "dir"))
    var store: String?
}
