import ArgumentParser
import Glibc
import TwoFactorCore
import TwoFactorStore

/// Where `db pooler enable` installs the systemd unit.
struct PoolerServiceOptions: ParsableArguments {
    @Option(name: .customLong("unit-dir"), help: ArgumentHelp(
        "The directory for \(PoolerService.unitName) (default: \(PoolerService.systemUnitDirectory)); another one for staging and tests.",
        valueName: "dir"))
    var unitDir: String = PoolerService.systemUnitDirectory

    func resolve() throws(SetupFailure) -> PoolerService {
        PoolerService(unitDirectory: try directoryArgument(unitDir, option: "--unit-dir"))
    }
}

/// The systemd unit that runs `swift-2fa-setup db pooler run` (packaging/systemd), installed,
/// started, stopped and removed with `systemctl`.
struct PoolerService {
    static let unitName = "swift-2fa-pooler.service"
    static let systemUnitDirectory = "/etc/systemd/system"

    let unitDirectory: String

    var unitPath: String { unitDirectory + "/" + Self.unitName }

    /// The shipped unit with its ExecStart naming `command` and `config`.
    static func unit(command: String, config: String) -> String {
        let shipped = String(decoding: PackageResources.swift_2fa_pooler_service, as: UTF8.self)
        return shipped.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("ExecStart=") ? "ExecStart=\(command) db pooler run --config \(config)" : String(line)
        }.joined(separator: "\n")
    }

    /// Writes the unit, then `systemctl daemon-reload`, `enable` and `restart` (so that a new
    /// configuration is read).
    func install(command: String, config: String) throws(SetupFailure) {
        do throws(StoreError) {
            try AtomicFile.write(Self.unit(command: command, config: config), to: unitPath, mode: 0o644)
        } catch {
            throw SetupFailure(error)
        }
        try Self.systemctl(["daemon-reload"])
        try Self.systemctl(["enable", Self.unitName])
        try Self.systemctl(["restart", Self.unitName])
    }

    /// `systemctl disable --now` when the unit is installed, then removes it and reloads.
    func remove() throws(SetupFailure) {
        guard access(unitPath, F_OK) == 0 else { return }
        try Self.systemctl(["disable", "--now", Self.unitName])
        do throws(StoreError) { try AtomicFile.remove(unitPath) } catch { throw SetupFailure(error) }
        try Self.systemctl(["daemon-reload"])
    }

    private static func systemctl(_ arguments: [String]) throws(SetupFailure) {
        let result = try Subprocess.run(["systemctl"] + arguments)
        guard result.status == 0 else {
            let output = result.output.split(whereSeparator: \.isNewline).joined(separator: " ")
            throw .io("systemctl \(arguments.joined(separator: " ")) failed (\(result.status)): \(output)")
        }
    }
}
