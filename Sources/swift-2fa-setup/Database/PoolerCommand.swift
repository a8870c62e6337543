import ArgumentParser
import Glibc
import TwoFactorCore
import TwoFactorStore

/// `db pooler`: the local PgBouncer that logins reach the fleet database through.
struct DbPoolerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pooler",
        abstract: "Run the local PgBouncer that logins reach the fleet database through.",
        discussion: """
            Logins never talk to the database: they speak to a local PgBouncer on a Unix socket \
            in the 'pooler =' directory (default \(Pooler.defaultDirectory)), which only root and \
            the user \(PoolerUser.name) can reach. PgBouncer holds the TLS and the credentials of \
            the 'database =' line. 'write' makes its configuration (pgbouncer.ini, \
            pgbouncer-users.txt and pgbouncer-hba.conf next to the configuration file, mode 0600, \
            owned by \(PoolerUser.name)); 'enable' also installs and starts the systemd unit \
            \(PoolerService.unitName); 'run' runs PgBouncer in the foreground (containers, no systemd).

            EXAMPLES:
              swift-2fa-setup db pooler enable
              swift-2fa-setup db pooler write && swift-2fa-setup db pooler run
            """,
        subcommands: [DbPoolerWriteCommand.self, DbPoolerRunCommand.self,
                      DbPoolerEnableCommand.self, DbPoolerDisableCommand.self])
}

/// The option every `db pooler` subcommand takes.
struct PoolerConfigOption: ParsableArguments {
    @Option(help: ArgumentHelp("The configuration file with the `database =` line; the pooler's files go next to it.",
                               valueName: "file"))
    var config: String = ConfigFile.defaultPath

    /// The pooler's files for this configuration file (an absolute path PgBouncer's files can name).
    func files() throws(SetupFailure) -> PoolerConfiguration.Files {
        guard config.hasPrefix("/") else { throw .usage("--config needs an absolute path, not '\(config)'") }
        try requireCarriable(config, what: "--config")
        return PoolerConfiguration.Files(configPath: config)
    }

    /// The configuration for PgBouncer made from the file's `database =` and `pooler =` lines.
    func configuration(insecureTLS: Bool) throws(SetupFailure) -> PoolerConfiguration {
        let files = try files()
        let settings = try fleetSettings(configPath: config, or: "pass another --config")
        try requireCarriable(settings.poolerDirectory, what: "pooler =")
        let upstream = try PoolerUpstream.parse(settings.conninfo, insecureTLS: insecureTLS)
        return PoolerConfiguration(files: files, upstream: upstream, settings: settings)
    }

    /// Refuses a path that PgBouncer's files and a systemd unit line cannot carry.
    private func requireCarriable(_ path: String, what: String) throws(SetupFailure) {
        if path.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F || [0x22, 0x27, 0x5C, 0x3B, 0x23, 0x25, 0x24].contains($0) }) {
            throw .usage("\(what) '\(path)' has a character the pooler's files cannot carry (blank, quote, \\, ;, #, %, $)")
        }
    }
}

/// `--insecure-tls` of `db pooler write` and `enable`.
struct PoolerTLSOption: ParsableArguments {
    @Flag(name: .customLong("insecure-tls"),
          help: "Allow a TCP database without sslmode=verify-full (db status then says so).")
    var insecureTLS = false
}

/// Fails unless root runs the command: it writes files owned by another user or runs as it.
func requireRootForPooler(_ what: String) throws(SetupFailure) {
    guard getuid() == 0 && geteuid() == 0 else { throw .io("'db pooler \(what)' needs root; run it with sudo") }
}

/// `db pooler write`.
struct DbPoolerWriteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write",
        abstract: "Write PgBouncer's configuration from the 'database =' line (next to the configuration file).")

    @OptionGroup var options: PoolerConfigOption
    @OptionGroup var tls: PoolerTLSOption

    func run() throws {
        try requireRootForPooler("write")
        let configuration = try options.configuration(insecureTLS: tls.insecureTLS)
        try configuration.write(owner: try PoolerUser.lookUp())
        reportWritten(configuration)
    }
}

