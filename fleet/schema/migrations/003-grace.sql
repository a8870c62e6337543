-- Migration 003: the graces of `grace_period=` (pam_swift2fa(8)). After an accepted code the
-- same user on the same service, from the same place (`grace_key`), is not asked again
-- within the period. Each row goes with the enrollment: a reset or a new enrollment removes
-- it (ON DELETE CASCADE), and unlock and new backup codes delete it (functions.sql).
CREATE TABLE IF NOT EXISTS swift2fa.grace (
    user_name text NOT NULL REFERENCES swift2fa.enrollment (user_name) ON DELETE CASCADE,
    service text NOT NULL CHECK (octet_length(service) BETWEEN 0 AND 256),
    place text NOT NULL CHECK (octet_length(place) BETWEEN 1 AND 512),
    accepted_at bigint NOT NULL,
    PRIMARY KEY (user_name, service, place)
);
