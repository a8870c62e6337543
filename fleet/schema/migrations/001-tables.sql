-- Migration 001: the tables of schema version 1 (settings, enrollment, pending, backup_code,
-- audit). Written with IF NOT EXISTS as released, so that a database the version 1 files
-- left half made still converges.

-- pgcrypto is a trusted extension (PostgreSQL 13 and later): a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- One policy for the whole fleet (one row). Same names and ranges as the module's options.
CREATE TABLE IF NOT EXISTS swift2fa.settings (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    "window" integer NOT NULL DEFAULT 1 CHECK ("window" BETWEEN 0 AND 10),
    throttle_after integer NOT NULL DEFAULT 3 CHECK (throttle_after BETWEEN 1 AND 100),
    throttle_delay integer NOT NULL DEFAULT 30 CHECK (throttle_delay BETWEEN 1 AND 86400),
    throttle_max integer NOT NULL DEFAULT 900 CHECK (throttle_max BETWEEN 1 AND 86400),
    lock_after integer NOT NULL DEFAULT 100 CHECK (lock_after BETWEEN 1 AND 100),
    -- Seconds a pending enrollment waits for its first code.
    pending_lifetime integer NOT NULL DEFAULT 600 CHECK (pending_lifetime BETWEEN 60 AND 86400),
    -- bcrypt cost of new backup code hashes.
    backup_cost integer NOT NULL DEFAULT 8 CHECK (backup_cost BETWEEN 4 AND 16),
    -- A bcrypt hash of nothing anyone types, checked when no stored code has the answer's
    -- tag, so every backup-shaped answer costs one slow hash whatever the account.
    dummy_hash text NOT NULL DEFAULT crypt(gen_random_uuid()::text, gen_salt('bf', 8))
);
INSERT INTO swift2fa.settings DEFAULT VALUES ON CONFLICT DO NOTHING;

-- An active enrollment and its state: one row per user, locked by every verification.
CREATE TABLE IF NOT EXISTS swift2fa.enrollment (
    user_name text PRIMARY KEY CHECK (octet_length(user_name) BETWEEN 1 AND 256),
    secret bytea NOT NULL CHECK (octet_length(secret) BETWEEN 10 AND 128),
    algorithm text NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
    digits integer NOT NULL CHECK (digits IN (6, 8)),
    period integer NOT NULL CHECK (period BETWEEN 15 AND 300),
    -- Unix time of enrollment.
    created bigint NOT NULL,
    -- The highest time step accepted so far; codes at or below it are replays.
    last_step bigint NOT NULL DEFAULT 0 CHECK (last_step >= 0),
    -- Consecutive failures since the last success (these bring the lock closer).
    failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    -- Unix time until which code attempts are refused unchecked.
    throttled_until bigint NOT NULL DEFAULT 0,
    -- Wrong backup-shaped answers during the current back-off period.
    backup_failures integer NOT NULL DEFAULT 0 CHECK (backup_failures >= 0),
    locked boolean NOT NULL DEFAULT false
);

-- An enrollment waiting for its first code (logins ignore it).
CREATE TABLE IF NOT EXISTS swift2fa.pending (
    user_name text PRIMARY KEY CHECK (octet_length(user_name) BETWEEN 1 AND 256),
    secret bytea NOT NULL CHECK (octet_length(secret) BETWEEN 10 AND 128),
    algorithm text NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
    digits integer NOT NULL CHECK (digits IN (6, 8)),
    period integer NOT NULL CHECK (period BETWEEN 15 AND 300),
    created bigint NOT NULL,
    pending_until bigint NOT NULL
);

-- Backup codes of an active enrollment. `tag` is the first 4 bytes of
-- HMAC-SHA256(secret, 'swift-2fa backup tag ' || normalized code): it picks the one
-- row whose bcrypt `hash` is checked.
CREATE TABLE IF NOT EXISTS swift2fa.backup_code (
    user_name text NOT NULL REFERENCES swift2fa.enrollment ON DELETE CASCADE,
    tag bytea NOT NULL CHECK (octet_length(tag) = 4),
    hash text NOT NULL,
    used_at timestamptz,
    PRIMARY KEY (user_name, tag)
);

-- Every attempt: who, from which server role, service and remote host, and the result.
CREATE TABLE IF NOT EXISTS swift2fa.audit (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    user_name text NOT NULL,
    server text NOT NULL,
    service text,
    rhost text,
    result text NOT NULL,
    failures integer
);
CREATE INDEX IF NOT EXISTS audit_user_at ON swift2fa.audit (user_name, at);
