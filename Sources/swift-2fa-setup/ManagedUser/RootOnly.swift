extension ManagedUser {
    /// Fails unless root runs the command with an explicit `--user`.
    func requireRoot(command: String) throws(SetupFailure) {
        guard invokerIsRoot else { throw .io("'\(command)' needs root; run it with sudo") }
        guard userGiven else { throw .usage("'\(command)' needs --user NAME") }
    }
}
