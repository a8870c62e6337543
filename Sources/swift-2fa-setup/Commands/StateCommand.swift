import ArgumentParser
import TwoFactorStore

/// `state` (hidden): prints a user's state as the store reads it, for tests and diagnosis:
/// the one reader of the state file (`Store.readState`), whatever its layout on disk.
struct StateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Print a user's login state (failures, used steps and backup codes) as the store reads it.",
        discussion: """
            The state is printed in the text form of the state file's version 2, one 'key value' \
            per line; a missing state file is the initial state. A damaged state file is an error, \
            as it is at a login. Only for the store's files: the fleet keeps the state in its database.
            """,
        shouldDisplay: false)

    @OptionGroup var target: UserOptions

    func run() throws {
        let target = try target.resolve()
        guard !target.inFleet else {
            throw SetupFailure(.usage, "the configuration file names a database, which keeps the state: use 'status'")
        }
        do throws(StoreError) {
            Output.write(try target.store.readState(user: target.user).serialized())
        } catch {
            throw SetupFailure(error)
        }
    }
}
