/// The line format shared by the secret and state files: `key value` per line,
/// `#` comments and blank lines ignored, the first entry `version N`.
///
/// Parsing is strict so that a damaged file is refused rather than half-read.
struct KeyValueLines {
    /// Entries in file order.
    private(set) var entries: [(key: Substring, value: Substring)] = []

    /// Largest file accepted, in bytes.
    static let maximumSize = 64 * 1024
    static let maximumLines = 256

    /// Splits text into entries; throws a reason when the text is not of this format.
    static func parse(_ text: String, kind: String) throws(FileFormatError) -> KeyValueLines {
        guard text.utf8.count <= maximumSize else { throw FileFormatError("\(kind) is larger than \(maximumSize) bytes") }
        var result = KeyValueLines()
        // Split on LF bytes (a Character split would treat CR LF as one character);
        // the empty piece after a final newline is not a line.
        var rawLines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false)
        if rawLines.last?.isEmpty == true { rawLines.removeLast() }
        guard rawLines.count <= maximumLines else { throw FileFormatError("\(kind) has too many lines") }
        var lineCount = 0
        for rawLine in rawLines {
            lineCount += 1
            let bytes = rawLine.last == 0x0D ? rawLine.dropLast() : rawLine
            let line = Substring(bytes)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard line.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
                throw FileFormatError("\(kind) line \(lineCount) has a control or non-ASCII character")
            }
            // Searched as bytes (the line is ASCII, checked above): a Character search
            // costs a grapheme break check per character on every login.
            guard let space = line.utf8.firstIndex(of: 0x20) else {
                throw FileFormatError("\(kind) line \(lineCount) has no value")
            }
            let key = line[line.startIndex..<space]
            let value = line[line.utf8.index(after: space)...]
            guard !key.isEmpty, !value.isEmpty else {
                throw FileFormatError("\(kind) line \(lineCount) is malformed")
            }
            result.entries.append((key, value))
        }
        guard let first = result.entries.first else { throw FileFormatError("\(kind) is empty") }
        guard first.key == "version" else { throw FileFormatError("\(kind) does not start with a version line") }
        return result
    }

    /// The version number of the first line, or nil when it is not a small number.
    var version: Int? {
        guard let first = entries.first, first.value.count <= 4 else { return nil }
        return Int(first.value)
    }

    /// The values of every entry with this key.
    func values(_ key: String) -> [Substring] {
        entries.filter { $0.key == key }.map { $0.value }
    }

    /// The single value of a key that must appear exactly once.
    func single(_ key: String, kind: String) throws(FileFormatError) -> Substring {
        let found = values(key)
        if found.isEmpty { throw FileFormatError("\(kind) has no \(key) line") }
        if found.count > 1 { throw FileFormatError("\(kind) has more than one \(key) line") }
        return found[0]
    }

    /// A key that must appear once with a whole number in `range`.
    func integer(_ key: String, in range: ClosedRange<Int64>, kind: String) throws(FileFormatError) -> Int64 {
        let value = try single(key, kind: kind)
        guard value.count <= 20, let number = Int64(value), range.contains(number) else {
            throw FileFormatError("\(kind) has an invalid \(key) value")
        }
        return number
    }

    /// Throws a reason naming the first key outside `known`, if any. With `quoteKey` false
    /// the key itself is left out (in a secret file it could be a pasted secret).
    func requireKnownKeys(_ known: Set<String>, kind: String, quoteKey: Bool) throws(FileFormatError) {
        for entry in entries where !known.contains(String(entry.key)) {
            if quoteKey { throw FileFormatError("\(kind) has an unknown key '\(entry.key.prefix(32))'") }
            throw FileFormatError("\(kind) has an unknown key of \(entry.key.utf8.count) characters")
        }
    }
}

/// Why a secret or state file was refused. The text never contains secret material.
public struct FileFormatError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
