import Foundation
import Testing
@testable import swift_2fa_setup

/// What `db init` applies: every file of fleet/schema is embedded in the command (DbSchema,
/// Package.swift), so a migration added to the directory and not embedded fails here; the
/// migrations are numbered in order and the schema version is the last number.
@Suite struct SchemaEmbeddingTests {
    /// fleet/schema in this checkout.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fleet/schema")

    /// Every regular file under fleet/schema, as a path relative to it, sorted.
    static func listing() -> [String] {
        let root = directory.resolvingSymlinksInPath().path
        var paths: [String] = []
        let walker = FileManager.default.enumerator(atPath: root)
        while let path = walker?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
                paths.append(path)
            }
        }
        return paths.sorted()
    }

    @Test("every file of fleet/schema is embedded by the command, with the file's text")
    func everyFileEmbedded() throws {
        let listed = Self.listing()
        #expect(listed.contains("functions.sql"))
        #expect(DbSchema.files.map(\.path).sorted() == listed)
        for file in DbSchema.files {
            let text = try String(contentsOf: Self.directory.appendingPathComponent(file.path), encoding: .utf8)
            #expect(file.text == text, "\(file.path) differs from what the command embeds")
        }
    }

    @Test("the migrations are migrations/NNN-name.sql numbered 1, 2, 3 ... in order; the schema version is the last")
    func migrationNumbers() throws {
        let numbers = DbSchema.migrations.map(\.number)
        #expect(!numbers.isEmpty)
        #expect(numbers == Array(1..<(numbers.count + 1)))
        for migration in DbSchema.migrations {
            let expected = try Regex("^migrations/[0-9]{3}-[a-z0-9-]+\\.sql$")
            #expect(migration.path.wholeMatch(of: expected) != nil, "\(migration.path)")
            #expect(migration.name.hasPrefix(String(format: "%03d-", migration.number)))
        }
        #expect(DbSchema.version == numbers.last)
    }

    @Test("the script: the runner, each migration through apply_migration in number order, then the functions")
    func scriptOrder() throws {
        let script = DbSchema.script
        let runner = try #require(script.range(of: DbSchema.runner.text))
        let functions = try #require(script.range(of: DbSchema.functions.text))
        var previous = runner.upperBound
        for migration in DbSchema.migrations {
            let call = try #require(script.range(of: "SELECT swift2fa.apply_migration(\(migration.number), E'\(migration.name)', "))
            #expect(call.lowerBound >= previous, "\(migration.name) out of order")
            previous = call.upperBound
        }
        #expect(functions.lowerBound >= previous)
        #expect(functions.upperBound == script.endIndex)
    }

    @Test("a migration's text goes to the database as an escape string, quotes and backslashes escaped")
    func literal() {
        #expect(SchemaFile.literal("it's a\\b") == "E'it\\'s a\\\\b'")
        #expect(SchemaFile.literal("$$ -- \n") == "E'$$ -- \n'")
    }
}
