-- TEST ONLY: never part of fleet/schema, never applied by `db init`.
--
-- Replaces swift2fa.now_seconds(), the one clock every rule of the schema reads, by a time the
-- test sets in swift2fa_test.clock. Applied by the test harness as the superuser after the
-- schema; only the superuser (the owner of swift2fa_test) can change the time. The fleet's admin
-- role, which owns the SECURITY DEFINER functions that call the clock, may only read it; server
-- roles get nothing. A production database never holds this file: `db init` re-creates the real
-- clock, and the schema itself offers no GUC or table that sets the time.
CREATE SCHEMA IF NOT EXISTS swift2fa_test;
REVOKE ALL ON SCHEMA swift2fa_test FROM PUBLIC;
CREATE TABLE IF NOT EXISTS swift2fa_test.clock (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    now_seconds bigint NOT NULL
);
INSERT INTO swift2fa_test.clock (now_seconds) VALUES (0) ON CONFLICT DO NOTHING;
REVOKE ALL ON swift2fa_test.clock FROM PUBLIC;

DO $$
DECLARE
    admin name := (SELECT nspowner::regrole::name FROM pg_namespace WHERE nspname = 'swift2fa');
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA swift2fa_test TO %I', admin);
    EXECUTE format('GRANT SELECT ON swift2fa_test.clock TO %I', admin);
END
$$;

-- Keeps its owner and grants (no EXECUTE for PUBLIC), as CREATE OR REPLACE does.
CREATE OR REPLACE FUNCTION swift2fa.now_seconds() RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$ SELECT now_seconds FROM swift2fa_test.clock $$;
