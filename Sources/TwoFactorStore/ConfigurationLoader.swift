import TwoFactorCore

/// The one way to load the options, for the module, every subcommand, `db` and `pam check`
/// alike (the counterpart of pam-u2f's `cfg_init`): the configuration file (read with
/// `Store.readConfig`'s ownership and mode rules), then a module line's arguments on top.
public enum ConfigurationLoader {
    /// The options of a module line: the configuration file its `config=` names (or the
    /// default one), then its arguments.
    public static func options(moduleArguments arguments: [String]) throws(ConfigurationError) -> ModuleOptions {
        let path: String
        do throws(OptionError) { path = try ModuleOptions.configPath(in: arguments) } catch {
            throw ConfigurationError(error.description)
        }
        return try options(configPath: path, moduleArguments: arguments)
    }

    /// The options of the configuration file at `path` (the command's `--config`), with
    /// `arguments` as a module line on top.
    public static func options(configPath path: String, moduleArguments arguments: [String] = []) throws(ConfigurationError) -> ModuleOptions {
        guard ModuleOptions.isValidConfigPath(path) else {
            throw ConfigurationError("configuration file \(path): needs an absolute path without '..'")
        }
        let config: ConfigFile
        do throws(StoreError) { config = try Store.readConfig(at: path) } catch {
            throw ConfigurationError(error.description)
        }
        do throws(OptionError) { return try ModuleOptions.parse(arguments, config: config) } catch {
            // Line errors start with the path; a problem between lines (throttle_max below
            // throttle_delay) does not.
            let text = error.description.hasPrefix(config.path) ? error.description : "\(config.path): \(error.description)"
            throw ConfigurationError("configuration file \(text)")
        }
    }
}

/// Why the options could not be loaded: the file is missing its trust (owner, mode), is not
/// text, or has a bad line or value; or a module argument is bad. One line, naming the file.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
