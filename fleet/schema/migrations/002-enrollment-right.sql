-- Migration 002: enrollment at login becomes a right of its own (`db grant-server ROLE
-- --enroll`), and a pending enrollment records who started it. Written with IF NOT EXISTS /
-- IF EXISTS as released.

-- The role that started a pending enrollment (session_user); NULL for one started before.
ALTER TABLE swift2fa.pending ADD COLUMN IF NOT EXISTS started_by text;
-- True when the admin role started it: no server may replace it until it expires. One
-- started before this migration counts as the admin's.
ALTER TABLE swift2fa.pending ADD COLUMN IF NOT EXISTS started_by_admin boolean NOT NULL DEFAULT true;

-- Version 1 had grant_server(name), which gave the enrollment functions to every server.
DROP FUNCTION IF EXISTS swift2fa.grant_server(name);

-- Every server role version 1 granted could enroll: none keeps that right. (On a new
-- database the functions do not exist yet; functions.sql makes them.)
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT p.oid::regprocedure AS f, g.rolname FROM pg_proc p, aclexplode(p.proacl) a, pg_roles g
              WHERE p.oid IN (SELECT to_regprocedure(f)
                                FROM unnest(ARRAY['swift2fa.begin_pending(text, bytea, text, integer, integer)',
                                                  'swift2fa.confirm_pending(text, text, text[], boolean)']) AS f)
                AND a.privilege_type = 'EXECUTE' AND g.oid = a.grantee AND a.grantee <> p.proowner LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM %I', r.f, r.rolname);
    END LOOP;
END
$$;
