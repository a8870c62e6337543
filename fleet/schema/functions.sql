-- swift-2fa fleet store: functions, grants and checks, re-applied as a whole by every
-- `db init` after the migrations (see migrate.sql): everything here is safe to run again.
--
-- The rules are those of the module (TwoFactorCore's VerificationPolicy and ThrottlePolicy):
-- window, replay, throttle, lock and backup codes, applied under the user's row lock with
-- the database's clock. Errors raised on purpose carry SQLSTATE S2F01..S2F05 or 25006:
--   S2F01  the user already has an active enrollment
--   S2F02  the user is not enrolled (or nothing is pending)
--   S2F03  only the admin role may do this (or, for a self-service function, the user's
--          session is not open: swift2fa.self_open)
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

-- The RFC 4226 dynamic truncation of one counter (a time step for TOTP): 31 bits, whose last
-- 6, 7 or 8 decimal digits are the code.
CREATE OR REPLACE FUNCTION swift2fa.hotp_value(p_secret bytea, p_algorithm text, p_counter bigint)
RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    mac bytea := hmac(int8send(p_counter), p_secret, lower(p_algorithm));
    o integer := get_byte(mac, length(mac) - 1) & 15;
BEGIN
    RETURN ((get_byte(mac, o) & 127)::bigint << 24) | (get_byte(mac, o + 1)::bigint << 16)
           | (get_byte(mac, o + 2)::bigint << 8) | get_byte(mac, o + 3)::bigint;
END
$$;

-- The code of one counter (a time step for TOTP), `p_digits` digits with leading zeros.
CREATE OR REPLACE FUNCTION swift2fa.totp_code(p_secret bytea, p_algorithm text, p_digits integer, p_step bigint)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT lpad((swift2fa.hotp_value(p_secret, p_algorithm, p_step) % (10::bigint ^ p_digits)::bigint)::text, p_digits, '0')
$$;

-- Compares a code-shaped answer (`p_typed`: 6 to 8 digits) with the credentials `p_credentials`
-- (in id order, at most 8) as CodeCheck does in TwoFactorCore, at the same cost for every user:
-- 8 slots (the credentials, then placeholders under a dummy key), each computing 41 codes
-- (CodeCheck.stepsPerCredential): a TOTP slot its steps ±20 around its own step (the server's
-- step plus its offset), a HOTP slot the counters from the next expected one (its counter, or
-- one past the last used, the higher). A credential of another length never matches.
-- kind: 'accepted' (the first credential with a fresh code in its window, at its lowest fresh
-- step or counter), 'replayed' (only used codes in the windows) or 'none'.
-- drift_credential, drift_steps: for TOTP credentials, the match outside the window (up to ±20
-- steps) closest to the expected step (DriftFinding; the first one on a tie). Never accepted.
CREATE OR REPLACE FUNCTION swift2fa.code_match(p_credentials swift2fa.credential[], p_typed text, p_window integer,
    p_hotp_window integer, p_now bigint, OUT kind text, OUT credential_id integer, OUT counter bigint,
    OUT drift_credential integer, OUT drift_steps integer)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    w integer := greatest(0, least(p_window, 10));
    hw integer := greatest(0, least(p_hotp_window, 40));
    typed_value bigint := p_typed::bigint;
    modulus bigint := (10::bigint ^ octet_length(p_typed))::bigint;
    placeholder bytea := decode(repeat('00', 20), 'hex');
    c swift2fa.credential;
    slot integer;
    first_counter bigint;
    center bigint;
    n bigint;
    d integer;
    counts boolean;
    value bigint;
BEGIN
    kind := 'none';
    FOR slot IN 1 .. 8 LOOP
        c := CASE WHEN slot <= coalesce(cardinality(p_credentials), 0) THEN p_credentials[slot] END;
        counts := c.user_name IS NOT NULL AND c.digits = octet_length(p_typed);
        IF c.user_name IS NULL THEN
            center := NULL;
        ELSIF c.kind = 'TOTP' THEN
            center := p_now / c.period + c."offset";
            first_counter := center - 20;
        ELSE
            center := CASE WHEN c.last_counter >= c.counter THEN c.last_counter + 1 ELSE c.counter END;
            first_counter := center;
        END IF;
        FOR d IN 0 .. 40 LOOP
            -- Every slot computes 41 values: a placeholder's, and a step before 1970, under the dummy key.
            IF center IS NULL OR first_counter + d < 0 THEN
                PERFORM swift2fa.hotp_value(placeholder, 'SHA1', d);
                CONTINUE;
            END IF;
            n := first_counter + d;
            value := swift2fa.hotp_value(c.secret, c.algorithm, n);
            IF NOT counts OR value % modulus <> typed_value THEN CONTINUE; END IF;
            IF (c.kind = 'TOTP' AND n BETWEEN center - w AND center + w) OR (c.kind = 'HOTP' AND d <= hw) THEN
                IF n <= c.last_counter THEN
                    IF kind = 'none' THEN kind := 'replayed'; END IF;
                ELSIF kind <> 'accepted' THEN
                    kind := 'accepted'; credential_id := c.id; counter := n;
                END IF;
            ELSIF c.kind = 'TOTP' AND (drift_steps IS NULL OR abs(n - center) < abs(drift_steps)) THEN
                drift_credential := c.id; drift_steps := n - center;
            END IF;
        END LOOP;
    END LOOP;
END
$$;

-- The credential `p_name` (an id, or else a label) of `p_user`, with the user's enrollment row
-- locked; raises S2F02 when the user is not enrolled, S2F04 naming the user's credentials when
-- there is no such credential.
CREATE OR REPLACE FUNCTION swift2fa.credential_named(p_user text, p_name text) RETURNS swift2fa.credential
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    c swift2fa.credential;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM swift2fa.enrollment e WHERE e.user_name = p_user FOR UPDATE) THEN
        RAISE EXCEPTION 'swift2fa: % is not enrolled', p_user USING ERRCODE = 'S2F02';
    END IF;
    IF p_name ~ '^[0-9]{1,4}$' THEN
        SELECT * INTO c FROM swift2fa.credential WHERE user_name = p_user AND id = p_name::integer FOR UPDATE;
    END IF;
    IF c.user_name IS NULL THEN
        SELECT * INTO c FROM swift2fa.credential WHERE user_name = p_user AND label = p_name FOR UPDATE;
    END IF;
    IF c.user_name IS NULL THEN
        RAISE EXCEPTION 'swift2fa: no credential ''%''; the user has %', left(p_name, 40),
            coalesce((SELECT string_agg(id || ' (' || label || ')', ', ' ORDER BY id) FROM swift2fa.credential
                       WHERE user_name = p_user), 'none') USING ERRCODE = 'S2F04';
    END IF;
    RETURN c;
END
$$;

-- The user's credentials in id order (what code_match takes).
CREATE OR REPLACE FUNCTION swift2fa.credentials_of(p_user text) RETURNS swift2fa.credential[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(c ORDER BY c.id), '{}') FROM swift2fa.credential c WHERE c.user_name = p_user
$$;

