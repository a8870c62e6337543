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

    /// Splits text into entries; returns a reason when the text is not of this format.
    static func parse(_ text: String, kind: String) -> Result<KeyValueLines, FileFormatError> {
        guard text.utf8.count <= maximumSize else { return .failure(.init("\(kind) is larger than \(maximumSize) bytes")) }
        var result = KeyValueLines()
        // Split on LF bytes (a Character split would treat CR LF as one character);
        // the empty piece after a final newline is not a line.
        var rawLines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false)
        if rawLines.last?.isEmpty == true { rawLines.removeLast() }
        guard rawLines.count <= maximumLines else { return .failure(.init("\(kind) has too many lines")) }
        var lineCount = 0
        for rawLine in rawLines {
            lineCount += 1
            let bytes = rawLine.last == 0x0D ? rawLine.dropLast() : rawLine
            let line = Substring(bytes)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard line.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
                return .failure(.init("\(kind) line \(lineCount) has a control or non-ASCII character"))
            }
            // Searched as bytes (the line is ASCII, checked above): a Character search
            // costs a grapheme break check per character on every login.
            guard let space = line.utf8.firstIndex(of: 0x20) else {
                return .failure(.init("\(kind) line \(lineCount) has no value"))
            }
            let key = line[line.startIndex..<space]
            let value = line[line.utf8.index(after: space)...]
            guard !key.isEmpty, !value.isEmpty else {
                return .failure(.init("\(kind) line \(lineCount) is malformed"))
            }
            result.entries.append((key, value))
        }
        guard let first = result.entries.first else { return .failure(.init("\(kind) is empty")) }
        guard first.key == "version" else { return .failure(.init("\(kind) does not start with a version line")) }
        return .success(result)
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
    func single(_ key: String, kind: String) -> Result<Substring, FileFormatError> {
        let found = values(key)
        if found.isEmpty { return .failure(.init("\(kind) has no \(key) line")) }
        if found.count > 1 { return .failure(.init("\(kind) has more than one \(key) line")) }
        return .success(found[0])
    }

    /// A key that must appear once with a whole number in `range`.
    func integer(_ key: String, in range: ClosedRange<Int64>, kind: String) -> Result<Int64, FileFormatError> {
        switch single(key, kind: kind) {
        case .failure(let error): return .failure(error)
        case .success(let value):
            guard value.count <= 20, let number = Int64(value), range.contains(number) else {
                return .failure(.init("\(kind) has an invalid \(key) value"))
            }
            return .success(number)
        }
    }

    /// A reason naming the first key outside `known`, if any. With `quoteKey` false the
    /// key itself is left out (in a secret file it could be a pasted secret).
    func unknownKey(known: Set<String>, kind: String, quoteKey: Bool) -> FileFormatError? {
        for entry in entries where !known.contains(String(entry.key)) {
            if quoteKey { return .init("\(kind) has an unknown key '\(entry.key.prefix(32))'") }
            return .init("\(kind) has an unknown key of \(entry.key.utf8.count) characters")
        }
        return nil
    }
}

/// Why a secret or state file was refused. The text never contains secret material.
public struct FileFormatError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
