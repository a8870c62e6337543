import ArgumentParser
import TwoFactorCore

/// The options that say whose enrollment a command acts on, where it lives, and which
/// configuration file applies. Every subcommand takes them.
struct UserOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The user to act for. Root may name anyone; others may name only themselves. Default: you.",
        valueName: "name"))
    var user: String?

    @OptionGroup var files: StoreOptions

    @Option(name: .customLong("secret-file"), help: ArgumentHelp(
        "Home mode: keep the secret in this file instead of the store, as the module's secret= option (~/ and ${HOME}, ${USER} are expanded from the passwd entry). State stays in the store.",
        valueName: "path"))
    var secretFile: String?

    /// `serve-user`'s own calls in fleet mode: the self-service session is read from standard
    /// input (see `SelfServiceSessionInput`), and the fleet is used through it.
    @Flag(name: .customLong("self-service"), help: .hidden)
    var selfService = false

    /// Checks the options, reads the configuration file and looks the user up; the result
    /// says where everything is and which policy applies.
    func resolve() throws(SetupFailure) -> ManagedUser {
        try ManagedUser.resolve(requestedUser: user, configPath: files.config, storeDirectory: files.store,
                                secretTemplate: secretFile,
                                selfService: selfService ? try SelfServiceSessionInput.read() : nil)
    }

    /// The options as they must be repeated in a later command (for hints), e.g.
    /// ` --store /srv/2fa`, each value quoted for a POSIX shell when it needs it.
    var repeatedForHint: String {
        var text = ""
        if let config = files.config { text += " --config \(Self.shellQuoted(config))" }
        if let store = files.store { text += " --store \(Self.shellQuoted(store))" }
        if let secretFile { text += " --secret-file \(Self.shellQuoted(secretFile))" }
        return text
    }

    /// `value` as one shell word: unchanged when it has only characters no shell treats
    /// specially, otherwise in single quotes.
    static func shellQuoted(_ value: String) -> String {
        let plain = !value.isEmpty && value.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "@"):
                return true
            default:
                return false
            }
        }
        return plain ? value : "'" + value.replacingAll("'", with: "'\\''") + "'"
    }
}
