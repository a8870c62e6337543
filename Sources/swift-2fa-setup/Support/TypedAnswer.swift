import Glibc

/// A code the user types: asked for on a terminal, else the first line of standard input
/// (what a web page or a script writes there), so that it never has to be on a command line,
/// where every local user can read it (/proc/PID/cmdline).
enum TypedAnswer {
    /// The line, after `prompt` when standard input is a terminal; refused when there is none.
    static func read(prompt: String) throws(SetupFailure) -> String {
        if isatty(STDIN_FILENO) != 0 { Output.write(prompt) }
        guard let line = readLine(), !line.isEmpty else { throw SetupFailure(.refused, "no code entered") }
        return line
    }
}
