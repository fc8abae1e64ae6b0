-- ARM core: subscriptions, resource groups, role assignments.
-- Names are stored as given (canonical case, returned in ids) with a lower-cased key for lookups.

CREATE TABLE subscriptions (
    subscription_key TEXT PRIMARY KEY NOT NULL,   -- lower-cased subscription id
    subscription_id  TEXT NOT NULL,               -- canonical
    display_name     TEXT NOT NULL,
    tenant_id        TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'Enabled',
    tags             TEXT                          -- JSON object, NULL when none
);

CREATE TABLE resource_groups (
    subscription_key TEXT NOT NULL REFERENCES subscriptions (subscription_key) ON DELETE CASCADE,
    name_key         TEXT NOT NULL,               -- lower-cased name
    name             TEXT NOT NULL,               -- canonical
    location         TEXT NOT NULL,
    managed_by       TEXT,
    tags             TEXT,                         -- JSON object, NULL when none
    created_time     INTEGER NOT NULL,             -- epoch seconds
    changed_time     INTEGER NOT NULL,
    PRIMARY KEY (subscription_key, name_key)
);

CREATE TABLE role_assignments (
    name_key           TEXT PRIMARY KEY NOT NULL,  -- lower-cased GUID
    name               TEXT NOT NULL,
    scope_key          TEXT NOT NULL,              -- lower-cased scope
    scope              TEXT NOT NULL,              -- canonical scope
    role_definition_key TEXT NOT NULL,             -- lower-cased role definition GUID
    principal_id       TEXT NOT NULL,              -- lower-cased object id
    principal_type     TEXT NOT NULL,
    description        TEXT,
    condition          TEXT,
    condition_version  TEXT,
    created_on         TEXT NOT NULL,              -- RFC 3339
    updated_on         TEXT NOT NULL,
    created_by         TEXT,
    updated_by         TEXT,
    UNIQUE (scope_key, role_definition_key, principal_id)
);

CREATE INDEX role_assignments_by_principal ON role_assignments (principal_id);
