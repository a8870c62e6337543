-- Migration 005: the self-service socket in fleet mode (issue #22). A user's accepted code,
-- checked by swift2fa.self_open as a login, opens a short session for that user only; the
-- self-service functions (granted with `db grant-server ROLE --self-service`) act for the
-- user only with that session's token, so a server cannot change another user's enrollment
-- without that user's code.

-- An open session: the SHA-256 of its token (the token itself never reaches the database's
-- tables), the user, when it ends (Unix time) and the role that opened it. It goes with the
-- enrollment (a reset or a new enrollment ends it).
CREATE TABLE swift2fa.self_session (
    token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    user_name text NOT NULL REFERENCES swift2fa.enrollment (user_name) ON DELETE CASCADE,
    expires bigint NOT NULL,
    opened_by text NOT NULL
);
CREATE INDEX self_session_user ON swift2fa.self_session (user_name);

-- A pending credential started through self-service (a new device to add, or a new phone that
-- replaces the enrollment when its code confirms it).
ALTER TABLE swift2fa.pending ADD COLUMN self_service boolean NOT NULL DEFAULT false;
