import ArgumentParser
import Glibc
import TwoFactorStore

/// The options that say which fleet database a `db` subcommand talks to.
struct DbConnectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The configuration file with the `database =` line.", valueName: "file"))
    var config: String = DbConfigLines.defaultPath

    @Option(help: ArgumentHelp(
        "A libpq connection string to use instead of the configuration file's (for tests and first set-up).",
        valueName: "conninfo"))
    var database: String?

    @Option(name: .customLong("database-timeout"), help: ArgumentHelp(
        "Seconds for connecting and each call (default: the file's database_timeout, else 3).", valueName: "seconds"))
    var timeout: Int?

    /// The fleet store these options name; a usage error when none is configured.
    func store() throws(SetupFailure) -> FleetStore {
        if let timeout, !(1...3600).contains(timeout) {
            throw .usage("--database-timeout must be 1 to 3600 seconds")
        }
        if let database {
            return FleetStore(conninfo: database, timeout: timeout ?? FleetStore.defaultTimeout)
        }
        let lines = try DbConfigLines.read(config)
        guard let conninfo = lines.database else {
            throw .usage("\(config) has no 'database =' line; add one or pass --database")
        }
        return FleetStore(conninfo: conninfo, timeout: timeout ?? lines.timeout ?? FleetStore.defaultTimeout)
    }
}

/// TEMPORARY: reads only `database =` and `database_timeout =` from swift-2fa.conf. Replace it
/// with the shared ConfigFile parser (Sources/TwoFactorCore/ConfigFile.swift) when that lands;
/// nothing else should use it.
enum DbConfigLines {
    static let defaultPath = "/etc/swift-2fa/swift-2fa.conf"

    /// The two values, nil when absent. A missing file has neither.
    static func read(_ path: String) throws(SetupFailure) -> (database: String?, timeout: Int?) {
        let text: String
        switch SafeFile.read(path, what: "configuration file", requirements: .init(allowedOwners: [0, geteuid()])) {
        case .failure(let error): throw .io(error.description)
        case .success(nil): return (nil, nil)
        case .success(let content?): text = content
        }
        var database: String?
        var timeout: Int?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingBlanks()
            let value = line[line.index(after: equals)...].trimmingBlanks()
            switch key {
            case "database":
                database = String(value)
            case "database_timeout":
                guard let seconds = Int(value), (1...3600).contains(seconds) else {
                    throw .usage("\(path) line \(index + 1): database_timeout must be 1 to 3600 seconds")
                }
                timeout = seconds
            default:
                continue
            }
        }
        return (database, timeout)
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    func trimmingBlanks() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result.removeLast() }
        return result
    }
}

extension SetupFailure {
    /// The command's failure for a fleet-store error: unavailable and database errors are
    /// I/O errors (74), a refused right too, an enrolled or unknown user its own status.
    init(_ error: FleetError) {
        switch error.kind {
        case .alreadyEnrolled: self.init(.usage, error.description + " (use --force to replace)")
        case .notEnrolled: self.init(.notEnrolled, error.description)
        case .invalidArgument: self.init(.usage, error.description)
        case .databaseUnavailable: self.init(.ioError, "database-unavailable: " + error.description)
        case .notAllowed, .databaseError, .malformedAnswer: self.init(.ioError, error.description)
        }
    }
}

/// Runs a fleet-store call; its error becomes the command's failure.
func fleetCall<Value>(_ body: () throws(FleetError) -> Value) throws(SetupFailure) -> Value {
    do throws(FleetError) { return try body() } catch { throw SetupFailure(error) }
}