/// Says what was written, and warns about insecure TLS.
func reportWritten(_ configuration: PoolerConfiguration) {
    Output.line("wrote \(configuration.files.ini), \(configuration.files.auth) and \(configuration.files.hba) "
                + "(mode 0600, owner \(PoolerUser.name))")
    if configuration.upstream.isInsecureTLS {
        Output.warning("--insecure-tls: the pooler does not check the database's certificate against its name "
                       + "(server_tls_sslmode = \(configuration.upstream.sslMode))")
    }
}

/// `db pooler run`: PgBouncer in the foreground, as the pooler's user, in this process.
struct DbPoolerRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run PgBouncer in the foreground with the written configuration, as \(PoolerUser.name) (containers, tests, the systemd unit).")

    @OptionGroup var options: PoolerConfigOption

    func run() throws {
        try requireRootForPooler("run")
        let files = try options.files()
        let settings = try fleetSettings(configPath: options.config, or: "pass another --config")
        guard access(files.ini, F_OK) == 0 else {
            throw SetupFailure.io("\(files.ini) does not exist; run 'swift-2fa-setup db pooler write' first")
        }
        let user = try PoolerUser.lookUp()
        try PoolerSocketDirectory.prepare(settings.poolerDirectory, for: user)
        try user.become()
        // PgBouncer's signal handling (SIGINT safe shutdown, SIGTERM, SIGHUP reload) needs the
        // signals unblocked and not ignored, whatever the caller's mask (a test runner's, or
        // this command's own deferral) was.
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2] { Glibc.signal(signal, SIG_DFL) }
        var arguments: [UnsafeMutablePointer<CChar>?] = [strdup("pgbouncer"), strdup(files.ini), nil]
        execvp("pgbouncer", &arguments)
        let reason = Subprocess.errnoText()
        for argument in arguments { free(argument) }
        throw SetupFailure.io("cannot run pgbouncer: \(reason) (install the pgbouncer package)")
    }
}

/// `db pooler enable`.
struct DbPoolerEnableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable",
        abstract: "Write the configuration, install and start \(PoolerService.unitName), and make one call through it.")

    @OptionGroup var options: PoolerConfigOption
    @OptionGroup var tls: PoolerTLSOption
    @OptionGroup var service: PoolerServiceOptions

    func run() throws {
        try requireRootForPooler("enable")
        let configuration = try options.configuration(insecureTLS: tls.insecureTLS)
        let user = try PoolerUser.lookUp()
        let unit = try service.resolve()
        try configuration.write(owner: user)
        reportWritten(configuration)
        try unit.install(command: try Subprocess.ownExecutable(), config: options.config)
        Output.line("installed \(unit.unitPath) and started \(PoolerService.unitName)")
        let probe = PoolerProbe(settings: configuration.settings)
        do throws(EnrollmentStoreError) {
            try probe.callUntilReady()
        } catch {
            throw SetupFailure.io("the pooler does not answer on \(configuration.settings.poolerSocketPath): "
                                  + "\(error.description) (see 'journalctl -u \(PoolerService.unitName)')")
        }
        Output.line("one call through \(configuration.settings.poolerSocketPath) reached the database")
    }
}

/// `db pooler disable`.
struct DbPoolerDisableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Stop and remove \(PoolerService.unitName) and the pooler's configuration files.")

    @OptionGroup var options: PoolerConfigOption
    @OptionGroup var service: PoolerServiceOptions

    func run() throws {
        try requireRootForPooler("disable")
        let files = try options.files()
        let unit = try service.resolve()
        try unit.remove()
        try PoolerConfiguration.remove(files)
        Output.line("stopped and removed \(PoolerService.unitName); removed \(files.ini), \(files.auth) and \(files.hba)")
    }
}
