-- swift-2fa fleet store: the migration runner, applied first by every `swift-2fa-setup db init`.
--
-- The tables change only through fleet/schema/migrations/NNN-name.sql. `db init` runs, in one
-- transaction: this file, then `SELECT swift2fa.apply_migration(N, 'NNN-name.sql', <its text>)`
-- for every migration in number order, then functions.sql (functions, grants and checks that are
-- re-applied every time). apply_migration runs a migration once and records it in
-- swift2fa.schema_migrations. The schema version is the highest migration number applied.
-- Run as the admin role: the owner of schema swift2fa is the fleet's administrator.

-- One `db init` at a time: a second one waits here, then finds the first one's migrations applied.
SELECT pg_advisory_xact_lock(hashtextextended('swift2fa db init', 0));

CREATE SCHEMA IF NOT EXISTS swift2fa;
-- Nobody but the owner may create objects in the schema or use it, until `grant_server`.
REVOKE ALL ON SCHEMA swift2fa FROM PUBLIC;

-- Every migration applied, once each. applied_at is NULL for the ones the files of a release
-- before migrations applied (found through schema_version below).
CREATE TABLE IF NOT EXISTS swift2fa.schema_migrations (
    number integer PRIMARY KEY CHECK (number > 0),
    name text NOT NULL UNIQUE,
    applied_at timestamptz
);

-- The schema version (one row): the highest migration number applied, written by
-- apply_migration. `db status` shows it, and a command older than the database refuses
-- `db init` by it (also one from before migrations, which wrote it itself).
CREATE TABLE IF NOT EXISTS swift2fa.schema_version (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    version integer NOT NULL
);

-- A database made by the files of a release before migrations (schema version 1 or 2, no
-- migration recorded): migrations 001 and 002 are what those versions' files made, so they
-- count as applied and do not run again.
INSERT INTO swift2fa.schema_migrations (number, name)
SELECT m.number, m.name
  FROM (VALUES (1, '001-tables.sql'), (2, '002-enrollment-right.sql')) AS m (number, name), swift2fa.schema_version v
 WHERE m.number <= v.version AND NOT EXISTS (SELECT 1 FROM swift2fa.schema_migrations);

-- Runs migration `p_number` (`p_name`, text `p_sql`) unless it is recorded as applied, records
-- it and raises the schema version to it. Refuses to run one below a migration already applied:
-- migrations run in number order, each on the schema the ones before it made.
CREATE OR REPLACE FUNCTION swift2fa.apply_migration(p_number integer, p_name text, p_sql text) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM swift2fa.schema_migrations WHERE number = p_number) THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM swift2fa.schema_migrations WHERE number > p_number) THEN
        RAISE EXCEPTION 'swift2fa: migration % is not applied but a later one is', p_name;
    END IF;
    EXECUTE p_sql;
    INSERT INTO swift2fa.schema_migrations (number, name, applied_at) VALUES (p_number, p_name, now());
    INSERT INTO swift2fa.schema_version (version) VALUES (p_number)
        ON CONFLICT (one) DO UPDATE SET version = excluded.version;
END
$$;
