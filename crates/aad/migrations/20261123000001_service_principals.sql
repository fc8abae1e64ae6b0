-- AAD's directory: service principals and their credentials. Append-only: never edit an applied migration.

CREATE TABLE service_principals (
    id                           TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    app_id                       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name                 TEXT NOT NULL,
    service_principal_type       TEXT NOT NULL,
    managed_identity_resource_id TEXT,
    alternative_names            TEXT NOT NULL DEFAULT '[]',
    created_date_time            TEXT NOT NULL
);

-- Secrets are never stored: only a PBKDF2-HMAC-SHA256 hash with a random salt.
CREATE TABLE password_credentials (
    key_id       TEXT NOT NULL PRIMARY KEY,
    principal_id TEXT NOT NULL REFERENCES service_principals (id) ON DELETE CASCADE,
    salt         BLOB NOT NULL,
    iterations   INTEGER NOT NULL,
    hash         BLOB NOT NULL
);

CREATE INDEX password_credentials_principal ON password_credentials (principal_id);

-- Certificates whose private keys sign client assertions; x5t and x5t#S256 select among them.
CREATE TABLE key_credentials (
    key_id          TEXT NOT NULL PRIMARY KEY,
    principal_id    TEXT NOT NULL REFERENCES service_principals (id) ON DELETE CASCADE,
    certificate_pem TEXT NOT NULL,
    x5t             TEXT NOT NULL,
    x5t_s256        TEXT NOT NULL
);

CREATE INDEX key_credentials_principal ON key_credentials (principal_id);
