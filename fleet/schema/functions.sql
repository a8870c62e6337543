-- swift-2fa fleet store: functions, grants and checks, re-applied as a whole by every
-- `db init` after the migrations (see migrate.sql): everything here is safe to run again.
--
-- The rules are those of the module (TwoFactorCore's VerificationPolicy and ThrottlePolicy):
-- window, replay, throttle, lock and backup codes, applied under the user's row lock with
-- the database's clock. Errors raised on purpose carry SQLSTATE S2F01..S2F05 or 25006:
--   S2F01  the user already has an active enrollment
--   S2F02  the user is not enrolled (or nothing is pending)
--   S2F03  only the admin role may do this
--   S2F04  invalid argument
--   S2F05  an enrollment the admin started is pending: a server may not replace it
--   25006  not a read-write session on the primary (a standby, or a read-only transaction)

-- Internal helpers -------------------------------------------------------------------------

-- The answer without leading blanks and trailing blanks or line ends (VerificationPolicy.trimmed).
CREATE OR REPLACE FUNCTION swift2fa.trimmed(p_answer text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_replace(regexp_replace(p_answer, '^[ \t]+', ''), '[ \t\r\n]+$', '')
$$;

-- The canonical form of a backup-shaped answer, or NULL (BackupCodes.normalize): spaces, tabs
-- and dashes dropped, ASCII upper case lowered, then 8 to 16 ASCII letters and digits.
CREATE OR REPLACE FUNCTION swift2fa.backup_normalized(p_typed text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN c ~ '^[a-z0-9]{8,16}$' THEN c END
    FROM (SELECT translate(translate(p_typed, E' -\t', ''), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
                           'abcdefghijklmnopqrstuvwxyz') AS c) AS n
$$;

-- The 4-byte public index of a backup code: HMAC-SHA256(secret, 'swift-2fa backup tag ' || code).
CREATE OR REPLACE FUNCTION swift2fa.backup_tag(p_secret bytea, p_normalized text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT substring(hmac(convert_to('swift-2fa backup tag ' || p_normalized, 'UTF8'), p_secret, 'sha256') FROM 1 FOR 4)
$$;

-- The RFC 4226 / 6238 code of one time step.
CREATE OR REPLACE FUNCTION swift2fa.totp_code(p_secret bytea, p_algorithm text, p_digits integer, p_step bigint)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    mac bytea := hmac(int8send(p_step), p_secret, lower(p_algorithm));
    o integer := get_byte(mac, length(mac) - 1) & 15;
    bin bigint := ((get_byte(mac, o) & 127)::bigint << 24) | (get_byte(mac, o + 1)::bigint << 16)
                  | (get_byte(mac, o + 2)::bigint << 8) | get_byte(mac, o + 3)::bigint;
BEGIN
    RETURN lpad((bin % CASE p_digits WHEN 8 THEN 100000000 ELSE 1000000 END)::text, p_digits, '0');
END
$$;

-- Checks a TOTP-shaped answer against every step of now ± window (all are computed).
-- kind: 'accepted' (with the lowest fresh matching step), 'replayed' or 'none'.
CREATE OR REPLACE FUNCTION swift2fa.totp_match(p_secret bytea, p_algorithm text, p_digits integer, p_period integer,
    p_last_step bigint, p_window integer, p_typed text, p_now bigint, OUT kind text, OUT step bigint)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    current_step bigint := p_now / p_period;
    w integer := greatest(0, least(p_window, 10));
    s bigint;
BEGIN
    kind := 'none';
    FOR s IN greatest(current_step - w, 0) .. current_step + w LOOP
        IF swift2fa.totp_code(p_secret, p_algorithm, p_digits, s) = p_typed THEN
            IF s > p_last_step THEN
                IF kind <> 'accepted' THEN kind := 'accepted'; step := s; END IF;
            ELSIF kind = 'none' THEN
                kind := 'replayed';
            END IF;
        END IF;
    END LOOP;
END
$$;

-- ThrottlePolicy.delay(afterFailures:): 0 below throttle_after, then doubling up to throttle_max.
CREATE OR REPLACE FUNCTION swift2fa.throttle_seconds(p_failures integer, p_settings swift2fa.settings)
RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_failures < p_settings.throttle_after THEN 0
                ELSE least(p_settings.throttle_delay::bigint << least(p_failures - p_settings.throttle_after, 30),
                           p_settings.throttle_max) END
$$;

-- The clock of every rule (verify, pending enrollments, status), in Unix seconds. It is the only
-- clock a decision reads, so a test drives the rules by replacing this one function: the test
-- harness applies Tests/fleet/test-clock.sql as the superuser, and every `db init` puts this
-- definition back. On purpose there is no GUC, table or argument through which a session could
-- move the time: a server role that could would end its own back-off or reopen used time steps.
CREATE OR REPLACE FUNCTION swift2fa.now_seconds() RETURNS bigint
LANGUAGE sql VOLATILE AS $$ SELECT floor(extract(epoch FROM clock_timestamp()))::bigint $$;

-- True when the session's role is a member of the schema's owner, the fleet's admin role.
CREATE OR REPLACE FUNCTION swift2fa.is_admin() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT pg_has_role(session_user, nspowner, 'MEMBER') FROM pg_namespace WHERE nspname = 'swift2fa'
$$;

CREATE OR REPLACE FUNCTION swift2fa.require_admin() RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT swift2fa.is_admin() THEN
        RAISE EXCEPTION 'swift2fa: only the admin role may do this' USING ERRCODE = 'S2F03';
    END IF;
END
$$;

-- Raises 25006 (read_only_sql_transaction, as PostgreSQL's own refusal to write) unless this
-- is a read-write session on the primary. A standby may be behind the primary: its "not
-- enrolled" could be stale, and `nullok` would wave the user through on it.
CREATE OR REPLACE FUNCTION swift2fa.require_read_write() RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF pg_is_in_recovery() OR current_setting('transaction_read_only')::boolean THEN
        RAISE EXCEPTION 'swift2fa: not a read-write session on the primary (a standby may be behind)'
            USING ERRCODE = '25006';
    END IF;
END
$$;

-- True when the session's role has the rights of the database's owner: then `db init` and
-- grant_server decide who may connect to the database (CONNECT); otherwise its owner does.
CREATE OR REPLACE FUNCTION swift2fa.owns_database() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT pg_has_role(session_user, datdba, 'USAGE') FROM pg_database WHERE datname = current_database()
$$;

-- Serializes enrollment changes of one user (verify holds the enrollment row instead).
CREATE OR REPLACE FUNCTION swift2fa.lock_user(p_user text) RETURNS void
LANGUAGE sql VOLATILE AS $$ SELECT pg_advisory_xact_lock(hashtextextended('swift2fa user ' || p_user, 0)) $$;

-- Raises S2F01 when the user has an active enrollment, unless `p_replace`.
CREATE OR REPLACE FUNCTION swift2fa.require_replaceable(p_user text, p_replace boolean) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT coalesce(p_replace, false) AND EXISTS (SELECT 1 FROM swift2fa.enrollment WHERE user_name = p_user) THEN
        RAISE EXCEPTION 'swift2fa: % is already enrolled', p_user USING ERRCODE = 'S2F01';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION swift2fa.check_parameters(p_secret bytea, p_algorithm text, p_digits integer, p_period integer)
RETURNS void LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_secret IS NULL OR octet_length(p_secret) NOT BETWEEN 10 AND 128
       OR p_algorithm IS NULL OR p_algorithm NOT IN ('SHA1', 'SHA256', 'SHA512')
       OR p_digits IS NULL OR p_digits NOT IN (6, 8) OR p_period IS NULL OR p_period NOT BETWEEN 15 AND 300 THEN
        RAISE EXCEPTION 'swift2fa: invalid secret, algorithm, digits or period' USING ERRCODE = 'S2F04';
    END IF;
END
$$;

-- Replaces the user's backup codes by `p_codes` (as shown to the user), hashed with bcrypt.
CREATE OR REPLACE FUNCTION swift2fa.store_backup_codes(p_user text, p_secret bytea, p_codes text[])
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    cost integer := (SELECT backup_cost FROM swift2fa.settings);
    code text;
    normalized text;
BEGIN
    IF coalesce(cardinality(p_codes), 0) > 20 THEN
        RAISE EXCEPTION 'swift2fa: more than 20 backup codes' USING ERRCODE = 'S2F04';
    END IF;
    DELETE FROM swift2fa.backup_code WHERE user_name = p_user;
    FOREACH code IN ARRAY coalesce(p_codes, '{}') LOOP
        normalized := swift2fa.backup_normalized(swift2fa.trimmed(code));
        IF normalized IS NULL THEN
            RAISE EXCEPTION 'swift2fa: a backup code is malformed' USING ERRCODE = 'S2F04';
        END IF;
        INSERT INTO swift2fa.backup_code (user_name, tag, hash)
            VALUES (p_user, swift2fa.backup_tag(p_secret, normalized), crypt(normalized, gen_salt('bf', cost)));
    END LOOP;
END
$$;

-- Makes `p_user` enrolled with a fresh state whose last step is `p_last_step`, replacing any
-- enrollment and pending enrollment. Caller holds lock_user.
CREATE OR REPLACE FUNCTION swift2fa.activate(p_user text, p_secret bytea, p_algorithm text, p_digits integer,
    p_period integer, p_created bigint, p_last_step bigint, p_codes text[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM swift2fa.check_parameters(p_secret, p_algorithm, p_digits, p_period);
    DELETE FROM swift2fa.enrollment WHERE user_name = p_user;
    DELETE FROM swift2fa.pending WHERE user_name = p_user;
    INSERT INTO swift2fa.enrollment (user_name, secret, algorithm, digits, period, created, last_step)
        VALUES (p_user, p_secret, p_algorithm, p_digits, p_period, p_created, greatest(p_last_step, 0));
    PERFORM swift2fa.store_backup_codes(p_user, p_secret, p_codes);
END
$$;

CREATE OR REPLACE FUNCTION swift2fa.audit_attempt(p_user text, p_service text, p_rhost text, p_result text, p_failures integer)
RETURNS void LANGUAGE sql VOLATILE AS $$
    INSERT INTO swift2fa.audit (user_name, server, service, rhost, result, failures)
    VALUES (left(p_user, 256), session_user, left(p_service, 256), left(p_rhost, 256), p_result, p_failures)
$$;

-- Server functions -------------------------------------------------------------------------

-- Seconds since the grace of `p_user` for `p_service` and the place `p_place` began, by the
-- database's clock; NULL when none is recorded.
CREATE OR REPLACE FUNCTION swift2fa.grace_age(p_user text, p_service text, p_place text) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER AS $$
    SELECT swift2fa.now_seconds() - accepted_at FROM swift2fa.grace
     WHERE user_name = p_user AND service = p_service AND place = p_place
$$;

-- Records a grace for `p_service` and the place `p_place` now, after a code was accepted.
-- A service or place too long for the table, or a user not enrolled, records nothing.
CREATE OR REPLACE FUNCTION swift2fa.record_grace(p_user text, p_service text, p_place text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
BEGIN
    PERFORM swift2fa.require_read_write();
    IF octet_length(p_service) > 256 OR octet_length(p_place) NOT BETWEEN 1 AND 512 THEN RETURN; END IF;
    INSERT INTO swift2fa.grace (user_name, service, place, accepted_at)
    SELECT p_user, p_service, p_place, swift2fa.now_seconds() FROM swift2fa.enrollment WHERE user_name = p_user
    ON CONFLICT (user_name, service, place) DO UPDATE SET accepted_at = EXCLUDED.accepted_at;
END
$$;

-- A verify of a release before backup_codes_left and locked_now has another result type, which
-- CREATE OR REPLACE cannot change. It is renamed out of the way first: the renamed function keeps
-- its grants, which the new verify gets below before the old one is dropped, so the server roles
-- keep verifying after an upgrade without a new `grant-server`.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'swift2fa' AND p.proname = 'verify'
                  AND NOT ('locked_now' = ANY (coalesce(p.proargnames, '{}')))) THEN
        ALTER FUNCTION swift2fa.verify(text, text, text, text) RENAME TO verify_before_upgrade;
    END IF;
END
$$;

-- The user's unused backup codes.
CREATE OR REPLACE FUNCTION swift2fa.backup_codes_left(p_user text) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT count(*)::integer FROM swift2fa.backup_code WHERE user_name = p_user AND used_at IS NULL
$$;

-- One login attempt: checks `p_answer` (a TOTP code or a backup code, as typed) for `p_user`
-- and applies replay, throttle and lock exactly like the module, in one transaction under the
-- user's row lock, then writes the state and an audit row.
-- outcome: accepted-totp, accepted-backup, rejected, replayed, throttled, locked or not-enrolled;
-- failures: the consecutive failures afterwards; throttled_until: Unix time (0 when none);
-- backup_codes_left: the unused backup codes afterwards (NULL when not enrolled);
-- locked_now: true when this attempt locked the second factor. The last two are what the
-- module's event hook hears of (backup-codes-low, locked).
CREATE OR REPLACE FUNCTION swift2fa.verify(p_user text, p_answer text, p_service text, p_rhost text,
    OUT outcome text, OUT failures integer, OUT throttled_until bigint, OUT backup_codes_left integer,
    OUT locked_now boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
DECLARE
    s swift2fa.settings;
    e swift2fa.enrollment;
    enrolled boolean;
    now_s bigint;
    typed text := swift2fa.trimmed(coalesce(p_answer, ''));
    backup text := swift2fa.backup_normalized(typed);
    totp_shaped boolean;
    throttled boolean;
    m record;
    saw_replay boolean := false;
    stored_hash text;
BEGIN
    PERFORM swift2fa.require_read_write();
    SELECT * INTO s FROM swift2fa.settings;
    SELECT * INTO e FROM swift2fa.enrollment WHERE user_name = p_user FOR UPDATE;
    enrolled := FOUND;
    now_s := swift2fa.now_seconds();   -- read after the lock: a waiting login uses the time it runs at
    locked_now := false;

    IF NOT enrolled THEN
        -- The same slow hash as an enrolled user's backup-shaped answer costs.
        IF backup IS NOT NULL THEN PERFORM crypt(backup, s.dummy_hash); END IF;
        outcome := 'not-enrolled'; failures := 0; throttled_until := 0;
        PERFORM swift2fa.audit_attempt(p_user, p_service, p_rhost, outcome, NULL);
        RETURN;
    END IF;

    failures := e.failures;
    throttled_until := e.throttled_until;
    -- Every path below sets the outcome and leaves this block; the answer's backup count and
    -- the audit row come after it.
    <<decided>>
    BEGIN
        IF e.locked THEN
            outcome := 'locked';
            EXIT decided;
        END IF;

        totp_shaped := typed ~ '^[0-9]+$' AND octet_length(typed) = e.digits;
        throttled := now_s < e.throttled_until;
        -- While throttled only backup-shaped answers are checked, and only until throttle_after of
        -- them failed in this back-off period. A TOTP-shaped answer is refused unchecked even if it
        -- could be an 8-digit backup code.
        IF throttled AND (backup IS NULL OR totp_shaped OR e.backup_failures >= s.throttle_after) THEN
            outcome := 'throttled';
            EXIT decided;
        END IF;

        IF totp_shaped AND NOT throttled THEN
            m := swift2fa.totp_match(e.secret, e.algorithm, e.digits, e.period, e.last_step, s."window", typed, now_s);
            IF m.kind = 'accepted' THEN
                UPDATE swift2fa.enrollment
                   SET last_step = m.step, failures = 0, throttled_until = 0, backup_failures = 0
                 WHERE user_name = p_user;
                outcome := 'accepted-totp'; failures := 0; throttled_until := 0;
                EXIT decided;
            END IF;
            saw_replay := m.kind = 'replayed';
        END IF;

        IF backup IS NOT NULL THEN
            -- The tag picks the one unused code to check: one slow hash per answer.
            SELECT hash INTO stored_hash FROM swift2fa.backup_code
             WHERE user_name = p_user AND tag = swift2fa.backup_tag(e.secret, backup) AND used_at IS NULL;
            IF FOUND THEN
                IF crypt(backup, stored_hash) = stored_hash THEN
                    UPDATE swift2fa.backup_code SET used_at = clock_timestamp()
                     WHERE user_name = p_user AND hash = stored_hash;
                    UPDATE swift2fa.enrollment SET failures = 0, throttled_until = 0, backup_failures = 0
                     WHERE user_name = p_user;
                    outcome := 'accepted-backup'; failures := 0; throttled_until := 0;
                    EXIT decided;
                END IF;
            ELSE
                PERFORM crypt(backup, s.dummy_hash);
            END IF;
        END IF;

        IF throttled THEN
            -- A wrong backup code during a back-off does not bring the lock closer; it counts
            -- toward this period's backup allowance only.
            UPDATE swift2fa.enrollment SET backup_failures = e.backup_failures + 1 WHERE user_name = p_user;
            outcome := 'rejected';
        ELSE
            failures := least(e.failures, 999999) + 1;
            IF failures >= s.throttle_after THEN
                throttled_until := now_s + swift2fa.throttle_seconds(failures, s);
            END IF;
            locked_now := failures >= s.lock_after;
            UPDATE swift2fa.enrollment
               SET failures = verify.failures, throttled_until = verify.throttled_until, backup_failures = 0,
                   locked = verify.locked_now
             WHERE user_name = p_user;
            outcome := CASE WHEN saw_replay THEN 'replayed' ELSE 'rejected' END;
        END IF;
    END decided;
    backup_codes_left := swift2fa.backup_codes_left(p_user);
    PERFORM swift2fa.audit_attempt(p_user, p_service, p_rhost, outcome, failures);
END
$$;

-- The server roles of the verify renamed above get the new one (in the order they were granted),
-- and the old one goes.
DO $$
DECLARE
    r name;
BEGIN
    IF to_regprocedure('swift2fa.verify_before_upgrade(text, text, text, text)') IS NOT NULL THEN
        FOR r IN SELECT g.rolname FROM pg_proc p, aclexplode(p.proacl) WITH ORDINALITY AS a, pg_roles g
                  WHERE p.oid = 'swift2fa.verify_before_upgrade(text, text, text, text)'::regprocedure
                    AND a.privilege_type = 'EXECUTE' AND g.oid = a.grantee AND a.grantee <> p.proowner
                  ORDER BY a.ordinality LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION swift2fa.verify(text, text, text, text) TO %I', r);
        END LOOP;
        DROP FUNCTION swift2fa.verify_before_upgrade(text, text, text, text);
    END IF;
END
$$;

-- The digits of the user's active enrollment (for the prompt), or NULL when not enrolled.
-- Only the primary, in a read-write session, answers (else 25006): NULL lets `nullok` pass
-- the user, so it must not come from a standby that is behind.
CREATE OR REPLACE FUNCTION swift2fa.prompt_digits(p_user text) RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
BEGIN
    PERFORM swift2fa.require_read_write();
    RETURN (SELECT digits FROM swift2fa.enrollment WHERE user_name = p_user);
END
$$;

-- Starts (or restarts) a pending enrollment for a user without an active one, and records
-- who started it. Returns the Unix time it expires at. Raises S2F01 when the user is
-- enrolled, and S2F05 when a server would replace an unexpired one the admin started (the
-- admin may replace any). Only the admin and the roles granted `--enroll` may call it.
CREATE OR REPLACE FUNCTION swift2fa.begin_pending(p_user text, p_secret bytea, p_algorithm text,
    p_digits integer, p_period integer) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
DECLARE
    now_s bigint := swift2fa.now_seconds();
    until bigint := now_s + (SELECT pending_lifetime FROM swift2fa.settings);
    admin boolean := swift2fa.is_admin();
BEGIN
    PERFORM swift2fa.check_parameters(p_secret, p_algorithm, p_digits, p_period);
    IF p_user IS NULL OR octet_length(p_user) NOT BETWEEN 1 AND 256 THEN
        RAISE EXCEPTION 'swift2fa: invalid user name' USING ERRCODE = 'S2F04';
    END IF;
    PERFORM swift2fa.lock_user(p_user);
    PERFORM swift2fa.require_replaceable(p_user, false);
    IF NOT admin AND EXISTS (SELECT 1 FROM swift2fa.pending p WHERE p.user_name = p_user
                             AND p.started_by_admin AND p.pending_until >= now_s) THEN
        RAISE EXCEPTION 'swift2fa: an enrollment the admin started is pending for %', p_user USING ERRCODE = 'S2F05';
    END IF;
    INSERT INTO swift2fa.pending (user_name, secret, algorithm, digits, period, created, pending_until,
                                  started_by, started_by_admin)
        VALUES (p_user, p_secret, p_algorithm, p_digits, p_period, now_s, until, session_user, admin)
        ON CONFLICT (user_name) DO UPDATE SET secret = excluded.secret, algorithm = excluded.algorithm,
            digits = excluded.digits, period = excluded.period, created = excluded.created,
            pending_until = excluded.pending_until, started_by = excluded.started_by,
            started_by_admin = excluded.started_by_admin;
    PERFORM swift2fa.audit_attempt(p_user, 'begin-pending', NULL, 'pending', NULL);
    RETURN until;
END
$$;

-- Activates the pending enrollment when `p_code` is a current code of its secret, with the
-- backup codes `p_codes`. Result: accepted, rejected, not-pending or expired. Replacing an
-- active enrollment (`p_replace`) needs the admin role; without it an enrolled user raises S2F01.
-- Only the admin and the roles granted `--enroll` may call it. The audit row names the role
-- (`enrolled` when accepted).
CREATE OR REPLACE FUNCTION swift2fa.confirm_pending(p_user text, p_code text, p_codes text[], p_replace boolean)
RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
DECLARE
    p swift2fa.pending;
    now_s bigint := swift2fa.now_seconds();
    typed text := swift2fa.trimmed(coalesce(p_code, ''));
    m record;
    result text;
BEGIN
    IF p_replace THEN PERFORM swift2fa.require_admin(); END IF;
    PERFORM swift2fa.lock_user(p_user);
    SELECT * INTO p FROM swift2fa.pending WHERE user_name = p_user;
    IF NOT FOUND THEN
        result := 'not-pending';
    ELSIF now_s > p.pending_until THEN
        result := 'expired';
    ELSE
        PERFORM swift2fa.require_replaceable(p_user, p_replace);
        -- The activating code is checked with a window of ±1 step whatever the settings say,
        -- as the command's `confirm` and the module's enrollment at login do
        -- (NewEnrollment.acceptedStep in TwoFactorCore).
        m := swift2fa.totp_match(p.secret, p.algorithm, p.digits, p.period, 0, 1, typed, now_s);
        IF m.kind = 'accepted' AND typed ~ '^[0-9]+$' THEN
            PERFORM swift2fa.activate(p_user, p.secret, p.algorithm, p.digits, p.period, now_s, m.step, p_codes);
            result := 'accepted';
        ELSE
            result := 'rejected';
        END IF;
    END IF;
    PERFORM swift2fa.audit_attempt(p_user, 'confirm', NULL,
                                   CASE result WHEN 'accepted' THEN 'enrolled' ELSE result END, NULL);
    RETURN result;
END
$$;

-- Admin functions --------------------------------------------------------------------------

-- Activates an enrollment made and checked by the admin's command. Raises S2F01 when the
-- user is enrolled and `p_replace` is false.
CREATE OR REPLACE FUNCTION swift2fa.admin_enroll(p_user text, p_secret bytea, p_algorithm text, p_digits integer,
    p_period integer, p_last_step bigint, p_codes text[], p_replace boolean) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
BEGIN
    PERFORM swift2fa.require_admin();
    PERFORM swift2fa.lock_user(p_user);
    PERFORM swift2fa.require_replaceable(p_user, p_replace);
    PERFORM swift2fa.activate(p_user, p_secret, p_algorithm, p_digits, p_period, swift2fa.now_seconds(),
                              p_last_step, p_codes);
    PERFORM swift2fa.audit_attempt(p_user, 'admin-enroll', NULL, 'enrolled', NULL);
END
$$;

-- Moves an enrollment of a file store in, keeping its replay and throttle state. Backup codes
-- cannot move (the file store keeps only their PBKDF2 hashes): the user gets new ones.
CREATE OR REPLACE FUNCTION swift2fa.admin_import(p_user text, p_secret bytea, p_algorithm text, p_digits integer,
    p_period integer, p_created bigint, p_last_step bigint, p_failures integer, p_throttled_until bigint,
    p_locked boolean, p_codes text[], p_replace boolean) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
BEGIN
    PERFORM swift2fa.require_admin();
    PERFORM swift2fa.lock_user(p_user);
    PERFORM swift2fa.require_replaceable(p_user, p_replace);
    PERFORM swift2fa.activate(p_user, p_secret, p_algorithm, p_digits, p_period, p_created, p_last_step, p_codes);
    UPDATE swift2fa.enrollment SET failures = greatest(p_failures, 0), throttled_until = p_throttled_until,
           locked = p_locked
     WHERE user_name = p_user;
    PERFORM swift2fa.audit_attempt(p_user, 'admin-import', NULL, 'enrolled', NULL);
END
$$;

-- A status of a release before last_accepted has another result type, which CREATE OR REPLACE
-- cannot change: drop it first (only the admin may call it, so no grant is lost).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'swift2fa' AND p.proname = 'status'
                  AND NOT ('last_accepted' = ANY (coalesce(p.proargnames, '{}')))) THEN
        DROP FUNCTION swift2fa.status(text);
    END IF;
END
$$;

-- What `swift-2fa-setup status` and `report` show. status: enrolled, pending or not enrolled.
-- last_accepted: the Unix time of the last login the audit log shows accepted with this enrollment.
CREATE OR REPLACE FUNCTION swift2fa.status(p_user text, OUT status text, OUT algorithm text, OUT digits integer,
    OUT period integer, OUT created bigint, OUT backup_codes_left integer, OUT pending_until bigint,
    OUT failures integer, OUT throttled_until bigint, OUT locked boolean, OUT last_accepted bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
DECLARE
    e swift2fa.enrollment;
    now_s bigint := swift2fa.now_seconds();
BEGIN
    PERFORM swift2fa.require_admin();
    SELECT p.pending_until INTO pending_until FROM swift2fa.pending p
     WHERE p.user_name = p_user AND p.pending_until >= now_s;
    SELECT * INTO e FROM swift2fa.enrollment WHERE user_name = p_user;
    IF FOUND THEN
        status := 'enrolled';
        algorithm := e.algorithm; digits := e.digits; period := e.period; created := e.created;
        backup_codes_left := swift2fa.backup_codes_left(p_user);
        failures := e.failures; locked := e.locked;
        throttled_until := CASE WHEN e.throttled_until > now_s THEN e.throttled_until END;
        -- Of this enrollment only: after the audit row that made it (as the file store's
        -- state starts over with each enrollment).
        SELECT floor(extract(epoch FROM max(a.at)))::bigint INTO last_accepted FROM swift2fa.audit a
         WHERE a.user_name = p_user AND a.result IN ('accepted-totp', 'accepted-backup')
           AND a.id > coalesce((SELECT max(m.id) FROM swift2fa.audit m
                                 WHERE m.user_name = p_user AND m.result = 'enrolled'), 0);
    ELSE
        status := CASE WHEN pending_until IS NOT NULL THEN 'pending' ELSE 'not enrolled' END;
        failures := 0; locked := false;
    END IF;
END
$$;

-- Removes the user's enrollment, pending enrollment and state. False when there was none.
CREATE OR REPLACE FUNCTION swift2fa.reset(p_user text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
DECLARE
    found_any boolean;
BEGIN
    PERFORM swift2fa.require_admin();
    PERFORM swift2fa.lock_user(p_user);
    PERFORM 1 FROM swift2fa.enrollment WHERE user_name = p_user FOR UPDATE;
    DELETE FROM swift2fa.enrollment WHERE user_name = p_user;
    found_any := FOUND;
    DELETE FROM swift2fa.pending WHERE user_name = p_user;
    found_any := found_any OR FOUND;
    IF found_any THEN PERFORM swift2fa.audit_attempt(p_user, 'admin-reset', NULL, 'reset', NULL); END IF;
    RETURN found_any;
END
$$;

-- Clears failures, back-off and the lock. Returns the failures and lock before; no row when
-- the user is not enrolled.
CREATE OR REPLACE FUNCTION swift2fa.unlock(p_user text)
RETURNS TABLE (failures integer, locked boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
DECLARE
    e swift2fa.enrollment;
BEGIN
    PERFORM swift2fa.require_admin();
    SELECT * INTO e FROM swift2fa.enrollment WHERE user_name = p_user FOR UPDATE;
    IF NOT FOUND THEN RETURN; END IF;
    UPDATE swift2fa.enrollment SET failures = 0, throttled_until = 0, backup_failures = 0, locked = false
     WHERE user_name = p_user;
    DELETE FROM swift2fa.grace WHERE user_name = p_user;
    PERFORM swift2fa.audit_attempt(p_user, 'admin-unlock', NULL, 'unlocked', e.failures);
    failures := e.failures; locked := e.locked;
    RETURN NEXT;
END
$$;

-- Replaces the user's backup codes. False when the user is not enrolled.
CREATE OR REPLACE FUNCTION swift2fa.regenerate_backup_codes(p_user text, p_codes text[]) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
DECLARE
    e swift2fa.enrollment;
BEGIN
    PERFORM swift2fa.require_admin();
    SELECT * INTO e FROM swift2fa.enrollment WHERE user_name = p_user FOR UPDATE;
    IF NOT FOUND THEN RETURN false; END IF;
    PERFORM swift2fa.store_backup_codes(p_user, e.secret, p_codes);
    DELETE FROM swift2fa.grace WHERE user_name = p_user;
    PERFORM swift2fa.audit_attempt(p_user, 'admin-backup-codes', NULL, 'regenerated', NULL);
    RETURN true;
END
$$;

-- Sets one policy value (window, throttle_after, throttle_delay, throttle_max, lock_after,
-- pending_lifetime, backup_cost); the table's checks bound it.
CREATE OR REPLACE FUNCTION swift2fa.set_setting(p_name text, p_value integer) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
BEGIN
    PERFORM swift2fa.require_admin();
    IF p_name NOT IN ('window', 'throttle_after', 'throttle_delay', 'throttle_max', 'lock_after',
                      'pending_lifetime', 'backup_cost') THEN
        RAISE EXCEPTION 'swift2fa: unknown setting %', p_name USING ERRCODE = 'S2F04';
    END IF;
    EXECUTE format('UPDATE swift2fa.settings SET %I = $1', p_name) USING p_value;
END
$$;

-- The server rights: use of the schema, CONNECT on the database (when the admin owns it),
-- EXECUTE on the server functions, and with `p_enroll` on the enrollment functions too.
CREATE OR REPLACE FUNCTION swift2fa.server_functions() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['swift2fa.verify(text, text, text, text)', 'swift2fa.prompt_digits(text)',
                 'swift2fa.grace_age(text, text, text)', 'swift2fa.record_grace(text, text, text)']
$$;

-- Enrollment at login: a right of its own (`db grant-server ROLE --enroll`), off by default.
CREATE OR REPLACE FUNCTION swift2fa.enroll_functions() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['swift2fa.begin_pending(text, bytea, text, integer, integer)',
                 'swift2fa.confirm_pending(text, text, text[], boolean)']
$$;

-- Gives `p_role` the server rights, with the enrollment right exactly when `p_enroll`
-- (granting without it takes that right back). Refuses PUBLIC, a missing role, and the admin
-- role, its members and superusers (S2F04): a server gets the server rights and nothing more.
CREATE OR REPLACE FUNCTION swift2fa.grant_server(p_role name, p_enroll boolean) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    f text;
    role_id oid;
BEGIN
    PERFORM swift2fa.require_admin();
    IF lower(p_role) = 'public' THEN
        RAISE EXCEPTION 'swift2fa: the server rights cannot go to PUBLIC (every role); name the role of one server'
            USING ERRCODE = 'S2F04';
    END IF;
    SELECT oid INTO role_id FROM pg_roles WHERE rolname = p_role;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'swift2fa: there is no role %', p_role USING ERRCODE = 'S2F04';
    END IF;
    IF (SELECT pg_has_role(role_id, nspowner, 'MEMBER') FROM pg_namespace WHERE nspname = 'swift2fa') THEN
        RAISE EXCEPTION 'swift2fa: % is the admin role, a member of it or a superuser; give each server a role of its own', p_role
            USING ERRCODE = 'S2F04';
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA swift2fa TO %I', p_role);
    IF swift2fa.owns_database() THEN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), p_role);
    END IF;
    FOREACH f IN ARRAY swift2fa.server_functions() LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, p_role);
    END LOOP;
    FOREACH f IN ARRAY swift2fa.enroll_functions() LOOP
        EXECUTE format(CASE WHEN p_enroll THEN 'GRANT EXECUTE ON FUNCTION %s TO %I'
                            ELSE 'REVOKE EXECUTE ON FUNCTION %s FROM %I' END, f, p_role);
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION swift2fa.revoke_server(p_role name) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    f text;
BEGIN
    PERFORM swift2fa.require_admin();
    FOREACH f IN ARRAY swift2fa.server_functions() || swift2fa.enroll_functions() LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM %I', f, p_role);
    END LOOP;
    EXECUTE format('REVOKE USAGE ON SCHEMA swift2fa FROM %I', p_role);
    IF swift2fa.owns_database() AND lower(p_role) <> 'public' THEN
        EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM %I', current_database(), p_role);
    END IF;
END
$$;

-- The roles with the server rights (EXECUTE on verify, also through membership), not
-- counting the admin role, its members and superusers; `enroll`: also the enrollment right.
CREATE OR REPLACE FUNCTION swift2fa.server_roles() RETURNS TABLE (role name, enroll boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    owner oid := (SELECT nspowner FROM pg_namespace WHERE nspname = 'swift2fa');
BEGIN
    PERFORM swift2fa.require_admin();
    RETURN QUERY
        SELECT r.rolname, bool_and(has_function_privilege(r.oid, f, 'EXECUTE'))
          FROM pg_roles r, unnest(swift2fa.enroll_functions()) AS f
         WHERE has_function_privilege(r.oid, 'swift2fa.verify(text, text, text, text)', 'EXECUTE')
           AND NOT pg_has_role(r.oid, owner, 'MEMBER')
         GROUP BY r.rolname ORDER BY r.rolname;
END
$$;

-- Every function: no EXECUTE for PUBLIC (grant_server grants the server ones), and a fixed
-- search_path of the catalog, this schema and pgcrypto's schema, temporary objects last.
DO $$
DECLARE
    f regprocedure;
    crypto_schema name := (SELECT n.nspname FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
                            WHERE x.extname = 'pgcrypto');
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'swift2fa' AND p.prokind = 'f' LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, swift2fa, %I, pg_temp', f, crypto_schema);
    END LOOP;
END
$$;

-- Who may connect: the admin and the server roles only. pg_stat_user_tables, pg_class and
-- pg_relation_size show every role connected to a database the tables' row counts and sizes
-- (the number of enrolled users); a role that cannot connect sees none of them. Every
-- server role keeps CONNECT before PUBLIC loses it. Without the database's ownership the
-- database's owner must run `REVOKE CONNECT ON DATABASE ... FROM PUBLIC` (`db status` tells).
DO $$
DECLARE
    r name;
BEGIN
    IF swift2fa.owns_database() THEN
        FOR r IN SELECT DISTINCT g.rolname FROM pg_proc p, aclexplode(p.proacl) a, pg_roles g
                  WHERE p.oid = 'swift2fa.verify(text, text, text, text)'::regprocedure
                    AND a.privilege_type = 'EXECUTE' AND g.oid = a.grantee AND a.grantee <> p.proowner LOOP
            EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), r);
        END LOOP;
        EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', current_database());
    END IF;
END
$$;

-- Every role with the server rights has every server function, also one added since it was
-- granted (db init re-applies this file), so an upgrade needs no grant-server again.
DO $$
DECLARE
    r name;
    f text;
BEGIN
    FOR r IN SELECT role FROM swift2fa.server_roles() LOOP
        FOREACH f IN ARRAY swift2fa.server_functions() LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, r);
        END LOOP;
    END LOOP;
END
$$;
