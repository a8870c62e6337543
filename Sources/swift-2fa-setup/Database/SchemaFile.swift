/// One embedded file of fleet/schema.
struct SchemaFile {
    /// The path under fleet/schema, such as `migrations/001-tables.sql`.
    let path: String
    /// The file's text.
    let text: String

    init(path: String, contents: [UInt8]) {
        self.path = path
        text = String(decoding: contents, as: UTF8.self)
    }

    /// The file's name: the last component of `path`.
    var name: String { path.split(separator: "/").last.map(String.init) ?? path }

    /// The number NNN of a migration `migrations/NNN-name.sql`: its place in the order, and the
    /// schema version once it is applied. 0 for a name without one (a test refuses that).
    var number: Int { Int(String(name.prefix { $0.isASCII && $0.isNumber })) ?? 0 }

    /// The statement that applies this migration unless it is recorded as applied
    /// (swift2fa.apply_migration, fleet/schema/migrate.sql).
    var applyStatement: String {
        "SELECT swift2fa.apply_migration(\(number), \(Self.literal(name)), \(Self.literal(text)));"
    }

    /// `text` as an escape string constant (E'...'), which reads the same whatever the
    /// server's standard_conforming_strings.
    static func literal(_ text: String) -> String {
        var out = "E'"
        for character in text {
            if character == "'" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out + "'"
    }
}