-- The log's reason of a drift finding (DriftFinding.reason): `code matches step -3: clock off about 90 s`.
CREATE OR REPLACE FUNCTION swift2fa.drift_reason(p_steps integer, p_period integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'code matches step ' || p_steps || ': clock off about ' || abs(p_steps)::bigint * coalesce(p_period, 0) || ' s'
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

-- The SHA-256 of a self-service session token (64 hex digits, made by `serve-user`); S2F04
-- for anything else.
CREATE OR REPLACE FUNCTION swift2fa.self_token_hash(p_token text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_token IS NULL OR p_token !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'swift2fa: invalid self-service session token' USING ERRCODE = 'S2F04';
    END IF;
    RETURN digest(p_token, 'sha256');
END
$$;

-- True when `p_token` is an open self-service session of `p_user` (swift2fa.self_open).
CREATE OR REPLACE FUNCTION swift2fa.has_self_session(p_user text, p_token text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT p_token IS NOT NULL AND p_token ~ '^[0-9a-f]{64}$'
       AND EXISTS (SELECT 1 FROM swift2fa.self_session s
                    WHERE s.token_hash = digest(p_token, 'sha256') AND s.user_name = p_user
                      AND s.expires > swift2fa.now_seconds())
$$;

-- For the admin functions a user may also use through self-service (status, credentials, new
-- backup codes, removing or renaming a credential): passes for the admin role, and for a call
-- made by one of the self_* functions below, which put the caller's session token in the
-- transaction's setting swift2fa.self_token. The token is checked here again, so setting it
-- by hand gives nothing without an open session of `p_user`; and no server role may call
-- these functions but through the self_* ones.
CREATE OR REPLACE FUNCTION swift2fa.require_admin_or_self(p_user text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT swift2fa.is_admin() AND NOT swift2fa.has_self_session(p_user, current_setting('swift2fa.self_token', true)) THEN
        RAISE EXCEPTION 'swift2fa: only the admin role, or the user through an open self-service session, may do this'
            USING ERRCODE = 'S2F03';
    END IF;
END
$$;

-- Raises S2F03 unless `p_token` is an open self-service session of `p_user`, then lets the
-- admin functions this transaction calls see it (require_admin_or_self). Ended sessions go.
CREATE OR REPLACE FUNCTION swift2fa.enter_self_session(p_user text, p_token text) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    DELETE FROM swift2fa.self_session WHERE expires <= swift2fa.now_seconds();
    IF NOT swift2fa.has_self_session(p_user, p_token) THEN
        RAISE EXCEPTION 'swift2fa: no open self-service session of % with this token (give a code again)', p_user
            USING ERRCODE = 'S2F03';
    END IF;
    PERFORM set_config('swift2fa.self_token', p_token, true);
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
       OR p_digits IS NULL OR p_digits NOT IN (6, 7, 8) OR p_period IS NULL OR p_period NOT BETWEEN 15 AND 300 THEN
        RAISE EXCEPTION 'swift2fa: invalid secret, algorithm, digits or period' USING ERRCODE = 'S2F04';
    END IF;
END
$$;

-- Replaces the user's backup codes by `p_codes` (as shown to the user), hashed with bcrypt and
-- tagged with `p_secret`, the enrollment's backup key (its one secret before migration 004).
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

-- Inserts the credentials `p_credentials` (a JSON array of objects: id, label, kind, secret in
-- hex, algorithm, digits, period, offset, counter, created, last_counter, last_used) for the
-- enrolled `p_user`. An object without an id gets the next free one (one more than the highest).
-- Raises S2F04, naming the credential, for an invalid one, a taken label, or more than 8.
CREATE OR REPLACE FUNCTION swift2fa.insert_credentials(p_user text, p_credentials jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    j jsonb;
    new_label text;
BEGIN
    IF jsonb_typeof(p_credentials) IS DISTINCT FROM 'array' OR jsonb_array_length(p_credentials) = 0 THEN
        RAISE EXCEPTION 'swift2fa: no credentials given' USING ERRCODE = 'S2F04';
    END IF;
    FOR j IN SELECT * FROM jsonb_array_elements(p_credentials) LOOP
        new_label := j->>'label';
        IF EXISTS (SELECT 1 FROM swift2fa.credential c WHERE c.user_name = p_user AND c.label = new_label) THEN
            RAISE EXCEPTION 'swift2fa: a credential is already labelled ''%''', left(new_label, 40) USING ERRCODE = 'S2F04';
        END IF;
        IF (SELECT count(*) FROM swift2fa.credential c WHERE c.user_name = p_user) >= 8 THEN
            RAISE EXCEPTION 'swift2fa: a user holds at most 8 credentials; remove one first' USING ERRCODE = 'S2F04';
        END IF;
        BEGIN
            INSERT INTO swift2fa.credential (user_name, id, label, kind, secret, algorithm, digits, period, "offset",
                                             counter, created, last_counter, last_used)
            VALUES (p_user,
                    coalesce((j->>'id')::integer,
                             (SELECT coalesce(max(c.id), 0) + 1 FROM swift2fa.credential c WHERE c.user_name = p_user)),
                    new_label, j->>'kind', decode(j->>'secret', 'hex'), j->>'algorithm', (j->>'digits')::integer,
                    (j->>'period')::integer, (j->>'offset')::integer, (j->>'counter')::bigint, (j->>'created')::bigint,
                    (j->>'last_counter')::bigint, (j->>'last_used')::bigint);
        EXCEPTION WHEN check_violation OR not_null_violation OR unique_violation OR invalid_text_representation
                       OR numeric_value_out_of_range OR invalid_parameter_value THEN
            RAISE EXCEPTION 'swift2fa: credential ''%'' is invalid (%)', left(coalesce(new_label, ''), 40), SQLERRM
                USING ERRCODE = 'S2F04';
        END;
    END LOOP;
END
$$;

-- Makes `p_user` enrolled with the credentials `p_credentials` (see insert_credentials), the
-- backup codes `p_codes` tagged with `p_backup_key`, and a fresh state, replacing any
-- enrollment and pending enrollment. Caller holds lock_user.
CREATE OR REPLACE FUNCTION swift2fa.activate(p_user text, p_backup_key bytea, p_created bigint, p_credentials jsonb,
    p_codes text[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF p_backup_key IS NULL OR octet_length(p_backup_key) NOT BETWEEN 10 AND 128 THEN
        RAISE EXCEPTION 'swift2fa: invalid backup key' USING ERRCODE = 'S2F04';
    END IF;
    DELETE FROM swift2fa.enrollment WHERE user_name = p_user;
    DELETE FROM swift2fa.pending WHERE user_name = p_user;
    INSERT INTO swift2fa.enrollment (user_name, backup_key, created) VALUES (p_user, p_backup_key, p_created);
    PERFORM swift2fa.insert_credentials(p_user, p_credentials);
    PERFORM swift2fa.store_backup_codes(p_user, p_backup_key, p_codes);
END
$$;

-- One TOTP credential `default` as activate takes it, whose last step is `p_last_step`.
CREATE OR REPLACE FUNCTION swift2fa.totp_credential(p_secret bytea, p_algorithm text, p_digits integer,
    p_period integer, p_created bigint, p_last_step bigint) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_array(jsonb_build_object('id', 1, 'label', 'default', 'kind', 'TOTP', 'secret', encode(p_secret, 'hex'),
        'algorithm', p_algorithm, 'digits', p_digits, 'period', p_period, 'offset', 0, 'created', p_created,
        'last_counter', greatest(p_last_step, 0)))
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

-- A verify of an earlier release has another result type (without backup_codes_left and
-- locked_now, or without credential and drift), which CREATE OR REPLACE cannot change. It is
-- renamed out of the way first: the renamed function keeps its grants, which the new verify
-- gets below before the old one is dropped, so the server roles keep verifying after an
-- upgrade without a new `grant-server`.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'swift2fa' AND p.proname = 'verify'
                  AND NOT ('drift' = ANY (coalesce(p.proargnames, '{}')))) THEN
        ALTER FUNCTION swift2fa.verify(text, text, text, text) RENAME TO verify_before_upgrade;
    END IF;
END
$$;

-- The user's unused backup codes.
CREATE OR REPLACE FUNCTION swift2fa.backup_codes_left(p_user text) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT count(*)::integer FROM swift2fa.backup_code WHERE user_name = p_user AND used_at IS NULL
$$;

-- One login attempt: checks `p_answer` (a code of any of the user's credentials, or a backup
-- code, as typed) for `p_user` and applies replay (per credential), throttle and lock exactly
-- like the module (VerificationPolicy), in one transaction under the user's row lock, then
-- writes the state and an audit row. A code-shaped answer (as many digits as one of the
-- credentials) costs the same whatever the number of credentials (code_match's 8 slots).
-- outcome: accepted-totp, accepted-hotp, accepted-backup, rejected, replayed, throttled, locked
-- or not-enrolled; failures: the consecutive failures afterwards; throttled_until: Unix time (0
-- when none); backup_codes_left: the unused backup codes afterwards (NULL when not enrolled);
-- locked_now: true when this attempt locked the second factor; credential: the label of the
-- credential whose code was accepted (the module's `credential="..."`); drift: for a rejected
-- code that matched a TOTP credential's codes outside the window, the log's reason
-- (LoginVerification.drift), also kept for `status`.
CREATE OR REPLACE FUNCTION swift2fa.verify(p_user text, p_answer text, p_service text, p_rhost text,
    OUT outcome text, OUT failures integer, OUT throttled_until bigint, OUT backup_codes_left integer,
    OUT locked_now boolean, OUT credential text, OUT drift text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
DECLARE
    s swift2fa.settings;
    e swift2fa.enrollment;
    enrolled boolean;
    credentials swift2fa.credential[];
    now_s bigint;
    typed text := swift2fa.trimmed(coalesce(p_answer, ''));
    backup text := swift2fa.backup_normalized(typed);
    code_shaped boolean;
    throttled boolean;
    match_kind text := 'none';
    match_id integer;
    match_counter bigint;
    drift_id integer;
    drift_offset integer;
    stored_hash text;
    c swift2fa.credential;
BEGIN
    PERFORM swift2fa.require_read_write();
    SELECT * INTO s FROM swift2fa.settings;
    SELECT * INTO e FROM swift2fa.enrollment WHERE user_name = p_user FOR UPDATE;
    enrolled := FOUND;
    now_s := swift2fa.now_seconds();   -- read after the lock: a waiting login uses the time it runs at
    locked_now := false;
    credentials := swift2fa.credentials_of(p_user);
    code_shaped := typed ~ '^[0-9]{6,8}$'
                   AND (NOT enrolled OR EXISTS (SELECT 1 FROM unnest(credentials) u WHERE u.digits = octet_length(typed)));
    -- The codes are computed first, on every path, so a refusal costs what a check does.
    IF code_shaped THEN
        SELECT * INTO match_kind, match_id, match_counter, drift_id, drift_offset
          FROM swift2fa.code_match(CASE WHEN enrolled THEN credentials END, typed, s."window", s.hotp_window, now_s);
    END IF;

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

        throttled := now_s < e.throttled_until;
        -- While throttled only backup-shaped answers are checked, and only until throttle_after of
        -- them failed in this back-off period. A code-shaped answer is refused unchecked even if it
        -- could be an 8-digit backup code.
        IF throttled AND (backup IS NULL OR code_shaped OR e.backup_failures >= s.throttle_after) THEN
            outcome := 'throttled';
            EXIT decided;
        END IF;

        IF NOT throttled AND match_kind = 'accepted' THEN
            UPDATE swift2fa.credential SET last_counter = match_counter, last_used = now_s
             WHERE user_name = p_user AND id = match_id
             RETURNING * INTO c;
            UPDATE swift2fa.enrollment SET failures = 0, throttled_until = 0, backup_failures = 0
             WHERE user_name = p_user;
            outcome := CASE c.kind WHEN 'HOTP' THEN 'accepted-hotp' ELSE 'accepted-totp' END;
            failures := 0; throttled_until := 0; credential := c.label;
            EXIT decided;
        END IF;

        IF backup IS NOT NULL THEN
            -- The tag picks the one unused code to check: one slow hash per answer.
            SELECT hash INTO stored_hash FROM swift2fa.backup_code
             WHERE user_name = p_user AND tag = swift2fa.backup_tag(e.backup_key, backup) AND used_at IS NULL;
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
            outcome := CASE WHEN match_kind = 'replayed' THEN 'replayed' ELSE 'rejected' END;
            -- A rejected code that matches a TOTP credential's clock outside the window: recorded
            -- for the admin, never accepted.
            IF outcome = 'rejected' AND drift_id IS NOT NULL THEN
                UPDATE swift2fa.enrollment SET drift_credential = drift_id, drift_steps = drift_offset,
                       drift_at = now_s
                 WHERE user_name = p_user;
                SELECT 'credential ' || d.label || ': ' || swift2fa.drift_reason(drift_offset, d.period) INTO drift
                  FROM swift2fa.credential d WHERE d.user_name = p_user AND d.id = drift_id;
            END IF;
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

-- The digits of the user's first credential (for the prompt, as SecretRecord.promptDigits), or
-- NULL when not enrolled.
-- Only the primary, in a read-write session, answers (else 25006): NULL lets `nullok` pass
-- the user, so it must not come from a standby that is behind.
CREATE OR REPLACE FUNCTION swift2fa.prompt_digits(p_user text) RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
BEGIN
    PERFORM swift2fa.require_read_write();
    RETURN (SELECT digits FROM swift2fa.credential WHERE user_name = p_user ORDER BY id LIMIT 1);
END
$$;

-- Records the pending credential of `p_user` (replacing any), started by the session's role,
-- and returns the Unix time it expires at. With `p_add` it is to join the active enrollment.
-- Raises S2F05 when a server would replace an unexpired one the admin started. Caller
-- checked the parameters and holds lock_user.
CREATE OR REPLACE FUNCTION swift2fa.put_pending(p_user text, p_secret bytea, p_label text, p_kind text,
    p_algorithm text, p_digits integer, p_period integer, p_counter bigint, p_add boolean) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    now_s bigint := swift2fa.now_seconds();
    until bigint := now_s + (SELECT pending_lifetime FROM swift2fa.settings);
    admin boolean := swift2fa.is_admin();
BEGIN
    IF p_user IS NULL OR octet_length(p_user) NOT BETWEEN 1 AND 256 THEN
        RAISE EXCEPTION 'swift2fa: invalid user name' USING ERRCODE = 'S2F04';
    END IF;
    IF NOT admin AND EXISTS (SELECT 1 FROM swift2fa.pending p WHERE p.user_name = p_user
                             AND p.started_by_admin AND p.pending_until >= now_s) THEN
        RAISE EXCEPTION 'swift2fa: an enrollment the admin started is pending for %', p_user USING ERRCODE = 'S2F05';
    END IF;
    DELETE FROM swift2fa.pending WHERE user_name = p_user;
    BEGIN
        INSERT INTO swift2fa.pending (user_name, secret, label, kind, algorithm, digits, period, counter, created,
                                      pending_until, started_by, started_by_admin, pending_add)
            VALUES (p_user, p_secret, coalesce(p_label, 'default'), p_kind, p_algorithm, p_digits, p_period, p_counter,
                    now_s, until, session_user, admin, coalesce(p_add, false));
    EXCEPTION WHEN check_violation OR not_null_violation THEN
        RAISE EXCEPTION 'swift2fa: invalid pending credential (%)', SQLERRM USING ERRCODE = 'S2F04';
    END;
    PERFORM swift2fa.audit_attempt(p_user, 'begin-pending', NULL, 'pending', NULL);
    RETURN until;
END
$$;

-- Starts (or restarts) a pending enrollment of one TOTP credential for a user without an
-- active one, and records who started it. Returns the Unix time it expires at. Raises S2F01
-- when the user is enrolled, and S2F05 when a server would replace an unexpired one the admin
-- started (the admin may replace any). Only the admin and the roles granted `--enroll` may
-- call it (enrollment at login).
CREATE OR REPLACE FUNCTION swift2fa.begin_pending(p_user text, p_secret bytea, p_algorithm text,
    p_digits integer, p_period integer) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
BEGIN
    PERFORM swift2fa.check_parameters(p_secret, p_algorithm, p_digits, p_period);
    PERFORM swift2fa.lock_user(p_user);
    PERFORM swift2fa.require_replaceable(p_user, false);
    RETURN swift2fa.put_pending(p_user, p_secret, 'default', 'TOTP', p_algorithm, p_digits, p_period, NULL, false);
END
$$;

-- The admin's pending credential: TOTP (`p_period`) or HOTP (`p_counter`), labelled `p_label`.
-- Without `p_add` it is a new enrollment (S2F01 when the user is enrolled); with it, it joins
-- the user's active enrollment when confirmed (S2F02 when the user is not enrolled).
CREATE OR REPLACE FUNCTION swift2fa.admin_begin_pending(p_user text, p_secret bytea, p_label text, p_kind text,
    p_algorithm text, p_digits integer, p_period integer, p_counter bigint, p_add boolean) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
BEGIN
    PERFORM swift2fa.require_admin();
    PERFORM swift2fa.lock_user(p_user);
    IF p_add AND NOT EXISTS (SELECT 1 FROM swift2fa.enrollment WHERE user_name = p_user) THEN
        RAISE EXCEPTION 'swift2fa: % is not enrolled', p_user USING ERRCODE = 'S2F02';
    END IF;
    IF NOT p_add THEN PERFORM swift2fa.require_replaceable(p_user, false); END IF;
    IF p_secret IS NULL OR octet_length(p_secret) NOT BETWEEN 10 AND 128 THEN
        RAISE EXCEPTION 'swift2fa: invalid secret' USING ERRCODE = 'S2F04';
    END IF;
    RETURN swift2fa.put_pending(p_user, p_secret, p_label, p_kind, p_algorithm, p_digits, p_period, p_counter, p_add);
END
$$;

-- Activates the pending enrollment when `p_code` is a current code of its credential, with the
-- backup codes `p_codes`. A pending credential to add (`pending_add`) joins the active
-- enrollment instead, its confirming code used, without new backup codes. Result: accepted,
-- added, rejected, not-pending or expired. Without `p_replace` an enrolled user raises S2F01.
-- The audit row names the role (`enrolled` when accepted). Callers: confirm_pending and
-- self_confirm_pending, which decide who may replace.
CREATE OR REPLACE FUNCTION swift2fa.settle_pending(p_user text, p_code text, p_codes text[], p_replace boolean)
RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    p swift2fa.pending;
    now_s bigint := swift2fa.now_seconds();
    typed text := swift2fa.trimmed(coalesce(p_code, ''));
    c swift2fa.credential;
    match_kind text := 'none';
    match_counter bigint;
    result text;
BEGIN
    PERFORM swift2fa.lock_user(p_user);
    SELECT * INTO p FROM swift2fa.pending WHERE user_name = p_user;
    IF NOT FOUND THEN
        result := 'not-pending';
    ELSIF now_s > p.pending_until THEN
        result := 'expired';
    ELSE
        IF p.pending_add THEN
            -- Only the admin starts one (admin_begin_pending); the enrollment may have gone since.
            IF NOT EXISTS (SELECT 1 FROM swift2fa.enrollment WHERE user_name = p_user FOR UPDATE) THEN
                RAISE EXCEPTION 'swift2fa: % is not enrolled', p_user USING ERRCODE = 'S2F02';
            END IF;
        ELSE
            PERFORM swift2fa.require_replaceable(p_user, p_replace);
        END IF;
        -- The activating code is checked with a window of ±1 step and a HOTP look-ahead of 10
        -- whatever the settings say, as the command's `confirm` and the module's enrollment at
        -- login do (NewEnrollment.acceptedStep in TwoFactorCore).
        c.user_name := p_user; c.id := 1; c.label := p.label; c.kind := p.kind; c.secret := p.secret;
        c.algorithm := p.algorithm; c.digits := p.digits; c.period := p.period; c.counter := p.counter;
        c."offset" := CASE WHEN p.kind = 'TOTP' THEN 0 END;
        IF typed ~ '^[0-9]{6,8}$' THEN
            SELECT m.kind, m.counter INTO match_kind, match_counter
              FROM swift2fa.code_match(ARRAY[c], typed, 1, 10, now_s) m;
        END IF;
        IF match_kind <> 'accepted' THEN
            result := 'rejected';
        ELSIF p.pending_add THEN
            DELETE FROM swift2fa.pending WHERE user_name = p_user;
            PERFORM swift2fa.insert_credentials(p_user, jsonb_build_array(jsonb_build_object(
                'label', p.label, 'kind', p.kind, 'secret', encode(p.secret, 'hex'), 'algorithm', p.algorithm,
                'digits', p.digits, 'period', p.period, 'offset', c."offset", 'counter', p.counter,
                'created', now_s, 'last_counter', match_counter)));
            DELETE FROM swift2fa.grace WHERE user_name = p_user;
            result := 'added';
        ELSE
            c.created := now_s; c.last_counter := match_counter;
            PERFORM swift2fa.activate(p_user, p.secret, now_s, jsonb_build_array((to_jsonb(c) - 'user_name')
                                      || jsonb_build_object('secret', encode(p.secret, 'hex'))), p_codes);
            result := 'accepted';
        END IF;
    END IF;
    PERFORM swift2fa.audit_attempt(p_user, 'confirm', NULL,
                                   CASE result WHEN 'accepted' THEN 'enrolled' ELSE result END, NULL);
    RETURN result;
END
$$;

-- settle_pending for the admin and the roles granted `--enroll` (enrollment at login);
-- replacing an active enrollment (`p_replace`) needs the admin role.
CREATE OR REPLACE FUNCTION swift2fa.confirm_pending(p_user text, p_code text, p_codes text[], p_replace boolean)
RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
BEGIN
    IF p_replace THEN PERFORM swift2fa.require_admin(); END IF;
    RETURN swift2fa.settle_pending(p_user, p_code, p_codes, p_replace);
END
$$;

-- Admin functions --------------------------------------------------------------------------

-- Activates an enrollment of one TOTP credential (`default`, whose secret also keys the
-- backup tags) made and checked by the admin. Raises S2F01 when the user is enrolled and
-- `p_replace` is false.
CREATE OR REPLACE FUNCTION swift2fa.admin_enroll(p_user text, p_secret bytea, p_algorithm text, p_digits integer,
    p_period integer, p_last_step bigint, p_codes text[], p_replace boolean) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
DECLARE
    now_s bigint := swift2fa.now_seconds();
BEGIN
    PERFORM swift2fa.require_admin();
    PERFORM swift2fa.check_parameters(p_secret, p_algorithm, p_digits, p_period);
    PERFORM swift2fa.lock_user(p_user);
    PERFORM swift2fa.require_replaceable(p_user, p_replace);
    PERFORM swift2fa.activate(p_user, p_secret, now_s,
                              swift2fa.totp_credential(p_secret, p_algorithm, p_digits, p_period, now_s, p_last_step), p_codes);
    PERFORM swift2fa.audit_attempt(p_user, 'admin-enroll', NULL, 'enrolled', NULL);
END
$$;

-- Activates an enrollment whose first code the admin's command checked: the credentials
-- `p_credentials` (see insert_credentials; the first one's last_counter is the checked code's),
-- the backup codes `p_codes` tagged with `p_backup_key`, made now. Raises S2F01 when the user
-- is enrolled and `p_replace` is false.
CREATE OR REPLACE FUNCTION swift2fa.admin_activate(p_user text, p_backup_key bytea, p_credentials jsonb, p_codes text[],
    p_replace boolean) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
BEGIN
    PERFORM swift2fa.require_admin();
    PERFORM swift2fa.lock_user(p_user);
    PERFORM swift2fa.require_replaceable(p_user, p_replace);
    PERFORM swift2fa.activate(p_user, p_backup_key, swift2fa.now_seconds(), p_credentials, p_codes);
    PERFORM swift2fa.audit_attempt(p_user, 'admin-enroll', NULL, 'enrolled', NULL);
END
$$;

-- An import of an earlier release took one TOTP secret; the one below takes credentials.
DROP FUNCTION IF EXISTS swift2fa.admin_import(text, bytea, text, integer, integer, bigint, bigint, integer, bigint,
                                              boolean, text[], boolean);
DROP FUNCTION IF EXISTS swift2fa.activate(text, bytea, text, integer, integer, bigint, bigint, text[]);
DROP FUNCTION IF EXISTS swift2fa.totp_match(bytea, text, integer, integer, bigint, integer, text, bigint);

-- Activates an enrollment made elsewhere (the admin's `enroll`, or an import: a file store, a
-- google-authenticator file, pam_oath's users.oath, a PSKC file): the credentials
-- `p_credentials` (see insert_credentials) with what each used already (`last_counter`), the
-- backup codes `p_codes` tagged with `p_backup_key`, and the throttle state. `p_mode`: 'new'
-- (S2F01 when the user is enrolled), 'replace', or 'add' (the credentials join the active
-- enrollment under the next free ids, the state and backup codes stay; S2F02 when not enrolled).
CREATE OR REPLACE FUNCTION swift2fa.admin_import(p_user text, p_backup_key bytea, p_created bigint,
    p_credentials jsonb, p_failures integer, p_throttled_until bigint, p_locked boolean, p_codes text[], p_mode text)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
BEGIN
    PERFORM swift2fa.require_admin();
    PERFORM swift2fa.lock_user(p_user);
    IF p_mode = 'add' THEN
        IF NOT EXISTS (SELECT 1 FROM swift2fa.enrollment WHERE user_name = p_user FOR UPDATE) THEN
            RAISE EXCEPTION 'swift2fa: % is not enrolled', p_user USING ERRCODE = 'S2F02';
        END IF;
        IF coalesce(cardinality(p_codes), 0) > 0 THEN
            RAISE EXCEPTION 'swift2fa: scratch codes cannot be added to an enrollment' USING ERRCODE = 'S2F04';
        END IF;
        PERFORM swift2fa.insert_credentials(p_user, (SELECT coalesce(jsonb_agg(j - 'id'), '[]') FROM jsonb_array_elements(p_credentials) j));
        DELETE FROM swift2fa.grace WHERE user_name = p_user;
    ELSIF p_mode IN ('new', 'replace') THEN
        PERFORM swift2fa.require_replaceable(p_user, p_mode = 'replace');
        PERFORM swift2fa.activate(p_user, p_backup_key, p_created, p_credentials, p_codes);
        UPDATE swift2fa.enrollment SET failures = greatest(p_failures, 0), throttled_until = p_throttled_until,
               locked = p_locked
         WHERE user_name = p_user;
    ELSE
        RAISE EXCEPTION 'swift2fa: unknown import mode %', p_mode USING ERRCODE = 'S2F04';
    END IF;
    PERFORM swift2fa.audit_attempt(p_user, 'admin-import', NULL, 'enrolled', NULL);
END
$$;

-- Adds the credential `p_credential` (JSON, see insert_credentials; its id is chosen here) to
-- the user's active enrollment, its code at `p_counter` checked by the caller and now used.
-- Clears the graces. Returns the id. S2F02 when the user is not enrolled.
CREATE OR REPLACE FUNCTION swift2fa.add_credential(p_user text, p_credential jsonb, p_counter bigint) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
BEGIN
    PERFORM swift2fa.require_admin();
    IF NOT EXISTS (SELECT 1 FROM swift2fa.enrollment WHERE user_name = p_user FOR UPDATE) THEN
        RAISE EXCEPTION 'swift2fa: % is not enrolled', p_user USING ERRCODE = 'S2F02';
    END IF;
    PERFORM swift2fa.insert_credentials(p_user, jsonb_build_array(p_credential - 'id'
                                        || jsonb_build_object('last_counter', p_counter)));
    DELETE FROM swift2fa.grace WHERE user_name = p_user;
    PERFORM swift2fa.audit_attempt(p_user, 'admin-credential', NULL, 'added', NULL);
    RETURN (SELECT max(id) FROM swift2fa.credential WHERE user_name = p_user);
END
$$;

-- Removes the credential `p_name` (an id, or else a label); the last one is refused (S2F04:
-- removing it is `reset`). Clears the graces. Returns its id and label.
CREATE OR REPLACE FUNCTION swift2fa.remove_credential(p_user text, p_name text, OUT id integer, OUT label text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
DECLARE
    c swift2fa.credential;
BEGIN
    PERFORM swift2fa.require_admin_or_self(p_user);
    c := swift2fa.credential_named(p_user, p_name);
    IF (SELECT count(*) FROM swift2fa.credential x WHERE x.user_name = p_user) <= 1 THEN
        RAISE EXCEPTION 'swift2fa: ''%'' is the last credential; use disable (or --force) to remove the enrollment', c.label
            USING ERRCODE = 'S2F04';
    END IF;
    DELETE FROM swift2fa.credential x WHERE x.user_name = p_user AND x.id = c.id;
    UPDATE swift2fa.enrollment e SET drift_credential = NULL, drift_steps = NULL, drift_at = NULL
     WHERE e.user_name = p_user AND e.drift_credential = c.id;
    DELETE FROM swift2fa.grace g WHERE g.user_name = p_user;
    PERFORM swift2fa.audit_attempt(p_user, 'admin-credential', NULL, 'removed', NULL);
    id := c.id; label := c.label;
END
$$;

-- Labels the credential `p_name` (an id, or else a label) `p_label`. Returns its id.
CREATE OR REPLACE FUNCTION swift2fa.rename_credential(p_user text, p_name text, p_label text) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
DECLARE
    target integer;
BEGIN
    PERFORM swift2fa.require_admin_or_self(p_user);
    target := (swift2fa.credential_named(p_user, p_name)).id;
    IF EXISTS (SELECT 1 FROM swift2fa.credential x WHERE x.user_name = p_user AND x.label = p_label AND x.id <> target) THEN
        RAISE EXCEPTION 'swift2fa: a credential is already labelled ''%''', left(p_label, 40) USING ERRCODE = 'S2F04';
    END IF;
    IF p_label IS NULL OR p_label !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$' THEN
        RAISE EXCEPTION 'swift2fa: a label is 1 to 32 letters, digits, ''.'', ''_'' or ''-'', starting with a letter or digit'
            USING ERRCODE = 'S2F04';
    END IF;
    UPDATE swift2fa.credential SET label = p_label WHERE user_name = p_user AND id = target;
    RETURN target;
END
$$;

-- Resynchronises the credential `p_name` from two consecutive codes, as CredentialResync does in
-- TwoFactorCore: a HOTP token's counters searched from the next expected one up to 200 ahead,
-- a TOTP token's steps ±20 around the server's step. Stores the HOTP counter after the second
-- code, or the TOTP period and offset (at most ±10 steps), and the second code's step or counter
-- as used.
-- Clears the graces. S2F04 when the codes are not found.
CREATE OR REPLACE FUNCTION swift2fa.resync_credential(p_user text, p_name text, p_first text, p_second text,
    OUT kind text, OUT counter bigint, OUT period integer, OUT "offset" integer, OUT last_counter bigint, OUT shift bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
DECLARE
    c swift2fa.credential;
    first_code text := swift2fa.trimmed(coalesce(p_first, ''));
    second_code text := swift2fa.trimmed(coalesce(p_second, ''));
    start bigint;
    span integer;
    server bigint;
    n bigint;
    hit bigint;
    previous_matched boolean := false;
    code text;
BEGIN
    PERFORM swift2fa.require_admin();
    c := swift2fa.credential_named(p_user, p_name);
    IF first_code !~ ('^[0-9]{' || c.digits || '}$') OR second_code !~ ('^[0-9]{' || c.digits || '}$') THEN
        RAISE EXCEPTION 'swift2fa: give two %-digit codes', c.digits USING ERRCODE = 'S2F04';
    END IF;
    IF first_code = second_code THEN
        RAISE EXCEPTION 'swift2fa: the two codes are the same; give two consecutive codes' USING ERRCODE = 'S2F04';
    END IF;
    IF c.kind = 'HOTP' THEN
        start := CASE WHEN c.last_counter >= c.counter THEN c.last_counter + 1 ELSE c.counter END;
        span := 201;
    ELSE
        server := swift2fa.now_seconds() / c.period;
        start := greatest(server - 20, 0);
        span := 41;
    END IF;
    FOR n IN start .. start + span LOOP
        code := swift2fa.totp_code(c.secret, c.algorithm, c.digits, n);
        IF previous_matched AND code = second_code AND hit IS NULL THEN hit := n; END IF;
        previous_matched := code = first_code;
    END LOOP;
    IF hit IS NULL OR hit - 1 <= c.last_counter THEN
        RAISE EXCEPTION 'swift2fa: the two codes are not consecutive codes of ''%'' in the searched range; check the credential and type two new codes one after the other', c.label
            USING ERRCODE = 'S2F04';
    END IF;
    kind := c.kind;
    last_counter := greatest(coalesce(c.last_counter, 0), hit);
    IF c.kind = 'HOTP' THEN
        counter := hit + 1;
        shift := counter - c.counter;
        UPDATE swift2fa.credential x SET counter = resync_credential.counter, last_counter = resync_credential.last_counter
         WHERE x.user_name = p_user AND x.id = c.id;
    ELSE
        period := c.period;
        "offset" := hit - server;
        shift := "offset";
        IF "offset" NOT BETWEEN -10 AND 10 THEN
            RAISE EXCEPTION 'swift2fa: the token''s clock is % steps (about % s) off, more than 10 steps: set the token''s or the server''s clock',
                "offset", abs("offset") * c.period USING ERRCODE = 'S2F04';
        END IF;
        UPDATE swift2fa.credential x SET "offset" = resync_credential."offset", last_counter = resync_credential.last_counter
         WHERE x.user_name = p_user AND x.id = c.id;
    END IF;
    DELETE FROM swift2fa.grace g WHERE g.user_name = p_user;
    PERFORM swift2fa.audit_attempt(p_user, 'admin-credential', NULL, 'resynchronised', NULL);
END
$$;

-- The user's credentials as `status` and `credentials list` show them (never the secret):
-- next_counter is a HOTP credential's next expected counter.
CREATE OR REPLACE FUNCTION swift2fa.credentials(p_user text)
RETURNS TABLE (id integer, label text, kind text, algorithm text, digits integer, period integer, "offset" integer,
               next_counter bigint, created bigint, last_used bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
BEGIN
    PERFORM swift2fa.require_admin_or_self(p_user);
    RETURN QUERY
        SELECT c.id, c.label, c.kind, c.algorithm, c.digits, c.period, c."offset",
               CASE WHEN c.kind = 'HOTP' THEN CASE WHEN c.last_counter >= c.counter THEN c.last_counter + 1 ELSE c.counter END END,
               c.created, c.last_used
          FROM swift2fa.credential c WHERE c.user_name = p_user ORDER BY c.id;
END
$$;

-- A status of an earlier release has another result type (without last_accepted, or without
-- the drift), which CREATE OR REPLACE cannot change: drop it first (only the admin may call it,
-- so no grant is lost).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'swift2fa' AND p.proname = 'status'
                  AND NOT ('drift_at' = ANY (coalesce(p.proargnames, '{}')))) THEN
        DROP FUNCTION swift2fa.status(text);
    END IF;
END
$$;

-- What `swift-2fa-setup status` and `report` show. status: enrolled, pending or not enrolled.
-- algorithm, digits, period: the first credential's, when it is a TOTP one (the credentials
-- themselves: swift2fa.credentials). last_accepted: the Unix time of the last login the audit
-- log shows accepted with this enrollment. drift_credential, drift_reason, drift_at: the last
-- rejected code that matched a TOTP credential's clock outside the window.
CREATE OR REPLACE FUNCTION swift2fa.status(p_user text, OUT status text, OUT algorithm text, OUT digits integer,
    OUT period integer, OUT created bigint, OUT backup_codes_left integer, OUT pending_until bigint,
    OUT failures integer, OUT throttled_until bigint, OUT locked boolean, OUT last_accepted bigint,
    OUT drift_credential text, OUT drift_reason text, OUT drift_at bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
DECLARE
    e swift2fa.enrollment;
    first_credential swift2fa.credential;
    drifting swift2fa.credential;
    now_s bigint := swift2fa.now_seconds();
BEGIN
    PERFORM swift2fa.require_admin_or_self(p_user);
    SELECT p.pending_until INTO pending_until FROM swift2fa.pending p
     WHERE p.user_name = p_user AND p.pending_until >= now_s;
    SELECT * INTO e FROM swift2fa.enrollment x WHERE x.user_name = p_user;
    IF FOUND THEN
        status := 'enrolled';
        SELECT * INTO first_credential FROM swift2fa.credential c WHERE c.user_name = p_user ORDER BY c.id LIMIT 1;
        IF first_credential.kind = 'TOTP' THEN
            algorithm := first_credential.algorithm; digits := first_credential.digits; period := first_credential.period;
        END IF;
        created := e.created;
        backup_codes_left := swift2fa.backup_codes_left(p_user);
        failures := e.failures; locked := e.locked;
        throttled_until := CASE WHEN e.throttled_until > now_s THEN e.throttled_until END;
        -- Of this enrollment only: after the audit row that made it (as the file store's
        -- state starts over with each enrollment).
        SELECT floor(extract(epoch FROM max(a.at)))::bigint INTO last_accepted FROM swift2fa.audit a
         WHERE a.user_name = p_user AND a.result IN ('accepted-totp', 'accepted-hotp', 'accepted-backup')
           AND a.id > coalesce((SELECT max(m.id) FROM swift2fa.audit m
                                 WHERE m.user_name = p_user AND m.result = 'enrolled'), 0);
        SELECT * INTO drifting FROM swift2fa.credential c WHERE c.user_name = p_user AND c.id = e.drift_credential;
        IF drifting.user_name IS NOT NULL AND e.drift_steps IS NOT NULL THEN
            drift_credential := drifting.label;
            drift_reason := swift2fa.drift_reason(e.drift_steps, drifting.period);
            drift_at := e.drift_at;
        END IF;
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
    PERFORM swift2fa.require_admin_or_self(p_user);
    SELECT * INTO e FROM swift2fa.enrollment WHERE user_name = p_user FOR UPDATE;
    IF NOT FOUND THEN RETURN false; END IF;
    PERFORM swift2fa.store_backup_codes(p_user, e.backup_key, p_codes);
    DELETE FROM swift2fa.grace WHERE user_name = p_user;
    PERFORM swift2fa.audit_attempt(p_user, 'admin-backup-codes', NULL, 'regenerated', NULL);
    RETURN true;
END
$$;

-- Sets one policy value (window, hotp_window, throttle_after, throttle_delay, throttle_max,
-- lock_after, pending_lifetime, backup_cost); the table's checks bound it.
CREATE OR REPLACE FUNCTION swift2fa.set_setting(p_name text, p_value integer) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
BEGIN
    PERFORM swift2fa.require_admin();
    IF p_name NOT IN ('window', 'hotp_window', 'throttle_after', 'throttle_delay', 'throttle_max', 'lock_after',
                      'pending_lifetime', 'backup_cost') THEN
        RAISE EXCEPTION 'swift2fa: unknown setting %', p_name USING ERRCODE = 'S2F04';
    END IF;
    EXECUTE format('UPDATE swift2fa.settings SET %I = $1', p_name) USING p_value;
END
$$;

-- Self-service functions ------------------------------------------------------------------

-- `swift-2fa-setup serve-user` on a server acts for the local user who asked through these
-- functions, granted with `db grant-server ROLE --self-service`. A session opens only with the
-- user's accepted code, checked and counted as a login (self_open); every other function but
-- self_confirm_pending needs its token. So a server can change a user's enrollment only with
-- a code of that user, never another user's.

-- A session of the enrolled `p_user` for `p_seconds` (1 to 900) with the token whose hash is
-- `p_token_hash`. Each needs an accepted code of the user, so a user has few. Ended sessions go.
CREATE OR REPLACE FUNCTION swift2fa.open_self_session(p_user text, p_token_hash bytea, p_seconds integer) RETURNS void
LANGUAGE sql VOLATILE AS $$
    DELETE FROM swift2fa.self_session s WHERE s.expires <= swift2fa.now_seconds();
    INSERT INTO swift2fa.self_session (token_hash, user_name, expires, opened_by)
         VALUES (p_token_hash, p_user, swift2fa.now_seconds() + least(greatest(coalesce(p_seconds, 300), 1), 900),
                 session_user);
$$;

-- swift2fa.verify of `p_answer` for `p_user` (service `self-service`), and when accepted a
-- session of `p_user` with the token `p_token` (64 hex digits, made by serve-user) for
-- `p_seconds` (1 to 900).
CREATE OR REPLACE FUNCTION swift2fa.self_open(p_user text, p_answer text, p_rhost text, p_token text, p_seconds integer,
    OUT outcome text, OUT failures integer, OUT throttled_until bigint, OUT backup_codes_left integer,
    OUT locked_now boolean, OUT credential text, OUT drift text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
DECLARE
    token_hash bytea := swift2fa.self_token_hash(p_token);
BEGIN
    SELECT * INTO outcome, failures, throttled_until, backup_codes_left, locked_now, credential, drift
      FROM swift2fa.verify(p_user, p_answer, 'self-service', p_rhost);
    IF outcome IN ('accepted-totp', 'accepted-hotp', 'accepted-backup') THEN
        PERFORM swift2fa.open_self_session(p_user, token_hash, p_seconds);
    END IF;
END
$$;

-- swift2fa.status in the session `p_token`. Without an open session only for a user who is
-- not enrolled (who has no code to give): `not enrolled` or `pending`, which prompt_digits
-- already tells a server; for an enrolled user that raises S2F03.
CREATE OR REPLACE FUNCTION swift2fa.self_status(p_user text, p_token text)
RETURNS TABLE (status text, algorithm text, digits integer, period integer, created bigint, backup_codes_left integer,
               pending_until bigint, failures integer, throttled_until bigint, locked boolean, last_accepted bigint,
               drift_credential text, drift_reason text, drift_at bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
DECLARE
    until bigint;
BEGIN
    IF NOT swift2fa.has_self_session(p_user, p_token)
       AND NOT EXISTS (SELECT 1 FROM swift2fa.enrollment e WHERE e.user_name = p_user) THEN
        SELECT p.pending_until INTO until FROM swift2fa.pending p
         WHERE p.user_name = p_user AND p.pending_until >= swift2fa.now_seconds();
        RETURN QUERY SELECT CASE WHEN until IS NULL THEN 'not enrolled' ELSE 'pending' END, NULL::text, NULL::integer,
            NULL::integer, NULL::bigint, NULL::integer, until, 0, NULL::bigint, false, NULL::bigint, NULL::text, NULL::text,
            NULL::bigint;
        RETURN;
    END IF;
    PERFORM swift2fa.enter_self_session(p_user, p_token);
    RETURN QUERY SELECT * FROM swift2fa.status(p_user);
END
$$;

-- swift2fa.credentials in the session `p_token`.
CREATE OR REPLACE FUNCTION swift2fa.self_credentials(p_user text, p_token text)
RETURNS TABLE (id integer, label text, kind text, algorithm text, digits integer, period integer, "offset" integer,
               next_counter bigint, created bigint, last_used bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
BEGIN
    PERFORM swift2fa.enter_self_session(p_user, p_token);
    RETURN QUERY SELECT * FROM swift2fa.credentials(p_user);
END
$$;

-- swift2fa.regenerate_backup_codes in the session `p_token`.
CREATE OR REPLACE FUNCTION swift2fa.self_regenerate_backup_codes(p_user text, p_codes text[], p_token text)
RETURNS boolean LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
BEGIN
    PERFORM swift2fa.enter_self_session(p_user, p_token);
    RETURN swift2fa.regenerate_backup_codes(p_user, p_codes);
END
$$;

-- swift2fa.remove_credential in the session `p_token` (never the last one).
CREATE OR REPLACE FUNCTION swift2fa.self_remove_credential(p_user text, p_name text, p_token text,
    OUT id integer, OUT label text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
BEGIN
    PERFORM swift2fa.enter_self_session(p_user, p_token);
    SELECT * INTO id, label FROM swift2fa.remove_credential(p_user, p_name);
END
$$;

-- swift2fa.rename_credential in the session `p_token`.
CREATE OR REPLACE FUNCTION swift2fa.self_rename_credential(p_user text, p_name text, p_label text, p_token text)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
BEGIN
    PERFORM swift2fa.enter_self_session(p_user, p_token);
    RETURN swift2fa.rename_credential(p_user, p_name, p_label);
END
$$;

-- A pending credential of the enrolled `p_user`, in the session `p_token`: with `p_add` a
-- device to add, else a new phone that replaces the enrollment (its credentials and backup
-- codes) when self_confirm_pending gets its code; the enrollment works as before until then.
-- Returns the Unix time it expires at. S2F02 when the user is not enrolled.
CREATE OR REPLACE FUNCTION swift2fa.self_begin_pending(p_user text, p_secret bytea, p_label text, p_kind text,
    p_algorithm text, p_digits integer, p_period integer, p_counter bigint, p_add boolean, p_token text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
DECLARE
    until bigint;
BEGIN
    PERFORM swift2fa.enter_self_session(p_user, p_token);
    PERFORM swift2fa.lock_user(p_user);
    IF NOT EXISTS (SELECT 1 FROM swift2fa.enrollment WHERE user_name = p_user) THEN
        RAISE EXCEPTION 'swift2fa: % is not enrolled', p_user USING ERRCODE = 'S2F02';
    END IF;
    IF p_secret IS NULL OR octet_length(p_secret) NOT BETWEEN 10 AND 128 THEN
        RAISE EXCEPTION 'swift2fa: invalid secret' USING ERRCODE = 'S2F04';
    END IF;
    until := swift2fa.put_pending(p_user, p_secret, p_label, p_kind, p_algorithm, p_digits, p_period, p_counter,
                                  coalesce(p_add, false));
    UPDATE swift2fa.pending SET self_service = true WHERE user_name = p_user;
    RETURN until;
END
$$;

-- Confirms the pending credential self_begin_pending started, with its own current code (the
-- proof; no session needed): adds it, or replaces the enrollment with it and the backup codes
-- `p_codes`. Then, as that code is one of the user's now, it opens the session `p_token` for
-- `p_seconds` as self_open does. Result as settle_pending's; `not-pending` for a pending
-- credential not started through self-service.
CREATE OR REPLACE FUNCTION swift2fa.self_confirm_pending(p_user text, p_code text, p_codes text[], p_token text,
    p_seconds integer) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
DECLARE
    token_hash bytea := swift2fa.self_token_hash(p_token);
    p swift2fa.pending;
    result text;
BEGIN
    PERFORM swift2fa.lock_user(p_user);
    SELECT * INTO p FROM swift2fa.pending WHERE user_name = p_user;
    IF NOT FOUND OR NOT p.self_service THEN
        RETURN 'not-pending';
    END IF;
    result := swift2fa.settle_pending(p_user, p_code, p_codes, NOT p.pending_add);
    IF result IN ('accepted', 'added') THEN
        PERFORM swift2fa.open_self_session(p_user, token_hash, p_seconds);
    END IF;
    RETURN result;
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

-- The self-service socket (`db grant-server ROLE --self-service`), off by default: with a user's
-- code a server holding it can add a device to that user's enrollment fleet-wide.
CREATE OR REPLACE FUNCTION swift2fa.self_service_functions() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['swift2fa.self_open(text, text, text, text, integer)', 'swift2fa.self_status(text, text)',
                 'swift2fa.self_credentials(text, text)', 'swift2fa.self_regenerate_backup_codes(text, text[], text)',
                 'swift2fa.self_remove_credential(text, text, text)', 'swift2fa.self_rename_credential(text, text, text, text)',
                 'swift2fa.self_begin_pending(text, bytea, text, text, text, integer, integer, bigint, boolean, text)',
                 'swift2fa.self_confirm_pending(text, text, text[], text, integer)']
$$;

-- grant_server and server_roles of an earlier release have fewer arguments or columns (no
-- self-service right); only the admin calls them, so no grant is lost.
DROP FUNCTION IF EXISTS swift2fa.grant_server(name, boolean);
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'swift2fa' AND p.proname = 'server_roles'
                  AND NOT ('self_service' = ANY (coalesce(p.proargnames, '{}')))) THEN
        DROP FUNCTION swift2fa.server_roles();
    END IF;
END
$$;

-- Gives `p_role` the server rights, with the enrollment right exactly when `p_enroll` and the
-- self-service right exactly when `p_self_service` (granting without one takes it back).
-- Refuses PUBLIC, a missing role, and the admin role, its members and superusers (S2F04): a
-- server gets the server rights and nothing more.
CREATE OR REPLACE FUNCTION swift2fa.grant_server(p_role name, p_enroll boolean, p_self_service boolean) RETURNS void
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
    FOREACH f IN ARRAY swift2fa.self_service_functions() LOOP
        EXECUTE format(CASE WHEN p_self_service THEN 'GRANT EXECUTE ON FUNCTION %s TO %I'
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
    FOREACH f IN ARRAY swift2fa.server_functions() || swift2fa.enroll_functions() || swift2fa.self_service_functions() LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM %I', f, p_role);
    END LOOP;
    EXECUTE format('REVOKE USAGE ON SCHEMA swift2fa FROM %I', p_role);
    IF swift2fa.owns_database() AND lower(p_role) <> 'public' THEN
        EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM %I', current_database(), p_role);
    END IF;
END
$$;

-- The roles with the server rights (EXECUTE on verify, also through membership), not
-- counting the admin role, its members and superusers; `enroll`: also the enrollment right;
-- `self_service`: also the self-service right.
CREATE OR REPLACE FUNCTION swift2fa.server_roles() RETURNS TABLE (role name, enroll boolean, self_service boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    owner oid := (SELECT nspowner FROM pg_namespace WHERE nspname = 'swift2fa');
BEGIN
    PERFORM swift2fa.require_admin();
    RETURN QUERY
        SELECT r.rolname,
               (SELECT bool_and(has_function_privilege(r.oid, f, 'EXECUTE')) FROM unnest(swift2fa.enroll_functions()) f),
               (SELECT bool_and(has_function_privilege(r.oid, f, 'EXECUTE')) FROM unnest(swift2fa.self_service_functions()) f)
          FROM pg_roles r
         WHERE has_function_privilege(r.oid, 'swift2fa.verify(text, text, text, text)', 'EXECUTE')
           AND NOT pg_has_role(r.oid, owner, 'MEMBER')
         ORDER BY r.rolname;
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
