/// The fleet schema files (fleet/schema/NNN-*.sql), embedded at build time. Each is
/// idempotent; applied in order they create the schema or bring an older one up to date.
/// (SwiftPM names `FleetSchema/001-tables.sql` `_01_tables_sql`.)
enum DbSchema {
    /// The schema version the files describe: the value the last file writes to
    /// swift2fa.schema_version (kept by hand in step with it and with 001-tables.sql's header).
    static let version = 2

    /// Every file, in order, as one script.
    static var script: String {
        // Without the "already exists, skipping" notices of a repeated run.
        "SET LOCAL client_min_messages = warning;\n"
            + [PackageResources._01_tables_sql, PackageResources._02_functions_sql]
                .map { String(decoding: $0, as: UTF8.self) }
                .joined(separator: "\n")
    }
}
