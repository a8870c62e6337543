/// A directory given on the command line (`--pam-dir`, `--unit-dir`): it must be absolute;
/// trailing slashes are dropped. A usage error names the option.
func directoryArgument(_ value: String, option: String) throws(SetupFailure) -> String {
    guard value.hasPrefix("/") else { throw .usage("\(option) needs an absolute path, not '\(value)'") }
    var path = value
    while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
    return path
}
