-- Compute and managed identities: virtual machines, user-assigned identities, which identities
-- each VM has, and the credential (key + certificate) behind every managed-identity principal.
-- Same convention as 0001: canonical names as given, lower-cased *_key columns for lookups.

CREATE TABLE identity_credentials (
    principal_id    TEXT PRIMARY KEY NOT NULL,     -- AAD object id (lower-case GUID)
    client_id       TEXT NOT NULL,                 -- AAD application id
    tenant_id       TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,                 -- PKCS#8
    certificate_pem TEXT NOT NULL,                 -- registered as the principal's key credential
    created_time    INTEGER NOT NULL               -- epoch seconds
);

CREATE TABLE virtual_machines (
    id                  INTEGER PRIMARY KEY,
    subscription_key    TEXT NOT NULL,
    group_key           TEXT NOT NULL,
    name_key            TEXT NOT NULL,
    subscription_id     TEXT NOT NULL,             -- canonical
    resource_group      TEXT NOT NULL,             -- canonical (the group's own spelling)
    name                TEXT NOT NULL,             -- canonical
    location            TEXT NOT NULL,
    vm_id               TEXT NOT NULL,
    tags                TEXT NOT NULL,             -- JSON object
    profile             TEXT NOT NULL,             -- JSON: the modelled properties
    system_principal_id TEXT REFERENCES identity_credentials (principal_id),
    created_time        INTEGER NOT NULL,
    changed_time        INTEGER NOT NULL,
    version             INTEGER NOT NULL DEFAULT 0, -- optimistic concurrency
    UNIQUE (subscription_key, group_key, name_key),
    FOREIGN KEY (subscription_key, group_key) REFERENCES resource_groups (subscription_key, name_key)
);

CREATE TABLE user_assigned_identities (
    id               INTEGER PRIMARY KEY,
    subscription_key TEXT NOT NULL,
    group_key        TEXT NOT NULL,
    name_key         TEXT NOT NULL,
    subscription_id  TEXT NOT NULL,
    resource_group   TEXT NOT NULL,
    name             TEXT NOT NULL,
    location         TEXT NOT NULL,
    tags             TEXT NOT NULL,
    isolation_scope  TEXT NOT NULL DEFAULT 'None',
    principal_id     TEXT NOT NULL REFERENCES identity_credentials (principal_id),
    created_time     INTEGER NOT NULL,
    changed_time     INTEGER NOT NULL,
    UNIQUE (subscription_key, group_key, name_key),
    FOREIGN KEY (subscription_key, group_key) REFERENCES resource_groups (subscription_key, name_key)
);

-- The user-assigned identities attached to each VM, in attachment order.
CREATE TABLE virtual_machine_identities (
    vm       INTEGER NOT NULL REFERENCES virtual_machines (id) ON DELETE CASCADE,
    identity INTEGER NOT NULL REFERENCES user_assigned_identities (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (vm, identity)
);

CREATE INDEX virtual_machine_identities_by_identity ON virtual_machine_identities (identity);
