import ArgumentParser
import TwoFactorCore

/// The options that say whose enrollment a command acts on and where it lives.
struct TargetOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The user to act for. Root may name anyone; others may name only themselves. Default: you.",
        valueName: "name"))
    var user: String?

    @Option(help: ArgumentHelp(
        "The store directory, as the module's store= option (for tests and non-default setups).",
        valueName: "dir"))
    var store: String = ModuleOptions.defaultStoreDirectory

    @Option(name: .customLong("secret-file"), help: ArgumentHelp(
        "Home mode: keep the secret in this file instead of the store, as the module's secret= option (~/ and ${HOME}, ${USER} are expanded from the passwd entry). State stays in the store.",
        valueName: "path"))
    var secretFile: String?

    /// Checks the options and looks the user up; the result says where everything is.
    func resolve() throws(SetupFailure) -> Target {
        try Target.resolve(requestedUser: user, storeDirectory: store, secretTemplate: secretFile)
    }
}
