-- Migration 004: several credentials per user (issue #19). A user's enrollment row keeps what
-- is per person (throttle, lock, backup codes and their tag key, the last drift finding); each
-- authenticator is a row of swift2fa.credential with its own replay state. Every enrollment's
-- one TOTP secret becomes its credential 1 (`default`), keeping its last step, so a code used
-- before the upgrade stays refused; the secret stays the key of the backup codes' tags
-- (enrollment.backup_key), so every backup code stays valid.

-- One authenticator of an enrolled user: a TOTP app or token (period, clock offset) or a HOTP
-- token (counter). 1 to 8 per user (the trigger below), ids and labels unique per user.
CREATE TABLE swift2fa.credential (
    user_name text NOT NULL REFERENCES swift2fa.enrollment (user_name) ON DELETE CASCADE,
    id integer NOT NULL CHECK (id BETWEEN 1 AND 9999),
    -- Credential.isValidLabel: safe as it is in a log line and on a command line.
    label text NOT NULL CHECK (label ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$'),
    kind text NOT NULL CHECK (kind IN ('TOTP', 'HOTP')),
    secret bytea NOT NULL CHECK (octet_length(secret) BETWEEN 10 AND 128),
    algorithm text NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
    digits integer NOT NULL CHECK (digits IN (6, 7, 8)),
    -- TOTP: seconds per step, and the steps added to the server's step (set by a resync).
    period integer CHECK (period BETWEEN 15 AND 300),
    "offset" integer CHECK ("offset" BETWEEN -10 AND 10),
    -- HOTP: the counter codes are expected from (a resync moves it). Bounded so that every
    -- counter a verification computes fits a bigint.
    counter bigint CHECK (counter BETWEEN 0 AND 4611686018427387903),
    -- Unix time it was added, and of the last accepted code (NULL: never).
    created bigint NOT NULL,
    last_used bigint,
    -- The highest time step (TOTP) or counter (HOTP) accepted; codes at or below it are
    -- replays. NULL when none was.
    last_counter bigint CHECK (last_counter BETWEEN 0 AND 4611686018427387903),
    PRIMARY KEY (user_name, id),
    UNIQUE (user_name, label),
    CHECK ((kind = 'TOTP' AND period IS NOT NULL AND "offset" IS NOT NULL AND counter IS NULL)
           OR (kind = 'HOTP' AND counter IS NOT NULL AND period IS NULL AND "offset" IS NULL))
);

-- At most 8 credentials per user (Credential.maximumCount): every verification computes the
-- codes of 8 slots, whatever the number of credentials.
CREATE FUNCTION swift2fa.credential_limit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM swift2fa.credential WHERE user_name = NEW.user_name) > 8 THEN
        RAISE EXCEPTION 'swift2fa: a user holds at most 8 credentials' USING ERRCODE = 'S2F04';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER credential_limit AFTER INSERT OR UPDATE OF user_name ON swift2fa.credential
    FOR EACH ROW EXECUTE FUNCTION swift2fa.credential_limit();

INSERT INTO swift2fa.credential (user_name, id, label, kind, secret, algorithm, digits, period, "offset", created,
                                 last_counter)
SELECT user_name, 1, 'default', 'TOTP', secret, algorithm, digits, period, 0, created, last_step
  FROM swift2fa.enrollment;

-- The enrollment's secret keys the tags of its backup codes from now on; the credential
-- columns move to swift2fa.credential.
ALTER TABLE swift2fa.enrollment RENAME COLUMN secret TO backup_key;
ALTER TABLE swift2fa.enrollment DROP COLUMN algorithm, DROP COLUMN digits, DROP COLUMN period, DROP COLUMN last_step;
-- The last rejected code that matched a TOTP credential's clock outside the window
-- (DriftFinding): the credential, the steps, and when. Never accepted; `status` shows it.
ALTER TABLE swift2fa.enrollment ADD COLUMN drift_credential integer, ADD COLUMN drift_steps integer
    CHECK (drift_steps BETWEEN -20 AND 20), ADD COLUMN drift_at bigint;

-- A pending enrollment holds one TOTP or HOTP credential; with pending_add it joins the
-- active enrollment when confirmed instead of replacing it.
ALTER TABLE swift2fa.pending DROP CONSTRAINT pending_digits_check, DROP CONSTRAINT pending_period_check;
ALTER TABLE swift2fa.pending ALTER COLUMN period DROP NOT NULL,
    ADD CONSTRAINT pending_digits_check CHECK (digits IN (6, 7, 8)),
    ADD CONSTRAINT pending_period_check CHECK (period BETWEEN 15 AND 300),
    ADD COLUMN label text NOT NULL DEFAULT 'default' CHECK (label ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$'),
    ADD COLUMN kind text NOT NULL DEFAULT 'TOTP' CHECK (kind IN ('TOTP', 'HOTP')),
    ADD COLUMN counter bigint CHECK (counter BETWEEN 0 AND 4611686018427387903),
    ADD COLUMN pending_add boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT pending_credential_check CHECK ((kind = 'TOTP' AND period IS NOT NULL AND counter IS NULL)
                                             OR (kind = 'HOTP' AND counter IS NOT NULL AND period IS NULL));

-- The HOTP look-ahead (the module's `hotp_window`): counters accepted after the next expected one.
ALTER TABLE swift2fa.settings ADD COLUMN hotp_window integer NOT NULL DEFAULT 10 CHECK (hotp_window BETWEEN 0 AND 40);
