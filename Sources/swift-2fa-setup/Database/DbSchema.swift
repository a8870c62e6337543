/// The fleet schema (fleet/schema), embedded at build time, and the script `db init` runs
/// with it as one transaction: migrate.sql (the migration runner), every migration in number
/// order (each runs once, see migrate.sql), then functions.sql (re-applied every time).
/// A file added to fleet/schema must be listed here and in Package.swift; a test checks that
/// every file is. (SwiftPM names `FleetSchema/migrations/001-tables.sql` `_01_tables_sql`.)
enum DbSchema {
    /// The migration runner: bookkeeping tables and swift2fa.apply_migration.
    static let runner = SchemaFile(path: "migrate.sql", contents: PackageResources.migrate_sql)

    /// fleet/schema/migrations/NNN-name.sql, in number order.
    static let migrations = [
        SchemaFile(path: "migrations/001-tables.sql", contents: PackageResources._01_tables_sql),
        SchemaFile(path: "migrations/002-enrollment-right.sql", contents: PackageResources._02_enrollment_right_sql),
        SchemaFile(path: "migrations/003-grace.sql", contents: PackageResources._03_grace_sql),
        SchemaFile(path: "migrations/004-credentials.sql", contents: PackageResources._04_credentials_sql),
        SchemaFile(path: "migrations/005-self-service.sql", contents: PackageResources._05_self_service_sql),
    ]

    /// Functions, grants and checks, safe to run again.
    static let functions = SchemaFile(path: "functions.sql", contents: PackageResources.functions_sql)

    /// Every embedded file.
    static var files: [SchemaFile] { [runner] + migrations + [functions] }

    /// The schema version this command makes: the highest migration number.
    static var version: Int { migrations.map(\.number).max() ?? 0 }

    /// Everything `db init` runs, as one script.
    static var script: String {
        // Without the "already exists, skipping" notices of a repeated run.
        (["SET LOCAL client_min_messages = warning;", runner.text] + migrations.map(\.applyStatement) + [functions.text])
            .joined(separator: "\n")
    }
}
