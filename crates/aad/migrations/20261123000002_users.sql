-- Users of the tenant (issue 5: interactive sign-in and ROPC). Append-only: never edit an applied migration.
-- Passwords are never stored: only a PBKDF2-HMAC-SHA256 hash with a random salt, as for client secrets.

CREATE TABLE users (
    id                  TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    user_principal_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name        TEXT NOT NULL,
    salt                BLOB NOT NULL,
    iterations          INTEGER NOT NULL,
    hash                BLOB NOT NULL,
    created_date_time   TEXT NOT NULL
);
