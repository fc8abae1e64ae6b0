-- Key Vault's data plane (issue 16 item 2): the secrets and keys of vaults, version by version,
-- and the names soft-deleted in each vault. A name is deleted while it has a row in
-- `key_vault_deleted_objects`: its versions stay, hidden, until it is recovered (the row goes) or
-- purged (the row and the versions go). Purging the vault removes everything (cascade).
-- Append-only: never edit an applied migration.

-- One row per version. `tags` is a JSON object; times are seconds since the epoch.
CREATE TABLE key_vault_secrets (
    id           INTEGER PRIMARY KEY,
    vault_id     INTEGER NOT NULL REFERENCES key_vaults (id) ON DELETE CASCADE,
    name_key     TEXT NOT NULL,
    name         TEXT NOT NULL,
    version      TEXT NOT NULL,
    value        TEXT NOT NULL,
    content_type TEXT,
    tags         TEXT NOT NULL,
    enabled      INTEGER NOT NULL,
    nbf          INTEGER,
    exp          INTEGER,
    created      INTEGER NOT NULL,
    updated      INTEGER NOT NULL,
    UNIQUE (vault_id, name_key, version)
);

CREATE INDEX key_vault_secrets_by_name ON key_vault_secrets (vault_id, name_key, id);

-- One row per key version: `key_type` as Key Vault writes kty (RSA, RSA-HSM, EC, EC-HSM),
-- `key_ops` a JSON array, `material` the private key (never served), `properties` a JSON object
-- for what else a version carries (size or curve, exportable, release policy, …).
CREATE TABLE key_vault_keys (
    id         INTEGER PRIMARY KEY,
    vault_id   INTEGER NOT NULL REFERENCES key_vaults (id) ON DELETE CASCADE,
    name_key   TEXT NOT NULL,
    name       TEXT NOT NULL,
    version    TEXT NOT NULL,
    key_type   TEXT NOT NULL,
    key_ops    TEXT NOT NULL,
    material   BLOB NOT NULL,
    properties TEXT NOT NULL,
    tags       TEXT NOT NULL,
    enabled    INTEGER NOT NULL,
    nbf        INTEGER,
    exp        INTEGER,
    created    INTEGER NOT NULL,
    updated    INTEGER NOT NULL,
    UNIQUE (vault_id, name_key, version)
);

CREATE INDEX key_vault_keys_by_name ON key_vault_keys (vault_id, name_key, id);

-- `kind` is 'secret' or 'key'.
CREATE TABLE key_vault_deleted_objects (
    vault_id             INTEGER NOT NULL REFERENCES key_vaults (id) ON DELETE CASCADE,
    kind                 TEXT NOT NULL,
    name_key             TEXT NOT NULL,
    name                 TEXT NOT NULL,
    deleted_time         INTEGER NOT NULL,
    scheduled_purge_time INTEGER NOT NULL,
    PRIMARY KEY (vault_id, kind, name_key)
);
